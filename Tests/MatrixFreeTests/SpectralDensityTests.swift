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
