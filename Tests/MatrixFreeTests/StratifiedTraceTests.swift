// Stratified Hutchinson against a dense symmetric matrix whose off-diagonal blocks dominate
// its Frobenius norm: unbiased within its standard error across seeds, a standard error that
// matches the exact per-block Rademacher variances, far below Hutchinson's on the full matrix,
// Neyman allocation (none beyond the pilot for a block without variance), and the stop rule.

import MatrixFree
import TensorCore
import Testing

@Suite("Stratified Hutchinson")
struct StratifiedTraceTests {
  /// Block sizes: two dense blocks and a diagonal one (whose Rademacher samples are exact).
  static let sizes = [20, 30, 10]
  static let n = sizes.reduce(0, +)

  /// `A = (B + Bᵀ) / 2` for a standard normal `B`, with its dense diagonal blocks scaled by 0.3
  /// and the third diagonal block replaced by a diagonal matrix: the off-diagonal blocks carry
  /// most of `||A||_F`.
  static let matrix: [[Double]] = {
    var g = SeededGenerator(seed: 81)
    let b = Tensor<Double>(randomNormal: [n, n], using: &g).scalars
    let offsets = [0, 20, 50, 60]
    func block(_ i: Int) -> Int { offsets.lastIndex { $0 <= i }! }
    return (0..<n).map { i in
      (0..<n).map { j in
        let a = (b[i * n + j] + b[j * n + i]) / 2
        switch (block(i), block(j)) {
        case (2, 2): return i == j ? Double(i - 45) / 4 : 0
        case let (x, y) where x == y: return 0.3 * a
        default: return a
        }
      }
    }
  }()

  static let offsets = [0, 20, 50]

  static func blockRows(_ l: Int) -> [[Double]] {
    let range = offsets[l]..<offsets[l] + sizes[l]
    return range.map { i in range.map { matrix[i][$0] } }
  }

  static func strata() -> [DenseOperator<Double>] {
    sizes.indices.map { l in
      DenseOperator(Tensor(shape: [sizes[l], sizes[l]], scalars: blockRows(l).flatMap { $0 }))
    }
  }

  static let exactTrace = (0..<n).reduce(0.0) { $0 + matrix[$1][$1] }

  /// One Rademacher sample's variance on a matrix: `2 (||M||_F^2 - sum m_ii^2)`.
  static func rademacherVariance(_ rows: [[Double]]) -> Double {
    var total = 0.0
    for i in rows.indices {
      for j in rows.indices where i != j { total += rows[i][j] * rows[i][j] }
    }
    return 2 * total
  }

  @Test func unbiasedWithinItsStandardError() throws {
    let estimates = try (1...20).map { seed -> (estimate: Double, standardError: Double) in
      var g = SeededGenerator(seed: UInt64(seed))
      let e = try stratifiedTrace(
        of: Self.strata(), targetRelativeError: 0, maxMatvecs: 120, using: &g)
      #expect(e.matvecCount <= 120 && e.matvecCount >= 110 && !e.converged)
      #expect(e.strata.map(\.sampleCount).reduce(0, +) == e.matvecCount)
      return (e.estimate, e.standardError)
    }
    checkWithinStandardErrors(estimates, exact: Self.exactTrace)
  }

  @Test func standardErrorMatchesTheBlockVariancesAndBeatsHutchinson() throws {
    let variances = Self.sizes.indices.map { Self.rademacherVariance(Self.blockRows($0)) }
    #expect(variances[2] == 0)
    var g = SeededGenerator(seed: 82)
    let e = try stratifiedTrace(
      of: Self.strata(), targetRelativeError: 0, maxMatvecs: 2000, using: &g)
    let counts = e.strata.map { Double($0.sampleCount) }
    let predicted = zip(variances, counts).reduce(0) { $0 + $1.0 / $1.1 }.squareRoot()
    expectClose(e.standardError, predicted, rtol: 0.15)
    // Neyman: the diagonal block keeps its pilot, the others split in proportion to their
    // standard deviations.
    #expect(e.strata[2].sampleCount == 8 && e.strata[2].standardError == 0)
    let ratio = counts[1] / counts[0]
    let expected = (variances[1] / variances[0]).squareRoot()
    expectClose(ratio, expected, rtol: 0.2)
    // Each block's estimate is its own trace's.
    for l in 0..<2 {
      let exact = Self.blockRows(l).indices.reduce(0.0) { $0 + Self.blockRows(l)[$1][$1] }
      #expect(Swift.abs(e.strata[l].estimate - exact) <= 4 * e.strata[l].standardError)
    }
    // Hutchinson on the whole matrix pays for the off-diagonal blocks.
    let full = DenseOperator(
      Tensor<Double>(shape: [Self.n, Self.n], scalars: Self.matrix.flatMap { $0 }))
    let hutchinson = try hutchinsonTrace(
      of: full, targetRelativeError: 0, maxMatvecs: 2000, using: &g)
    expectClose(
      hutchinson.standardError, (Self.rademacherVariance(Self.matrix) / 2000).squareRoot(),
      rtol: 0.15)
    #expect(e.standardError < hutchinson.standardError / 2.5)
  }

  @Test func stopsOnTheStandardErrorOrTheBudget() throws {
    var g = SeededGenerator(seed: 83)
    let e = try stratifiedTrace(of: Self.strata(), targetRelativeError: 0.05, using: &g)
    #expect(e.converged && e.standardError <= 0.05 * Swift.abs(e.estimate))
    #expect(e.matvecCount < 10_000)
    let short = try stratifiedTrace(
      of: Self.strata(), targetRelativeError: 1e-4, maxMatvecs: 40, using: &g)
    #expect(!short.converged && short.matvecCount <= 40)
    #expect(short.standardError > 1e-4 * Swift.abs(short.estimate))
  }

  @Test func diagonalBlocksAreExactAfterThePilot() throws {
    let strata = [4, 7].map { m in
      DenseOperator(
        Tensor<Double>(
          shape: [m, m], scalars: (0..<m * m).map { $0 % (m + 1) == 0 ? Double($0) : 0 }))
    }
    var g = SeededGenerator(seed: 84)
    let e = try stratifiedTrace(of: strata, pilotSampleCount: 3, using: &g)
    let exact = [4, 7].reduce(0.0) { total, m in
      total + (0..<m).reduce(0.0) { $0 + Double($1 * (m + 1)) }
    }
    #expect(e.estimate == exact && e.standardError == 0 && e.converged && e.matvecCount == 6)
  }
}
