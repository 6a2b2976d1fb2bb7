// Dense symmetric eigendecomposition (LAPACK ?syevd) and the dense matrix of an operator, for
// small models (the 2,400-parameter MLP) and as ground truth for the matrix-free estimators.

import TensorCore

/// All eigenvalues and eigenvectors of a symmetric matrix (LAPACK `?syevd`, divide and conquer).
///
/// ```
/// A = Vᵀ diag(lambda) V,   rows of V orthonormal,   lambda ascending
/// ```
///
/// Only the upper triangle of `matrix` is read; for a matrix assembled from products with an
/// operator (``denseMatrix(of:blockSize:memoryLimit:)``), rounding may have made it slightly
/// asymmetric, and this is the symmetric matrix its upper triangle defines.
///
/// - Parameter matrix: a symmetric `[n, n]` matrix.
/// - Returns: `eigenvalues` (shape `[n]`, ascending) and `eigenvectors` (shape `[n, n]`, row
///   `i` the unit eigenvector of `eigenvalues[i]`; rows as everywhere in MatrixFree).
/// - Throws: ``MatrixFreeError/lapackFailure(routine:info:)`` when LAPACK fails to converge.
/// - Precondition: `matrix` is square.
/// - Complexity: `O(n^3)` flops; `O(n^2)` memory.
///
/// Equivalents: `torch.linalg.eigh(A)` and `numpy.linalg.eigh(A)` (which return the vectors as
/// columns); `scipy.linalg.eigh(A, driver='evd')`.
public func symmetricEigendecomposition<Scalar: TensorScalar>(
  of matrix: Tensor<Scalar>
) throws -> (eigenvalues: Tensor<Scalar>, eigenvectors: Tensor<Scalar>) {
  let (values, a) = try syevd(matrix, vectors: true, caller: "symmetricEigendecomposition")
  // LAPACK leaves the eigenvectors as columns of the row-major a.
  return (values, a.transposed())
}

/// All eigenvalues of a symmetric matrix, without eigenvectors (LAPACK `?syevd` with
/// `jobz = 'N'`, which reduces to tridiagonal form and runs `?sterf`).
///
/// Only the upper triangle of `matrix` is read. Skipping the eigenvectors skips their
/// accumulation and back-transformation, the larger part of the work.
///
/// - Parameter matrix: a symmetric `[n, n]` matrix.
/// - Returns: the eigenvalues, ascending (shape `[n]`).
/// - Throws: ``MatrixFreeError/lapackFailure(routine:info:)`` when LAPACK fails to converge.
/// - Precondition: `matrix` is square.
/// - Complexity: about `4 n^3 / 3` flops (the tridiagonal reduction); `O(n^2)` memory.
///
/// Equivalents: `torch.linalg.eigvalsh(A)`, `numpy.linalg.eigvalsh(A)`,
/// `scipy.linalg.eigh(A, eigvals_only=True)`.
public func symmetricEigenvalues<Scalar: TensorScalar>(of matrix: Tensor<Scalar>) throws -> Tensor<
  Scalar
> {
  try syevd(matrix, vectors: false, caller: "symmetricEigenvalues").eigenvalues
}

/// LAPACK `?syevd` on a copy of the square `matrix`: the eigenvalues (ascending) and the
/// overwritten copy, whose columns are the eigenvectors when `vectors` is true.
private func syevd<Scalar: TensorScalar>(
  _ matrix: Tensor<Scalar>, vectors: Bool, caller: String
) throws -> (eigenvalues: Tensor<Scalar>, columns: Tensor<Scalar>) {
  precondition(
    matrix.rank == 2 && matrix.shape[0] == matrix.shape[1] && matrix.shape[0] >= 1,
    "\(caller) needs a square [n, n] matrix, got shape \(matrix.shape)")
  let n = matrix.shape[0]
  var a = matrix
  var values = Tensor<Scalar>(zeros: [n])
  let info = a.withMutableBase { ap in
    values.withMutableBase { vp in
      Scalar.symmetricEigen(n: n, a: ap, eigenvalues: vp, vectors: vectors)
    }
  }
  guard info == 0 else {
    throw MatrixFreeError.lapackFailure(
      routine: "\(Scalar.self == Float.self ? "s" : "d")syevd", info: info)
  }
  return (values, a)
}

/// The dense `n x n` matrix of an operator, assembled from its products with blocks of the
/// identity.
///
/// Row `i` of the result is `A e_i`, i.e. column `i` of `A` (the same as row `i` when `A` is
/// symmetric; rounding may leave a small asymmetry, which the result keeps so that it can be
/// measured).
///
/// - Parameters:
///   - linearOperator: the operator `A`.
///   - blockSize: identity rows per product (default 32).
///   - memoryLimit: the most bytes the matrix may take (default 1 GiB).
/// - Returns: the `[n, n]` matrix.
/// - Throws: ``MatrixFreeError/denseMatrixTooLarge(dimension:bytes:limit:)`` when
///   `n * n * MemoryLayout<Scalar>.size > memoryLimit`, before any product; errors of the
///   operator.
/// - Precondition: `blockSize >= 1`.
/// - Complexity: `n` products; `n^2` scalars of memory.
///
/// Equivalents: `torch.autograd.functional.hessian`, curvlinops `A @ torch.eye(n)`,
/// hessian-eigenthings' dense Hessian for tests.
public func denseMatrix<Operator: LinearOperator>(
  of linearOperator: Operator, blockSize: Int = 32, memoryLimit: Int = 1 << 30
) throws -> Tensor<Operator.Scalar> {
  typealias S = Operator.Scalar
  precondition(blockSize >= 1, "blockSize must be at least 1, got \(blockSize)")
  let n = linearOperator.dimension
  let (square, overflow1) = n.multipliedReportingOverflow(by: n)
  let (bytes, overflow2) = square.multipliedReportingOverflow(by: MemoryLayout<S>.size)
  guard !overflow1 && !overflow2 && bytes <= memoryLimit else {
    throw MatrixFreeError.denseMatrixTooLarge(
      dimension: n, bytes: overflow1 || overflow2 ? Int.max : bytes, limit: memoryLimit)
  }
  var result = Tensor<S>(zeros: [n, n])
  var start = 0
  while start < n {
    let k = Swift.min(blockSize, n - start)
    var identity = Tensor<S>(zeros: [k, n])
    identity.withMutableBase { p in
      for i in 0..<k { p[i * n + start + i] = 1 }
    }
    let product = try linearOperator.checkedApply(identity, matvecsSoFar: start)
    product.withBase { pp in
      result.withMutableBase { rp in Kernels.copy(from: pp, to: rp + start * n, count: k * n) }
    }
    start += k
  }
  return result
}
