// TensorScalar: the floating-point types a Tensor can hold, and their BLAS/LAPACK entry points.

import RealModule

#if canImport(Accelerate)
  import Accelerate
#else
  import CHessianBLAS
#endif

/// A floating-point type that ``Tensor`` can hold: `Float` (the working precision) or `Double`
/// (validation and tests).
///
/// The protocol gathers the elementary functions of swift-numerics' `Real` and the few BLAS and
/// LAPACK routines the kernels call, so that generic code specializes to a direct call of
/// `sgemm` or `dgemm`.
public protocol TensorScalar: BinaryFloatingPoint, Real, Sendable, Codable
where RawSignificand: FixedWidthInteger {
  /// A short name of the type as NumPy and safetensors spell it: `"float32"` or `"float64"`.
  static var dtypeName: String { get }

  /// General matrix multiply on row-major operands, `C = alpha * op(A) op(B) + beta * C`.
  ///
  /// `op(A)` is `m x k`, `op(B)` is `k x n`, `C` is `m x n`; `lda`, `ldb`, `ldc` are the row
  /// strides of the stored matrices (CBLAS `cblas_?gemm` with `CblasRowMajor`).
  static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Self, a: UnsafePointer<Self>, lda: Int,
    b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

  /// All eigenvalues (ascending) and, when `vectors` is true, the orthonormal eigenvectors of
  /// the symmetric `n x n` row-major matrix in `a` (LAPACK `?syevd`). On return `a` holds the
  /// eigenvectors as columns. Returns the LAPACK `info` code (0 on success).
  static func symmetricEigen(
    n: Int, a: UnsafeMutablePointer<Self>, eigenvalues: UnsafeMutablePointer<Self>,
    vectors: Bool
  ) -> Int

  /// Eigenvalues (ascending) and optionally eigenvectors of the symmetric tridiagonal matrix with
  /// diagonal `d` (length `n`) and off-diagonal `e` (length `n - 1`) (LAPACK `?stev`). On return
  /// `d` holds the eigenvalues and `z` (row-major `n x n`, if vectors) the eigenvectors as
  /// columns. Returns the LAPACK `info` code.
  static func tridiagonalEigen(
    n: Int, d: UnsafeMutablePointer<Self>, e: UnsafeMutablePointer<Self>,
    z: UnsafeMutablePointer<Self>?
  ) -> Int
}

@usableFromInline let jobV = CChar(truncatingIfNeeded: UInt8(ascii: "V"))
@usableFromInline let jobN = CChar(truncatingIfNeeded: UInt8(ascii: "N"))
@usableFromInline let upper = CChar(truncatingIfNeeded: UInt8(ascii: "U"))

extension Float: TensorScalar {
  /// The NumPy name of this type; see ``TensorScalar/dtypeName``.
  public static var dtypeName: String { "float32" }

  /// BLAS `?gemm`; see ``TensorScalar/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
  @inlinable
  public static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// LAPACK `?syevd`; see ``TensorScalar/symmetricEigen(n:a:eigenvalues:vectors:)``.
  public static func symmetricEigen(
    n: Int, a: UnsafeMutablePointer<Float>, eigenvalues: UnsafeMutablePointer<Float>,
    vectors: Bool
  ) -> Int {
    #if canImport(Accelerate)
      return accelerateSymmetricEigen(
        n: n, a: a, eigenvalues: eigenvalues, vectors: vectors, ssyevd_)
    #else
      // LAPACKE_ssyevd sizes its workspace from a float32 query, which rounds 1 + 6n + 2n^2
      // down once it passes 2^24 (n > about 2,900) and then fails with info -9: the sizes are
      // given here from LAPACK's formulas instead.
      var work = [Float](repeating: 0, count: symmetricEigenWorkspace(n: n, vectors: vectors))
      var iwork = [Int32](repeating: 0, count: vectors ? 3 + 5 * n : 1)
      return Int(
        LAPACKE_ssyevd_work(
          LAPACK_ROW_MAJOR, vectors ? jobV : jobN, upper, Int32(n), a, Int32(n), eigenvalues,
          &work, Int32(work.count), &iwork, Int32(iwork.count)))
    #endif
  }

  /// LAPACK `?stev`; see ``TensorScalar/tridiagonalEigen(n:d:e:z:)``.
  public static func tridiagonalEigen(
    n: Int, d: UnsafeMutablePointer<Float>, e: UnsafeMutablePointer<Float>,
    z: UnsafeMutablePointer<Float>?
  ) -> Int {
    #if canImport(Accelerate)
      return accelerateTridiagonalEigen(n: n, d: d, e: e, z: z, sstev_)
    #else
      return Int(
        LAPACKE_sstev(LAPACK_ROW_MAJOR, z == nil ? jobN : jobV, Int32(n), d, e, z, Int32(n)))
    #endif
  }
}

/// The workspace `?syevd` needs for an `n x n` matrix (LAPACK's documented minimum):
/// `1 + 6n + 2n^2` with eigenvectors, `2n + 1` without.
func symmetricEigenWorkspace(n: Int, vectors: Bool) -> Int {
  n <= 1 ? 1 : vectors ? 1 + 6 * n + 2 * n * n : 2 * n + 1
}

extension Double: TensorScalar {
  /// The NumPy name of this type; see ``TensorScalar/dtypeName``.
  public static var dtypeName: String { "float64" }

  /// BLAS `?gemm`; see ``TensorScalar/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
  @inlinable
  public static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Double, a: UnsafePointer<Double>, lda: Int,
    b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    cblas_dgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// LAPACK `?syevd`; see ``TensorScalar/symmetricEigen(n:a:eigenvalues:vectors:)``.
  public static func symmetricEigen(
    n: Int, a: UnsafeMutablePointer<Double>, eigenvalues: UnsafeMutablePointer<Double>,
    vectors: Bool
  ) -> Int {
    #if canImport(Accelerate)
      return accelerateSymmetricEigen(
        n: n, a: a, eigenvalues: eigenvalues, vectors: vectors, dsyevd_)
    #else
      var work = [Double](repeating: 0, count: symmetricEigenWorkspace(n: n, vectors: vectors))
      var iwork = [Int32](repeating: 0, count: vectors ? 3 + 5 * n : 1)
      return Int(
        LAPACKE_dsyevd_work(
          LAPACK_ROW_MAJOR, vectors ? jobV : jobN, upper, Int32(n), a, Int32(n), eigenvalues,
          &work, Int32(work.count), &iwork, Int32(iwork.count)))
    #endif
  }

  /// LAPACK `?stev`; see ``TensorScalar/tridiagonalEigen(n:d:e:z:)``.
  public static func tridiagonalEigen(
    n: Int, d: UnsafeMutablePointer<Double>, e: UnsafeMutablePointer<Double>,
    z: UnsafeMutablePointer<Double>?
  ) -> Int {
    #if canImport(Accelerate)
      return accelerateTridiagonalEigen(n: n, d: d, e: e, z: z, dstev_)
    #else
      return Int(
        LAPACKE_dstev(LAPACK_ROW_MAJOR, z == nil ? jobN : jobV, Int32(n), d, e, z, Int32(n)))
    #endif
  }
}

#if canImport(Accelerate)
  // Accelerate ships LAPACK's Fortran-style interface (column-major, arguments by pointer),
  // not LAPACKE. A symmetric input reads the same in either order; the eigenvectors come back
  // column-major and are transposed to the row-major "vectors as columns" layout promised above.
  // NOTE: written against Accelerate's CLAPACK headers but not compiled here (no Apple machine
  // in this project's CI); the Linux path is the tested one.

  typealias SyevdRoutine<T> = (
    UnsafeMutablePointer<CChar>, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<__CLPK_integer>,
    UnsafeMutablePointer<T>, UnsafeMutablePointer<__CLPK_integer>, UnsafeMutablePointer<T>,
    UnsafeMutablePointer<T>, UnsafeMutablePointer<__CLPK_integer>,
    UnsafeMutablePointer<__CLPK_integer>, UnsafeMutablePointer<__CLPK_integer>,
    UnsafeMutablePointer<__CLPK_integer>
  ) -> Int32

  typealias StevRoutine<T> = (
    UnsafeMutablePointer<CChar>, UnsafeMutablePointer<__CLPK_integer>, UnsafeMutablePointer<T>,
    UnsafeMutablePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<__CLPK_integer>,
    UnsafeMutablePointer<T>, UnsafeMutablePointer<__CLPK_integer>
  ) -> Int32

  func transposeSquare<T>(_ a: UnsafeMutablePointer<T>, _ n: Int) {
    for i in 0..<n {
      for j in (i + 1)..<max(i + 1, n) { swap(&a[i * n + j], &a[j * n + i]) }
    }
  }

  func accelerateSymmetricEigen<T: BinaryFloatingPoint>(
    n: Int, a: UnsafeMutablePointer<T>, eigenvalues: UnsafeMutablePointer<T>, vectors: Bool,
    _ routine: SyevdRoutine<T>
  ) -> Int {
    var job = vectors ? jobV : jobN
    var uplo = upper
    var size = __CLPK_integer(n)
    var lda = __CLPK_integer(max(n, 1))
    var info: __CLPK_integer = 0
    var workQuery = T(0)
    var iworkQuery: __CLPK_integer = 0
    var lwork: __CLPK_integer = -1
    var liwork: __CLPK_integer = -1
    _ = routine(
      &job, &uplo, &size, a, &lda, eigenvalues, &workQuery, &lwork, &iworkQuery, &liwork, &info)
    guard info == 0 else { return Int(info) }
    lwork = __CLPK_integer(workQuery)
    liwork = iworkQuery
    var work = [T](repeating: 0, count: max(Int(lwork), 1))
    var iwork = [__CLPK_integer](repeating: 0, count: max(Int(liwork), 1))
    _ = routine(&job, &uplo, &size, a, &lda, eigenvalues, &work, &lwork, &iwork, &liwork, &info)
    if info == 0 && vectors { transposeSquare(a, n) }
    return Int(info)
  }

  func accelerateTridiagonalEigen<T: BinaryFloatingPoint>(
    n: Int, d: UnsafeMutablePointer<T>, e: UnsafeMutablePointer<T>, z: UnsafeMutablePointer<T>?,
    _ routine: StevRoutine<T>
  ) -> Int {
    var job = z == nil ? jobN : jobV
    var size = __CLPK_integer(n)
    var ldz = __CLPK_integer(max(n, 1))
    var info: __CLPK_integer = 0
    var work = [T](repeating: 0, count: max(1, 2 * n - 2))
    var unused = T(0)
    if let z {
      _ = routine(&job, &size, d, e, z, &ldz, &work, &info)
      if info == 0 { transposeSquare(z, n) }
    } else {
      _ = routine(&job, &size, d, e, &unused, &ldz, &work, &info)
    }
    return Int(info)
  }
#endif
