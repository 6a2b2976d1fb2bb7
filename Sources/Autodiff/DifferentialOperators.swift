// Differential operators: gradient, JVP, VJP and exact Hessian-vector products.

import TensorCore

/// The value of a scalar function and the values, adjoints of its differentiated inputs after one
/// forward and one reverse pass with the given input tangents.
@inlinable
func differentiate<Scalar>(
  at points: [Tensor<Scalar>], tangents: [Tensor<Scalar>?], tape: PrimalTape<Scalar>? = nil,
  in f: ([Variable<Scalar>]) throws -> Variable<Scalar>
) rethrows -> (value: Scalar, adjoints: [Dual<Scalar>?]) {
  try withPrimalTape(tape) {
    let leaves = zip(points, tangents).map { Variable.leaf($0, tangent: $1) }
    let output = try f(leaves)
    precondition(
      output.count == 1, "differentiated function must return a scalar, got shape \(output.shape)")
    let adjoints = backpropagate(
      from: output, seed: Dual(Tensor(repeating: 1, shape: output.shape)))
    return (output.value.scalars[0], leaves.map { adjoints[ObjectIdentifier($0.node!)] })
  }
}

/// The value of `f` at `points` and its gradient with respect to each point
/// (PyTorch `loss.backward()` / `torch.autograd.grad(loss, inputs)`).
///
/// Inputs that `f` does not use get a zero gradient.
///
/// - Parameters:
///   - points: the tensors to differentiate with respect to (parameters, inputs, or both).
///   - tape: a ``PrimalTape`` to record this pass's primal values to (when empty) or to replay
///     them from; nil (the default) computes them.
///   - f: a scalar-valued function written with ``Variable`` operations.
/// - Complexity: one forward and one reverse pass.
@inlinable
public func valueWithGradient<Scalar>(
  at points: [Tensor<Scalar>], tape: PrimalTape<Scalar>? = nil,
  in f: ([Variable<Scalar>]) throws -> Variable<Scalar>
) rethrows -> (value: Scalar, gradient: [Tensor<Scalar>]) {
  let (value, adjoints) = try differentiate(
    at: points, tangents: points.map { _ in nil }, tape: tape, in: f)
  return (value, zip(points, adjoints).map { $1?.value ?? Tensor(zeros: $0.shape) })
}

/// The gradient of the scalar function `f` at `points`; see ``valueWithGradient(at:in:)-5x1vj``.
@inlinable
public func gradient<Scalar>(
  at points: [Tensor<Scalar>], in f: ([Variable<Scalar>]) throws -> Variable<Scalar>
) rethrows -> [Tensor<Scalar>] {
  try valueWithGradient(at: points, in: f).gradient
}

/// The gradient of a scalar function of one tensor.
///
/// ```swift
/// let g = gradient(at: Tensor<Double>([1, 2])) { x in (x * x).sum() }   // [2, 4]
/// ```
@inlinable
public func gradient<Scalar>(
  at point: Tensor<Scalar>, in f: (Variable<Scalar>) throws -> Variable<Scalar>
) rethrows -> Tensor<Scalar> {
  try valueWithGradient(at: [point]) { try f($0[0]) }.gradient[0]
}

/// The value, the gradient and `k` Hessian-vector products of a scalar function, from one
/// forward and one reverse pass (forward-over-reverse).
public struct SecondOrderDerivatives<Scalar: TensorScalar>: Sendable {
  /// The function's value.
  public let value: Scalar
  /// The gradient with respect to each point.
  public let gradient: [Tensor<Scalar>]
  /// For each point, `[k] + point.shape`: row `i` is block `i` of `H v_i`, where `H` is the
  /// Hessian with respect to all points together (cross-point blocks included).
  public let hessianVectorProducts: [Tensor<Scalar>]

  @usableFromInline
  init(value: Scalar, gradient: [Tensor<Scalar>], hessianVectorProducts: [Tensor<Scalar>]) {
    self.value = value
    self.gradient = gradient
    self.hessianVectorProducts = hessianVectorProducts
  }
}

/// The gradient and the exact Hessian-vector products `H v_1, ..., H v_k` of the scalar function
/// `f` at `points`, all from one forward and one reverse pass.
///
/// ```
/// (H v)_i = d/dt grad f(x + t v)_i at t = 0
/// ```
/// The reverse pass runs on dual numbers carrying `k` tangents, so the gradient's tangent along
/// each direction is its Hessian-vector product (Pearlmutter 1994; JAX's
/// `jvp(grad(f), (x,), (v,))`). Exact to rounding: no finite-difference step. PyTorch's
/// equivalent is `torch.autograd.grad(grad, params, grad_outputs=v)` after
/// `torch.autograd.grad(loss, params, create_graph=True)`, once per direction.
///
/// - Parameters:
///   - points: the tensors `x` (for a model: its parameters).
///   - directions: one tensor per point of shape `[k] + point.shape`; row `i` of all of them
///     together is direction `v_i`.
///   - tape: a ``PrimalTape`` of `f` at `points`: an empty one records this pass's primal
///     values, a recorded one supplies them, so that only the tangent work is done; nil (the
///     default) computes them.
///   - f: a scalar-valued function written with ``Variable`` operations.
/// - Complexity: one forward and one reverse pass whose tangent work is `k` times wider (the
///   directions become extra GEMM rows); memory holds `k + 1` copies of the activations. With a
///   recorded tape, the primal half of the work (about a third of one product on a conv net)
///   is skipped.
@inlinable
public func hessianVectorProducts<Scalar>(
  at points: [Tensor<Scalar>], along directions: [Tensor<Scalar>],
  tape: PrimalTape<Scalar>? = nil,
  in f: ([Variable<Scalar>]) throws -> Variable<Scalar>
) rethrows -> SecondOrderDerivatives<Scalar> {
  precondition(
    directions.count == points.count,
    "got \(directions.count) direction tensors for \(points.count) points")
  let k = directions.first?.shape.first ?? 0
  for (x, v) in zip(points, directions) {
    precondition(
      v.shape == [k] + x.shape,
      "direction shape \(v.shape) must be [k] + point shape \(x.shape) with k = \(k)")
  }
  let (value, adjoints) = try differentiate(
    at: points, tangents: directions, tape: tape, in: f)
  return SecondOrderDerivatives(
    value: value,
    gradient: zip(points, adjoints).map { $1?.value ?? Tensor(zeros: $0.shape) },
    hessianVectorProducts: zip(points, adjoints).map {
      $1?.tangent ?? Tensor(zeros: [k] + $0.shape)
    })
}

/// The exact Hessian-vector product `H v` of a scalar function of one tensor.
///
/// ```swift
/// // f(x) = x0^2 x1: H at (1, 2) is [[4, 2], [2, 0]]
/// let hv = hessianVectorProduct(at: Tensor<Double>([1, 2]), along: Tensor([1, 0])) { x in
///   (x.slice(0..<1, alongAxis: 0).squared() * x.slice(1..<2, alongAxis: 0)).sum()
/// }
/// print(hv.scalars)  // [4.0, 2.0]
/// ```
@inlinable
public func hessianVectorProduct<Scalar>(
  at point: Tensor<Scalar>, along direction: Tensor<Scalar>,
  in f: (Variable<Scalar>) throws -> Variable<Scalar>
) rethrows -> Tensor<Scalar> {
  try hessianVectorProducts(at: [point], along: [direction.expandingShape(at: 0)]) {
    try f($0[0])
  }.hessianVectorProducts[0].reshaped(to: point.shape)
}

/// The value of `f` and its directional derivatives along `k` directions (a JVP; PyTorch
/// `torch.func.jvp`), by forward mode.
///
/// - Parameters:
///   - directions: one tensor per point of shape `[k] + point.shape`.
///   - tape: a ``PrimalTape`` of this JVP of `f` at `points` (a tape belongs to one kind of
///     pass: a JVP's records only the forward values): an empty one records, a recorded one
///     supplies the primal values so that only the tangents are computed; nil (the default)
///     computes them.
/// - Returns: the value and its `k` derivatives, shape `[k] + value.shape`.
/// - Complexity: one forward pass whose tangent work is `k` times wider; with a recorded tape,
///   the tangent work only.
@inlinable
public func valueWithDirectionalDerivatives<Scalar>(
  at points: [Tensor<Scalar>], along directions: [Tensor<Scalar>],
  tape: PrimalTape<Scalar>? = nil,
  in f: ([Variable<Scalar>]) throws -> Variable<Scalar>
) rethrows -> (value: Tensor<Scalar>, derivatives: Tensor<Scalar>) {
  let k = directions.first?.shape.first ?? 0
  return try withPrimalTape(tape) {
    let leaves = zip(points, directions).map { Variable.leaf($0, tangent: $1) }
    let output = try f(leaves)
    return (output.value, output.dual.tangent ?? Tensor(zeros: [k] + output.shape))
  }
}

/// The value of `f` and its vector-Jacobian products with `k` cotangents (PyTorch
/// `torch.autograd.grad(out, inputs, grad_outputs=u)`, once per cotangent), from one forward and
/// one reverse pass.
///
/// - Parameters:
///   - cotangents: shape `[k] + output.shape`; row `i` is `u_i`.
///   - tape: a ``PrimalTape`` of this VJP of `f` at `points` (a tape belongs to one kind of
///     pass): an empty one records, a recorded one supplies the forward values and the zero
///     adjoint, so that only the `k` cotangents are propagated; nil (the default) computes them.
/// - Returns: the value, and for each point, `[k] + point.shape`: row `i` is `J^T u_i`.
/// - Complexity: one forward and one reverse pass; the `k` cotangents ride as tangents of a
///   zero adjoint (the reverse pass is linear in its seed), whose own reverse pass costs as
///   much as a gradient's unless a recorded tape supplies it.
@inlinable
public func valueWithVectorJacobianProducts<Scalar>(
  at points: [Tensor<Scalar>], cotangents: Tensor<Scalar>, tape: PrimalTape<Scalar>? = nil,
  in f: ([Variable<Scalar>]) throws -> Variable<Scalar>
) rethrows -> (value: Tensor<Scalar>, products: [Tensor<Scalar>]) {
  try withPrimalTape(tape) {
    let leaves = points.map { Variable.leaf($0, tangent: nil) }
    let output = try f(leaves)
    let k = cotangents.shape.first ?? 0
    precondition(
      cotangents.shape == [k] + output.shape,
      "cotangent shape \(cotangents.shape) must be [k] + output shape \(output.shape)")
    let adjoints = backpropagate(
      from: output, seed: Dual(Tensor(zeros: output.shape), tangent: cotangents))
    let products = zip(points, leaves).map { point, leaf in
      adjoints[ObjectIdentifier(leaf.node!)]?.tangent ?? Tensor(zeros: [k] + point.shape)
    }
    return (output.value, products)
  }
}
