// The LinearOperator contract: a symmetric map known only through products with blocks of
// vectors. Algorithms in MatrixFree see nothing else (curvlinops, SciPy LinearOperator).

import TensorCore

/// A symmetric linear map `R^n -> R^n` known only through products with blocks of vectors.
///
/// Rows are vectors: ``apply(_:)`` takes a block `X` of shape `[k, n]` and returns `X A`
/// (`= (A Xᵀ)ᵀ`, each row replaced by `A x`), so that one pass of the engine serves `k`
/// Hessian-vector products. Algorithms count cost in vectors (`matvecCount`): a block of `k`
/// rows counts `k`.
///
/// ```swift
/// let a = DenseOperator(Tensor<Double>(shape: [2, 2], scalars: [2, 1, 1, 2]))
/// let ax = try a.apply(Tensor(shape: [1, 2], scalars: [1, 0]))
/// print(ax.scalars)   // [2.0, 1.0]
/// ```
///
/// Equivalents: SciPy `scipy.sparse.linalg.LinearOperator` (`matmat`), curvlinops
/// `PyTorchLinearOperator` (`_matmat`), hessian-eigenthings `Operator`.
public protocol LinearOperator<Scalar> {
  /// The scalar type of the vectors.
  associatedtype Scalar: TensorScalar

  /// The dimension `n` of the space the operator acts on.
  var dimension: Int { get }

  /// `A x` for each row `x` of `block` (shape `[k, n]`); returns shape `[k, n]`.
  ///
  /// - Throws: when the underlying computation fails (for example a non-finite loss).
  func apply(_ block: Tensor<Scalar>) throws -> Tensor<Scalar>
}

/// A ``LinearOperator`` defined by a closure that maps a `[k, n]` block to `[k, n]`.
///
/// Use it to wrap any product routine, or in tests to count or perturb products
/// (hessian-eigenthings `LambdaOperator`, SciPy `LinearOperator(shape, matmat=...)`).
///
/// ```swift
/// let twice = ClosureOperator<Double>(dimension: 3) { $0 * 2 }
/// ```
public struct ClosureOperator<Scalar: TensorScalar>: LinearOperator {
  /// The dimension `n`.
  public let dimension: Int
  let body: (Tensor<Scalar>) throws -> Tensor<Scalar>

  /// Creates an operator on `R^dimension` whose block product is `body`.
  ///
  /// - Parameters:
  ///   - dimension: `n`, at least 1.
  ///   - body: maps a `[k, n]` block to the `[k, n]` block of products; it must be linear and
  ///     symmetric for the algorithms' guarantees to hold.
  public init(dimension: Int, _ body: @escaping (Tensor<Scalar>) throws -> Tensor<Scalar>) {
    precondition(dimension >= 1, "an operator needs dimension >= 1, got \(dimension)")
    self.dimension = dimension
    self.body = body
  }

  /// Calls the closure.
  public func apply(_ block: Tensor<Scalar>) throws -> Tensor<Scalar> { try body(block) }
}

extension LinearOperator {
  /// Applies the operator and checks the contract: the result has the block's shape
  /// (a precondition: a wrong shape is a bug in the operator) and is finite (a thrown
  /// ``MatrixFreeError/nonFiniteProduct(matvecCount:)``: typically a diverged loss).
  func checkedApply(_ block: Tensor<Scalar>, matvecsSoFar: Int) throws -> Tensor<Scalar> {
    precondition(
      block.rank == 2 && block.shape[1] == dimension,
      "a block for an operator of dimension \(dimension) must be [k, \(dimension)], "
        + "got \(block.shape)")
    let result = try apply(block)
    precondition(
      result.shape == block.shape,
      "\(Self.self).apply returned shape \(result.shape) for a block of shape \(block.shape)")
    let finite = result.withBase { Kernels.allFinite($0, count: result.count) }
    guard finite else { throw MatrixFreeError.nonFiniteProduct(matvecCount: matvecsSoFar) }
    return result
  }
}

/// Checks that `block` is a `[k, n]` block for an operator of dimension `n`.
func checkBlockShape<S>(_ block: Tensor<S>, dimension: Int, name: String) {
  precondition(
    block.rank == 2 && block.shape[1] == dimension && block.shape[0] >= 1,
    "\(name) must have shape [k, \(dimension)] with k >= 1, got \(block.shape)")
}
