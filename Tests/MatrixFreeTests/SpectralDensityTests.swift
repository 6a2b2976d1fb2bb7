// Stochastic Lanczos quadrature: nodes and weights on known spectra, moments within the
// estimator's error, normalization of the smoothed density.

import MatrixFree
import TensorCore
import Testing

/// The trapezoid integral of the density over its grid.
func integral(_ d: SpectralDensity) -> Double {
  var total = 0.0
  for i in 1..<d.grid.count {
    let height: Double = 0.5 * (d.density[i - 1] + d.density[i])
    total += height * (d.grid[i] - d.grid[i - 1])
  }
  return total
}

func slqOnADiagonalMatrix<S: TensorScalar>(_: S.Type) throws {
  // Six distinct eigenvalues, ten copies each: every Krylov space is invariant after 6 steps,
  // the nodes are the eigenvalues and (Rademacher probes) every weight is exactly 10/60.
  let distinct: [Double] = [-4, -1, 0.5, 2, 3, 9]
  let spectrum = KnownSpectrum<S>((0..<60).map { distinct[$0 % 6] }, rotated: false)
  var g = SeededGenerator(seed: 31)
  let density = try spectralDensity(
    of: spectrum.dense, lanczosSteps: 20, probeCount: 3, blockSize: 3, using: &g)
  let atol = S.self == Double.self ? 1e-10 : 1e-4
  #expect(density.nodes.count == 3 && density.weights.count == 3)
  #expect(density.matvecCount == 18)
  for (nodes, weights) in zip(density.nodes, density.weights) {
    #expect(nodes.count == 6)
    for (node, expected) in zip(nodes, distinct) { expectClose(node, expected, atol: atol) }
    for weight in weights { expectClose(weight, 1.0 / 6, atol: atol) }
    expectClose(weights.reduce(0, +), 1, atol: 1e-12)
  }
  expectClose(integral(density), 1, atol: 1e-12)
  expectClose(density.massBeforeNormalization, 1, atol: 1e-3)
}

@Test func slqNodesSitAtEigenvaluesDouble() throws { try slqOnADiagonalMatrix(Double.self) }
@Test func slqNodesSitAtEigenvaluesFloat() throws { try slqOnADiagonalMatrix(Float.self) }

@Test(arguments: [true, false]) func slqMomentsMatchTraceAndFrobenius(reorthogonalize: Bool) throws
{
  let spectrum = KnownSpectrum<Double>(mixedSpectrum)
  var g = SeededGenerator(seed: 32)
  let density = try spectralDensity(
    of: spectrum.dense, lanczosSteps: 30, probeCount: 24, reorthogonalize: reorthogonalize,
    using: &g)
  #expect(density.matvecCount == 24 * 30)
  let n = Double(spectrum.n)
  for (order, exact) in [(1, spectrum.trace), (2, spectrum.frobeniusSquared)] {
    let perProbe = zip(density.nodes, density.weights).map { nodes, weights -> Double in
      var sum = 0.0
      for (node, weight) in zip(nodes, weights) {
        sum += weight * (order == 2 ? node * node : node)
      }
      return n * sum
    }
    let mean = perProbe.reduce(0, +) / Double(perProbe.count)
    let variance =
      perProbe.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(perProbe.count - 1)
    let standardError = (variance / Double(perProbe.count)).squareRoot()
    expectClose(n * density.moment(order), mean, rtol: 1e-12)
    #expect(
      Swift.abs(mean - exact) <= 3 * standardError,
      "order \(order): \(mean) vs \(exact) ± \(standardError)")
  }
  expectClose(density.traceEstimate, n * density.moment(1), rtol: 1e-12)
  for weights in density.weights { expectClose(weights.reduce(0, +), 1, atol: 1e-10) }
  expectClose(integral(density), 1, atol: 1e-12)
  expectClose(density.massBeforeNormalization, 1, atol: 1e-3)
  // The extreme nodes find the extreme eigenvalues (Lanczos' strength).
  let all = density.nodes.flatMap { $0 }
  expectClose(all.max() ?? 0, 100, rtol: 1e-6)
  expectClose(all.min() ?? 0, -40, rtol: 1e-6)
}

@Test func slqFirstMomentsDoNotDependOnReorthogonalization() throws {
  // alpha_1 = uᵀAu and beta_1 are computed before any reorthogonalization matters.
  let spectrum = KnownSpectrum<Double>(mixedSpectrum)
  var g1 = SeededGenerator(seed: 33)
  var g2 = SeededGenerator(seed: 33)
  let full = try spectralDensity(of: spectrum.dense, lanczosSteps: 15, using: &g1)
  let plain = try spectralDensity(
    of: spectrum.dense, lanczosSteps: 15, reorthogonalize: false, using: &g2)
  expectClose(full.moment(1), plain.moment(1), rtol: 1e-10)
  expectClose(full.moment(2), plain.moment(2), rtol: 1e-10)
}

@Test func kernelWidthRules() throws {
  var g = SeededGenerator(seed: 34)
  let spectrum = KnownSpectrum<Double>(linspace(0, 200, 150))
  let papyan = try spectralDensity(of: spectrum.dense, lanczosSteps: 40, using: &g)
  let m = Double(papyan.nodes[0].count)
  let width = (papyan.nodes[0].max() ?? 0) - (papyan.nodes[0].min() ?? 0)
  expectClose(
    papyan.kernelWidth, 1.1 * width / ((m - 1) * (8 * Double.log(3)).squareRoot()), rtol: 1e-12)
  #expect(papyan.kernelWidthRule == .automatic)
  // PyHessian: variance 1e-5 * max(1, width + 0.02): sigma 0.045 for a width of 200.
  let py = try spectralDensity(
    of: spectrum.dense, lanczosSteps: 40, gridPoints: 10000, kernelWidth: .pyHessian, using: &g)
  let pyWidth = (py.nodes[0].max() ?? 0) - (py.nodes[0].min() ?? 0) + 0.02
  expectClose(py.kernelWidth, (1e-5 * pyWidth).squareRoot(), rtol: 1e-12)
  expectClose(integral(py), 1, atol: 1e-9)
  let absolute = try spectralDensity(
    of: spectrum.dense, lanczosSteps: 10, kernelWidth: .absolute(2.5), using: &g)
  #expect(absolute.kernelWidth == 2.5)
  let relative = try spectralDensity(
    of: spectrum.dense, lanczosSteps: 10, kernelWidth: .relativeToSpectrumWidth(0.01), using: &g)
  let relativeWidth = (relative.nodes[0].max() ?? 0) - (relative.nodes[0].min() ?? 0)
  expectClose(relative.kernelWidth, 0.01 * relativeWidth, rtol: 1e-12)
}

@Test func slqOnTheSeedHessian() throws {
  // Five distinct eigenvalues: the quadrature is exact after at most 5 steps.
  var g = SeededGenerator(seed: 35)
  let density = try spectralDensity(
    of: DenseOperator(seedHessian(Double.self)), lanczosSteps: 6, probeCount: 2, using: &g)
  let exact = [-2.828427, -2.032250, 0, 2.828427, 122.032250]
  for nodes in density.nodes {
    for node in nodes {
      #expect(exact.contains { Swift.abs($0 - node) < 1e-6 }, "node \(node)")
    }
  }
  expectClose(density.traceEstimate / 6, density.moment(1), rtol: 1e-12)
}

/// The exact variance of Hutchinson's Rademacher sample `zᵀ A z` (each SLQ probe's trace
/// estimate): `2 (||A||_F^2 - sum_i A_ii^2)`, from the dense matrix.
func rademacherSampleVariance(_ spectrum: KnownSpectrum<Double>) -> Double {
  let diagonalSquares = spectrum.diagonal.reduce(0) { $0 + $1 * $1 }
  return 2 * (spectrum.frobeniusSquared - diagonalSquares)
}

@Test func slqTraceLandsWithinFourStandardErrorsOfTheExactTrace() throws {
  // A dense operator of known trace; 16 probes of 10 steps, over 12 seeds. (A standard error
  // too small by a factor sqrt(P) = 4 would put seed 407 at 7 standard errors.)
  let spectrum = KnownSpectrum<Double>(mixedSpectrum)
  for seed in 0..<12 {
    var g = SeededGenerator(seed: UInt64(400 + seed))
    let density = try spectralDensity(
      of: spectrum.dense, lanczosSteps: 10, probeCount: 16, using: &g)
    let error = try #require(density.traceStandardError)
    #expect(error > 0)
    #expect(
      Swift.abs(density.traceEstimate - spectrum.trace) <= 4 * error,
      "seed \(seed): \(density.traceEstimate) ± \(error) vs \(spectrum.trace)")
  }
}

@Test func slqTraceStandardErrorShrinksLikeOneOverRootProbes() throws {
  // E[standardError^2] = Var[zᵀAz] / P exactly (the sample variance is unbiased): the RMS over
  // seeds is sigma / sqrt(P), a factor 4 from 4 to 64 probes.
  let spectrum = KnownSpectrum<Double>(mixedSpectrum)
  let sigma = rademacherSampleVariance(spectrum).squareRoot()
  func rmsStandardError(_ probes: Int) throws -> Double {
    let squares = try (0..<16).map { seed -> Double in
      var g = SeededGenerator(seed: UInt64(500 + seed))
      let density = try spectralDensity(
        of: spectrum.dense, lanczosSteps: 4, probeCount: probes, using: &g)
      let error = try #require(density.traceStandardError)
      return error * error
    }
    return (squares.reduce(0, +) / Double(squares.count)).squareRoot()
  }
  let few = try rmsStandardError(4)
  let many = try rmsStandardError(64)
  expectClose(few, sigma / 2, rtol: 0.35, "4 probes")
  expectClose(many, sigma / 8, rtol: 0.2, "64 probes")
  #expect(few / many > 3 && few / many < 5.3, "ratio \(few / many), 1/sqrt(P) gives 4")
}

@Test func slqPerProbeTracesAreRademacherQuadraticForms() throws {
  // Every probe's n sum_j w_j theta_j must be zᵀHz for one of the 64 sign vectors z, even
  // after a single Lanczos step (the hand-worked seed Hessian; n = 6).
  let h = seedHessian(Double.self).scalars
  let forms = (0..<64).map { bits -> Double in
    let z = (0..<6).map { (bits >> $0) & 1 == 1 ? -1.0 : 1.0 }
    var sum = 0.0
    for i in 0..<6 { for j in 0..<6 { sum += z[i] * h[i * 6 + j] * z[j] } }
    return sum
  }
  for steps in [1, 3] {
    var g = SeededGenerator(seed: 36)
    let density = try spectralDensity(
      of: DenseOperator(seedHessian(Double.self)), lanczosSteps: steps, probeCount: 8, using: &g)
    let samples = density.probeTraceEstimates
    #expect(samples.count == 8)
    for sample in samples {
      #expect(forms.contains { Swift.abs($0 - sample) < 1e-9 }, "\(sample) is no zᵀHz")
    }
    let mean = samples.reduce(0, +) / 8
    let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 7
    expectClose(density.traceEstimate, mean, rtol: 1e-12)
    expectClose(try #require(density.traceStandardError), (variance / 8).squareRoot(), rtol: 1e-9)
  }
  // A single probe has no spread to measure.
  var g = SeededGenerator(seed: 37)
  let one = try spectralDensity(
    of: DenseOperator(seedHessian(Double.self)), lanczosSteps: 3, probeCount: 1, using: &g)
  #expect(one.traceStandardError == nil)
}

@Test func slqTraceOfADiagonalOperatorHasNoSpread() throws {
  // zᵀDz = tr(D) for every Rademacher z: each probe gives the exact trace, the error bar is 0.
  let spectrum = KnownSpectrum<Double>(linspace(-3, 12, 40), rotated: false)
  var g = SeededGenerator(seed: 38)
  let density = try spectralDensity(
    of: spectrum.dense, lanczosSteps: 5, probeCount: 5, using: &g)
  for sample in density.probeTraceEstimates { expectClose(sample, spectrum.trace, atol: 1e-10) }
  expectClose(try #require(density.traceStandardError), 0, atol: 1e-10)
}
