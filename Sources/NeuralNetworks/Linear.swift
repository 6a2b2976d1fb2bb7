// Fully connected layer.

import Autodiff
import TensorCore

/// `y = x W^T + b` (PyTorch `nn.Linear(inputs, outputs, bias)`): `weight` is
/// `[outputs, inputs]`, `bias` is `[outputs]`.
///
/// Initialization as PyTorch: weight and bias uniform in `[-1/sqrt(inputs), 1/sqrt(inputs))`.
public struct Linear<Scalar: TensorScalar>: Layer {
  /// Input features.
  public let inputs: Int
  /// Output features.
  public let outputs: Int
  /// Whether the layer adds a bias.
  public let hasBias: Bool

  /// Creates a layer mapping `inputs` features to `outputs` features.
  public init(_ inputs: Int, _ outputs: Int, bias: Bool = true) {
    precondition(
      inputs > 0 && outputs > 0, "Linear sizes must be positive, got \(inputs) -> \(outputs)")
    self.inputs = inputs
    self.outputs = outputs
    self.hasBias = bias
  }

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {
    let bound = 1 / Scalar(inputs).squareRoot()
    d.parameter("weight", d.uniform([outputs, inputs], bound: bound))
    if hasBias { d.parameter("bias", d.uniform([outputs], bound: bound)) }
  }

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    precondition(
      x.shape.last == inputs, "Linear(\(inputs), \(outputs)) got input of shape \(x.shape)")
    let flat = x.shape.count == 2 ? x : x.reshaped(to: [-1, inputs])
    var y = flat.matmul(scope.parameter("weight"), transposeOther: true)
    if hasBias { y = y + scope.parameter("bias") }
    if x.shape.count != 2 { y = y.reshaped(to: Array(x.shape.dropLast()) + [outputs]) }
    return scope.observe(y)
  }
}
