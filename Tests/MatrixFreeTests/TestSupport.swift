// Test helpers for MatrixFree: operators with known spectra and tolerance checks.
// (Kept in the test target: _TestSupport is not yet available to MatrixFreeTests.)

import MatrixFree
import TensorCore
import Testing
import _TestSupport

/// An orthogonal matrix whose rows are the eigenvectors of a random symmetric matrix (LAPACK
/// dsyevd in Double), so that `Q diag(lambda) Qᵀ` has exactly the chosen spectrum.
func randomOrthogonalRows(_ n: Int, seed: UInt64) -> [Double] {
  var generator = SeededGenerator(seed: seed)
  let g = Tensor<Double>(randomNormal: [n, n], using: &generator)
  var a = (g + g.transposed()).scalars
  var values = [Double](repeating: 0, count: n)
  let info = a.withUnsafeMutableBufferPointer { ap in
    values.withUnsafeMutableBufferPointer { vp in
      Double.symmetricEigen(n: n, a: ap.baseAddress!, eigenvalues: vp.baseAddress!, vectors: true)
    }
  }
  precondition(info == 0, "dsyevd failed: \(info)")
  // a holds eigenvectors as columns; return them as rows.
  var q = [Double](repeating: 0, count: n * n)
  for i in 0..<n { for j in 0..<n { q[j * n + i] = a[i * n + j] } }
  return q
}

/// A symmetric matrix with the given spectrum and its eigenvectors (rows, matching order).
struct KnownSpectrum<S: TensorScalar> {
  let eigenvalues: [Double]
  let matrix: Tensor<S>
  let eigenvectors: [[Double]]
  var n: Int { eigenvalues.count }
  var trace: Double { eigenvalues.reduce(0, +) }
  var frobeniusSquared: Double { eigenvalues.reduce(0) { $0 + $1 * $1 } }
  var dense: DenseOperator<S> { DenseOperator(matrix) }

  /// `Q diag(lambda) Qᵀ` with a random orthogonal `Q` (or the identity when `rotated` is false).
  init(_ eigenvalues: [Double], rotated: Bool = true, seed: UInt64 = 7) {
    let n = eigenvalues.count
    self.eigenvalues = eigenvalues
    var q = [Double](repeating: 0, count: n * n)
    if rotated {
      q = randomOrthogonalRows(n, seed: seed)
    } else {
      for i in 0..<n { q[i * n + i] = 1 }
    }
    // A = Qᵀ diag(lambda) Q with the eigenvectors as the rows of Q (BLAS, in Double).
    let qt = Tensor<Double>(shape: [n, n], scalars: q)
    let scaled = qt * Tensor<Double>(shape: [n, 1], scalars: eigenvalues)
    var a = qt.matmul(scaled, transposeSelf: true).scalars
    for i in 0..<n {
      for j in 0..<i {
        let m = (a[i * n + j] + a[j * n + i]) / 2
        a[i * n + j] = m
        a[j * n + i] = m
      }
    }
    matrix = Tensor(shape: [n, n], scalars: a.map { S($0) })
    eigenvectors = (0..<n).map { k in Array(q[k * n..<(k + 1) * n]) }
  }

  /// The exact diagonal.
  var diagonal: [Double] {
    let a = matrix.scalars
    return (0..<n).map { Double(a[$0 * n + $0]) }
  }

  /// The unit eigenvector of eigenvalue index `k`.
  func vector(_ k: Int) -> [Double] { eigenvectors[k] }
}

/// The seed-001 Hessian of the 2-2-1 linear net (seeds/README.md, computed exactly).
func seedHessian<S: TensorScalar>(_: S.Type = S.self) -> Tensor<S> {
  Seed001Oracle.hessianMatrix(S.self)
}

/// Rows of a [k, n] tensor as Double arrays.
func rows<S: TensorScalar>(_ t: Tensor<S>) -> [[Double]] {
  let n = t.shape[1]
  let s = t.scalars.map { Double($0) }
  return (0..<t.shape[0]).map { Array(s[$0 * n..<($0 + 1) * n]) }
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

/// `|a - b| <= atol + rtol |b|`, recorded with both values on failure.
func expectClose(
  _ a: Double, _ b: Double, rtol: Double = 0, atol: Double = 0, _ note: String = "",
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(
    Swift.abs(a - b) <= atol + rtol * Swift.abs(b),
    "\(a) vs expected \(b) (rtol \(rtol), atol \(atol)) \(note)", sourceLocation: sourceLocation)
}

/// Evenly spaced values from `a` to `b` inclusive.
func linspace(_ a: Double, _ b: Double, _ count: Int) -> [Double] {
  (0..<count).map { a + (b - a) * Double($0) / Double(Swift.max(count - 1, 1)) }
}

/// A spectrum of 200 with negative eigenvalues, a cluster at the top, a gap and a bulk:
/// -40, -39.5, -20, bulk in [-5, 20], 60, 99.8, 99.9, 100.
let mixedSpectrum: [Double] =
  [-40, -39.5, -20] + linspace(-5, 20, 193) + [60, 99.8, 99.9, 100]

/// Precision-dependent tolerances: Double tests check 1e-8 relative eigenvalues.
func eigenTolerance<S: TensorScalar>(_: S.Type) -> (solver: Double, check: Double) {
  S.self == Double.self ? (1e-10, 1e-8) : (1e-4, 1e-4)
}
