// Variable: a dual value recorded in a graph, so that reverse mode can run over it.

import TensorCore

/// A node of the recorded graph: the nodes it was computed from and the rule that maps its
/// adjoint to theirs. Leaves (the differentiated inputs) have no pullback.
@usableFromInline
final class GraphNode<Scalar: TensorScalar> {
  @usableFromInline let inputs: [GraphNode?]
  /// Maps the adjoint of this node's value to the adjoints of `inputs` (nil: no contribution).
  /// Written in ``Dual`` operations, so that it carries tangents: the source of exact HVPs.
  @usableFromInline let pullback: ((Dual<Scalar>) -> [Dual<Scalar>?])?
  @usableFromInline let shape: [Int]

  @inlinable
  init(inputs: [GraphNode?], shape: [Int], pullback: ((Dual<Scalar>) -> [Dual<Scalar>?])?) {
    self.inputs = inputs
    self.shape = shape
    self.pullback = pullback
  }
}

/// A tensor being differentiated: its value, its tangents (directional derivatives), and its
/// place in the recorded computation graph.
///
/// Functions you hand to ``valueWithGradient(at:in:)``, ``hessianVectorProduct(at:along:in:)``
/// and the other differential operators receive and return `Variable`s. Write them with the
/// operations on `Variable` (arithmetic, `exp`, `matmul`, `conv2D`, ...) and they are
/// differentiable twice, exactly; a `Variable` made from a plain tensor is a constant.
///
/// ```swift
/// let g = gradient(at: Tensor<Double>([1, 2])) { x in (x * x).sum() }
/// print(g.scalars)  // [2.0, 4.0]
/// ```
public struct Variable<Scalar: TensorScalar>: @unchecked Sendable {
  /// The value and its tangents.
  public let dual: Dual<Scalar>
  @usableFromInline let node: GraphNode<Scalar>?

  @inlinable
  init(_ dual: Dual<Scalar>, node: GraphNode<Scalar>?) {
    self.dual = dual
    self.node = node
  }

  /// A constant: no derivative flows into it (PyTorch: a tensor with `requires_grad=False`).
  @inlinable
  public init(_ value: Tensor<Scalar>) { self.init(Dual(value), node: nil) }

  /// A constant scalar.
  @inlinable
  public init(_ scalar: Scalar) { self.init(Tensor(scalar)) }

  /// A differentiable input (a leaf of the graph) with optional tangents.
  @inlinable
  static func leaf(_ value: Tensor<Scalar>, tangent: Tensor<Scalar>?) -> Variable {
    Variable(
      Dual(value, tangent: tangent), node: GraphNode(inputs: [], shape: value.shape, pullback: nil))
  }

  /// The value.
  @inlinable public var value: Tensor<Scalar> { dual.value }

  /// The shape of the value.
  @inlinable public var shape: [Int] { dual.value.shape }

  /// The number of elements.
  @inlinable public var count: Int { dual.value.count }

  /// True when derivatives flow through this variable (it depends on a differentiated input).
  @inlinable public var isDifferentiable: Bool { node != nil }

  /// The same value cut from the graph: derivatives do not flow through it
  /// (PyTorch `tensor.detach()`).
  @inlinable public func detached() -> Variable { Variable(value) }

  /// Records an operation: `result` computed from `inputs`, with the rule mapping the result's
  /// adjoint to the inputs' adjoints. Nothing is recorded when no input is differentiable.
  @inlinable
  static func record(
    _ result: Dual<Scalar>, from inputs: [Variable],
    pullback: @escaping (Dual<Scalar>) -> [Dual<Scalar>?]
  ) -> Variable {
    if inputs.allSatisfy({ $0.node == nil }) { return Variable(result, node: nil) }
    return Variable(
      result, node: GraphNode(inputs: inputs.map(\.node), shape: result.shape, pullback: pullback))
  }
}
