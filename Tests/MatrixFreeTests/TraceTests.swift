// Hutchinson and Hutch++: unbiasedness within the reported standard error across fixed seeds,
// convergence as the budget grows, and Hutch++'s advantage on a spectrum with a few outliers.

import MatrixFree
import TensorCore
import Testing

/// A spectrum dominated by five large eigenvalues above a bulk in [0, 1] (n = 150).
let outlierSpectrum: [Double] = [1000, 900, 800, 700, 600] + linspace(0, 1, 145)

/// Over 20 fixed seeds the estimate must lie within 3 standard errors of the exact trace at
/// least 19 times (each miss has probability ~0.3% for a normal mean; the t-distribution with
/// 63 degrees of freedom barely changes that), and the mean squared z-score must be near 1.
func checkWithinStandardErrors(
  _ estimates: [TraceEstimate], exact: Double, sourceLocation: SourceLocation = #_sourceLocation
) {
  checkWithinStandardErrors(
    estimates.map { ($0.estimate, $0.standardError) }, exact: exact,
    sourceLocation: sourceLocation)
}

/// The same check on `(estimate, standardError)` pairs.
func checkWithinStandardErrors(
  _ estimates: [(estimate: Double, standardError: Double)], exact: Double,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let z = estimates.map { ($0.estimate - exact) / $0.standardError }
  let within = z.filter { Swift.abs($0) <= 3 }.count
  #expect(within >= estimates.count - 1, "z-scores \(z)", sourceLocation: sourceLocation)
  let meanSquare = z.reduce(0) { $0 + $1 * $1 } / Double(z.count)
  #expect(
    meanSquare > 0.3 && meanSquare < 2, "mean z^2 \(meanSquare)", sourceLocation: sourceLocation)
}

func hutchinsonIsUnbiased<S: TensorScalar>(_: S.Type, distribution: ProbeDistribution) throws {
  let spectrum = KnownSpectrum<S>(mixedSpectrum)
  let estimates = try (1...20).map { seed -> TraceEstimate in
    var g = SeededGenerator(seed: UInt64(seed))
    let estimate = try hutchinsonTrace(
      of: spectrum.dense, distribution: distribution, targetRelativeError: 0, maxMatvecs: 64,
      using: &g)
    #expect(estimate.matvecCount == 64 && estimate.sampleCount == 64 && !estimate.converged)
    return estimate
  }
  checkWithinStandardErrors(estimates, exact: spectrum.trace)
}

@Test(arguments: ProbeDistribution.allCases) func hutchinsonWithinStandardErrors(
  distribution: ProbeDistribution
) throws {
  try hutchinsonIsUnbiased(Double.self, distribution: distribution)
  try hutchinsonIsUnbiased(Float.self, distribution: distribution)
}

@Test func hutchinsonErrorShrinksWithTheBudget() throws {
  // curvlinops' check_estimator_convergence idea: the RMS error over seeds falls like
  // 1/sqrt(matvecs) (a factor 4 from 16 to 256 products; require 2).
  let spectrum = KnownSpectrum<Double>(mixedSpectrum)
  func rmsError(_ budget: Int) throws -> Double {
    let errors = try (1...12).map { seed -> Double in
      var g = SeededGenerator(seed: UInt64(100 + seed))
      let e = try hutchinsonTrace(
        of: spectrum.dense, targetRelativeError: 0, maxMatvecs: budget, using: &g)
      return (e.estimate - spectrum.trace) * (e.estimate - spectrum.trace)
    }
    return (errors.reduce(0, +) / Double(errors.count)).squareRoot()
  }
  let small = try rmsError(16)
  let large = try rmsError(256)
  #expect(large < small / 2, "RMS error \(small) at 16 products, \(large) at 256")
  // The standard error matches the Rademacher variance 2 (||A||_F^2 - sum a_ii^2) / N.
  let a = spectrum.diagonal
  let variance = 2 * (spectrum.frobeniusSquared - a.reduce(0) { $0 + $1 * $1 })
  var g = SeededGenerator(seed: 5)
  let e = try hutchinsonTrace(
    of: spectrum.dense, targetRelativeError: 0, maxMatvecs: 1000, using: &g)
  expectClose(e.standardError, (variance / 1000).squareRoot(), rtol: 0.15)
}

@Test func hutchinsonStopsOnTheStandardError() throws {
  let spectrum = KnownSpectrum<Double>(mixedSpectrum)
  var g = SeededGenerator(seed: 6)
  let e = try hutchinsonTrace(of: spectrum.dense, targetRelativeError: 0.03, using: &g)
  #expect(e.converged && e.sampleCount >= 10 && e.matvecCount < 1000)
  #expect(e.standardError <= 0.03 * Swift.abs(e.estimate))
  // A budget too small for the target: not converged, and the error says how far it is.
  let short = try hutchinsonTrace(
    of: spectrum.dense, targetRelativeError: 1e-3, maxMatvecs: 40, using: &g)
  #expect(!short.converged && short.matvecCount == 40)
  #expect(short.standardError > 1e-3 * Swift.abs(short.estimate))
}

@Test func hutchPlusPlusWithinStandardErrors() throws {
  let spectrum = KnownSpectrum<Double>(outlierSpectrum)
  let estimates = try (1...20).map { seed -> TraceEstimate in
    var g = SeededGenerator(seed: UInt64(seed))
    let e = try hutchPlusPlusTrace(of: spectrum.dense, matvecCount: 60, using: &g)
    #expect(e.matvecCount == 60 && e.lowRankDimension == 20 && e.sampleCount == 20)
    return e
  }
  checkWithinStandardErrors(estimates, exact: spectrum.trace)
}

@Test(arguments: ProbeDistribution.allCases) func hutchPlusPlusBeatsHutchinsonOnOutliers(
  distribution: ProbeDistribution
) throws {
  // Five eigenvalues carry almost all of ||A||_F: Hutch++ removes them exactly.
  let spectrum = KnownSpectrum<Double>(outlierSpectrum)
  var squaredHutchinson = 0.0
  var squaredPlusPlus = 0.0
  for seed in 1...6 {
    var g = SeededGenerator(seed: UInt64(seed))
    let h = try hutchinsonTrace(
      of: spectrum.dense, distribution: distribution, targetRelativeError: 0, maxMatvecs: 60,
      using: &g)
    let p = try hutchPlusPlusTrace(
      of: spectrum.dense, matvecCount: 60, distribution: distribution, using: &g)
    squaredHutchinson += (h.estimate - spectrum.trace) * (h.estimate - spectrum.trace)
    squaredPlusPlus += (p.estimate - spectrum.trace) * (p.estimate - spectrum.trace)
  }
  #expect(
    squaredPlusPlus.squareRoot() < squaredHutchinson.squareRoot() / 10,
    "RMS error Hutch++ \(squaredPlusPlus.squareRoot()) vs Hutchinson \(squaredHutchinson.squareRoot())"
  )
}

@Test func adaptiveHutchPlusPlusReachesItsTarget() throws {
  let spectrum = KnownSpectrum<Float>(outlierSpectrum)
  var g = SeededGenerator(seed: 12)
  let e = try hutchPlusPlusTrace(
    of: spectrum.dense, lowRankDimension: 8, targetRelativeError: 1e-3, using: &g)
  #expect(e.converged && e.standardError <= 1e-3 * Swift.abs(e.estimate))
  #expect(e.matvecCount < 100, "matvecs \(e.matvecCount)")
  expectClose(e.estimate, spectrum.trace, rtol: 4e-3)
  // Plain Hutchinson cannot reach 1e-3 within 1000 products here.
  let h = try hutchinsonTrace(of: spectrum.dense, targetRelativeError: 1e-3, using: &g)
  #expect(!h.converged)
}

@Test func hutchPlusPlusIsExactOnLowRank() throws {
  let spectrum = KnownSpectrum<Double>([5, 4, 3, -2, 1] + [Double](repeating: 0, count: 45))
  var g = SeededGenerator(seed: 13)
  let e = try hutchPlusPlusTrace(of: spectrum.dense, matvecCount: 30, using: &g)
  #expect(e.lowRankDimension == 5)
  expectClose(e.estimate, 11, atol: 1e-9)
  #expect(e.standardError < 1e-9)
}
