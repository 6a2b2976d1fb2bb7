// The guard against missed eigenvalues (MissCheck): a start with no component along one of the
// wanted eigenvectors makes the old stopping rule return a wrong eigenvalue flagged converged;
// the deflation check must find it. Oracle: operators with a known spectrum
// (PrescribedSpectrumOperator, random eigenvectors) and hand-set budgets.

import MatrixFree
import TensorCore
import Testing
import _TestSupport

@Suite("MissCheck: no silently missed eigenvalues")
struct MissCheckTests {
  static let spectrum = trainedLikeSpectrum(dimension: 1500)

  /// A Gaussian start with its components along the eigenvectors `removed` projected out.
  static func start(_ a: PrescribedSpectrumOperator<Double>, removing removed: [Int]) -> Tensor<
    Double
  > {
    var generator = SeededGenerator(seed: 11)
    var x = Tensor<Double>(randomNormal: [a.dimension], using: &generator).scalars
    for index in removed {
      let v = a.eigenvector(index)
      let c = zip(x, v).reduce(0) { $0 + $1.0 * $1.1 }
      for i in x.indices { x[i] -= c * v[i] }
    }
    return Tensor(shape: [1, a.dimension], scalars: x)
  }

  @Test("A start blind to the 5th eigenvector: the old rule misses it, the default finds it")
  func blindStartLargest() throws {
    let a = PrescribedSpectrumOperator<Double>(eigenvalues: Self.spectrum, seed: 3)
    let blind = Self.start(a, removing: [4])
    var g1 = SeededGenerator(seed: 0)
    let old = try eigenpairs(
      of: a, count: 5, which: .largest, startingBlock: blind, missCheck: .off, using: &g1)
    // The failure this check exists for: all five flagged converged, the fifth is lambda_6.
    #expect(old.allConverged)
    #expect(abs(old.eigenvalues[4] - Self.spectrum[5]) < 1e-6, "\(old.eigenvalues)")
    #expect(old.missCheck == nil && !old.verified)

    var g2 = SeededGenerator(seed: 0)
    let checked = try eigenpairs(
      of: a, count: 5, which: .largest, startingBlock: blind, using: &g2)
    // Eigenvalue errors at tolerance 1e-3 are about residual^2 / gap (below 1e-5 relative
    // here); a miss is 2-10% off.
    for i in 0..<5 { expectClose(checked.eigenvalues[i], Self.spectrum[i], rtol: 1e-4) }
    #expect(checked.allConverged && checked.verified)
    let report = try #require(checked.missCheck)
    #expect(report.found >= 1 && report.checks == report.found + 1)
    // The next Ritz value is a lower bound of lambda_6 and lies below lambda_5.
    let next = try #require(report.nextRitzValues.first)
    #expect(next <= Self.spectrum[5] * (1 + 1e-9) && next < Self.spectrum[4])
    #expect(report.matvecCount >= MissCheck.standard.steps)
  }

  @Test("A start blind to two of the three most negative eigenvectors (smallest)")
  func blindStartSmallest() throws {
    let a = PrescribedSpectrumOperator<Double>(eigenvalues: Self.spectrum, seed: 5)
    let n = Self.spectrum.count
    let blind = Self.start(a, removing: [n - 2, n - 3])
    var generator = SeededGenerator(seed: 1)
    let result = try eigenpairs(
      of: a, count: 3, which: .smallest, maxMatvecs: 3000, startingBlock: blind,
      using: &generator)
    let truth = Array(Self.spectrum.suffix(3).reversed())
    // At tolerance 1e-3 the eigenvalue error is about residual^2 / gap, near 1e-5 relative for
    // these closely spaced negative eigenvalues; a miss would be 2-10% off.
    for i in 0..<3 { expectClose(result.eigenvalues[i], truth[i], rtol: 1e-4) }
    #expect(result.verified)
  }

  @Test("Both ends: a blind start at each end")
  func blindStartBothEnds() throws {
    let a = PrescribedSpectrumOperator<Double>(eigenvalues: Self.spectrum, seed: 9)
    let n = Self.spectrum.count
    let blind = Self.start(a, removing: [1, n - 2])
    var generator = SeededGenerator(seed: 2)
    let result = try eigenpairs(
      of: a, count: 2, which: .bothEnds, maxMatvecs: 3000, startingBlock: blind,
      using: &generator)
    let truth = [Self.spectrum[n - 1], Self.spectrum[n - 2], Self.spectrum[1], Self.spectrum[0]]
    for i in 0..<4 { expectClose(result.eigenvalues[i], truth[i], rtol: 1e-4) }
    #expect(result.verified)
    #expect(result.missCheck?.nextRitzValues.count == 2)
  }

  @Test("Miss rate on trained-like spectra: no miss in 30 seeds at k = 1, 3, 5")
  func missRate() throws {
    let spectrum = trainedLikeSpectrum(dimension: 1000)
    for k in [1, 3, 5] {
      var outcome = MissRateOutcome()
      for seed in 0..<30 {
        let a = PrescribedSpectrumOperator<Double>(eigenvalues: spectrum, seed: UInt64(seed))
        var generator = SeededGenerator(seed: UInt64(seed) + 100)
        let result = try eigenpairs(of: a, count: k, using: &generator)
        outcome.record(result, spectrum: spectrum, tolerance: 1e-3)
      }
      #expect(outcome.misses == 0 && outcome.verified == 30, "k = \(k): \(outcome)")
    }
  }

  @Test("A basis that spans the space is verified without a check; power iteration never is")
  func exhaustiveAndPower() throws {
    let a = DenseOperator(seedHessian(Double.self))
    var generator = SeededGenerator(seed: 0)
    let result = try eigenpairs(of: a, count: 1, using: &generator)
    expectClose(result.eigenvalues[0], 122.03225, rtol: 1e-7)
    #expect(result.verified)
    let power = try deflatedPowerIteration(of: a, count: 1, using: &generator)
    #expect(!power.verified && power.missCheck == nil)
  }

  @Test("A budget that ends inside the check leaves the pairs converged but not verified")
  func budgetInsideCheck() throws {
    let a = PrescribedSpectrumOperator<Double>(eigenvalues: Self.spectrum, seed: 4)
    var generator = SeededGenerator(seed: 0)
    let full = try eigenpairs(of: a, count: 1, using: &generator)
    let report = try #require(full.missCheck)
    #expect(full.verified && report.checks == 1 && report.matvecCount >= 10)
    var again = SeededGenerator(seed: 0)
    let cut = try eigenpairs(
      of: a, count: 1, maxMatvecs: full.matvecCount - 3, using: &again)
    #expect(cut.allConverged && !cut.verified)
    expectClose(cut.eigenvalues[0], Self.spectrum[0], rtol: 1e-6)
  }

  @Test("The minimum Krylov dimension (optional): no stop before max(2k + 1, 20) products")
  func minimumDimension() throws {
    let a = PrescribedSpectrumOperator<Double>(eigenvalues: Self.spectrum, seed: 4)
    var generator = SeededGenerator(seed: 0)
    let result = try eigenpairs(
      of: a, count: 1, tolerance: 0.5, missCheck: MissCheck(steps: 0, minimumMatvecCount: nil),
      using: &generator)
    #expect(result.matvecCount == 20)
    var again = SeededGenerator(seed: 0)
    let loose = try eigenpairs(
      of: a, count: 1, tolerance: 0.5, missCheck: .off, using: &again)
    #expect(loose.matvecCount < 20)
  }
}
