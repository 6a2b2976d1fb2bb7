// The Hutchinson diagonal estimate: convergence to the true diagonal, honest standard errors.

import MatrixFree
import TensorCore
import Testing

func diagonalEstimateIsHonest<S: TensorScalar>(_: S.Type) throws {
  let spectrum = KnownSpectrum<S>(linspace(-10, 30, 100), seed: 21)
  let exact = spectrum.diagonal
  var g = SeededGenerator(seed: 22)
  let estimate = try diagonalEstimate(of: spectrum.dense, matvecCount: 400, using: &g)
  #expect(estimate.diagonal.shape == [100] && estimate.standardErrors.shape == [100])
  #expect(estimate.matvecCount == 400 && estimate.sampleCount == 400)
  let d = estimate.diagonal.scalars.map { Double($0) }
  let se = estimate.standardErrors.scalars.map { Double($0) }
  let z = (0..<100).map { (d[$0] - exact[$0]) / se[$0] }
  #expect(z.filter { Swift.abs($0) < 3 }.count >= 97, "z-scores \(z)")
  let meanSquare = z.reduce(0) { $0 + $1 * $1 } / 100
  #expect(meanSquare > 0.6 && meanSquare < 1.4, "mean z^2 \(meanSquare)")
  // The Rademacher variance of entry i is sum_{j != i} a_ij^2.
  let a = spectrum.matrix.scalars.map { Double($0) }
  for i in [0, 50, 99] {
    var offDiagonal = 0.0
    for j in 0..<100 where j != i { offDiagonal += a[i * 100 + j] * a[i * 100 + j] }
    expectClose(se[i], (offDiagonal / 400).squareRoot(), rtol: 0.2)
  }
}

@Test func diagonalEstimateDouble() throws { try diagonalEstimateIsHonest(Double.self) }
@Test func diagonalEstimateFloat() throws { try diagonalEstimateIsHonest(Float.self) }

@Test func diagonalEstimateConverges() throws {
  let spectrum = KnownSpectrum<Double>(linspace(-10, 30, 100), seed: 21)
  let exact = spectrum.diagonal
  func rmsError(_ budget: Int) throws -> Double {
    var g = SeededGenerator(seed: 23)
    let d = try diagonalEstimate(
      of: spectrum.dense, matvecCount: budget, distribution: .gaussian, using: &g
    ).diagonal.scalars
    var sum = 0.0
    for i in 0..<100 { sum += (d[i] - exact[i]) * (d[i] - exact[i]) }
    return (sum / 100).squareRoot()
  }
  let small = try rmsError(100)
  let large = try rmsError(1600)
  #expect(large < small / 2, "RMS error \(small) at 100 products, \(large) at 1600")
}

@Test func diagonalOfADiagonalMatrixIsExactWithRademacherProbes() throws {
  let spectrum = KnownSpectrum<Double>(linspace(-3, 7, 40), rotated: false)
  var g = SeededGenerator(seed: 24)
  let estimate = try diagonalEstimate(of: spectrum.dense, matvecCount: 3, using: &g)
  for (value, expected) in zip(estimate.diagonal.scalars, spectrum.eigenvalues) {
    expectClose(value, expected, atol: 1e-12)
  }
  #expect(estimate.standardErrors.scalars.allSatisfy { $0 < 1e-12 })
}
