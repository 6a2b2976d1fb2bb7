// A symmetric matrix held in memory as a LinearOperator: the oracle of every test, and the
// operator of small models' dense Hessians.

import TensorCore

/// A ``LinearOperator`` backed by an explicit symmetric `n x n` matrix.
///
/// `apply` is one GEMM, `X Aᵀ` (which is `X A` for symmetric `A`, and exactly `A x` per row
/// even when rounding has made `A` slightly asymmetric).
///
/// - Complexity: `2 k n^2` flops per block of `k` rows; `n^2` scalars of memory.
///
/// ```swift
/// let a = DenseOperator(Tensor<Double>(shape: [2, 2], scalars: [2, 1, 1, 2]))
/// let e = try eigenpairs(of: a, count: 1, using: &generator)   // eigenvalue 3
/// ```
///
/// Equivalents: `scipy.sparse.linalg.aslinearoperator(A)`; curvlinops and hessian-eigenthings
/// accept a plain tensor.
public struct DenseOperator<Scalar: TensorScalar>: LinearOperator, Sendable {
  /// The matrix, shape `[n, n]`.
  public let matrix: Tensor<Scalar>

  /// Wraps a square matrix.
  ///
  /// - Precondition: `matrix` has shape `[n, n]` with `n >= 1`. Symmetry is not checked:
  ///   the algorithms assume it.
  public init(_ matrix: Tensor<Scalar>) {
    precondition(
      matrix.rank == 2 && matrix.shape[0] == matrix.shape[1] && matrix.shape[0] >= 1,
      "DenseOperator needs a square [n, n] matrix, got shape \(matrix.shape)")
    self.matrix = matrix
  }

  /// `n`.
  public var dimension: Int { matrix.shape[0] }

  /// `X Aᵀ` for the `[k, n]` block `X`.
  ///
  /// - Precondition: `block` has shape `[k, n]`.
  public func apply(_ block: Tensor<Scalar>) throws -> Tensor<Scalar> {
    checkBlockShape(block, dimension: dimension, name: "the block")
    return block.matmul(matrix, transposeOther: true)
  }
}
