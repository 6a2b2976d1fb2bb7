// The 1,794-parameter tanh MLP on 64 samples: the operator against the dense Hessian built by
// finite differences of the gradient, and every MatrixFree estimator against the dense truth.

import Autodiff
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@Suite("Small MLP: operator and estimators against the dense Hessian")
struct SmallMLPTests {
  static let model = SmallMLP.model()
  static let loss = LossFunction.crossEntropy(.mean)

  /// The oracle: the dense Hessian by central differences (in Double) of the gradient of the
  /// full-batch loss, written directly with the model (one column per parameter, 3,588
  /// gradients), and its spectrum; computed once and shared by the tests.
  static let truth: (hessian: Tensor<Double>, eigenvalues: [Double], trace: Double) = {
    let x = SmallMLP.inputs()
    let labels = SmallMLP.labels()
    let h = numericalHessian(at: model.parameters.values) { p in
      gradient(at: p) { model.loss(loss, inputs: x, targets: .classes(labels), parameters: $0) }
    }
    let eigenvalues = try! symmetricEigendecomposition(of: h).eigenvalues.scalars
    return (h, eigenvalues, (0..<h.shape[0]).reduce(0.0) { $0 + h[$1, $1] })
  }()

  static func hessian() throws -> HessianOperator<Double> {
    try HessianOperator(model: model, loss: loss, data: SmallMLP.data())
  }

  /// The operator against the oracle on a random block (curvlinops' `compare_matmat`: two
  /// linear maps that agree on random vectors agree), and on the identity columns of a whole
  /// layer's bias.
  @Test func operatorEqualsTheFiniteDifferenceHessian() throws {
    let hessian = try Self.hessian()
    #expect(hessian.dimension == 1794)
    #expect(hessian.segments.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
    var generator = SeededGenerator(seed: 3)
    let block = Tensor<Double>(randomNormal: [16, 1794], using: &generator)
    let expected = block.matmul(Self.truth.hessian)
    let r = closeness(try hessian.apply(block), expected, rtol: 1e-6, atol: 1e-7)
    #expect(r.passes, "\(r)")
    // A selection's operator is the oracle's diagonal block of those parameters.
    let bias = hessian.segments[3]
    let selected = try HessianOperator(
      model: Self.model, loss: Self.loss, data: SmallMLP.data(), parameters: .matching("2.b*"))
    #expect(selected.scope == CurvatureScope(.parameters, name: "\"2.b*\""))
    #expect(selected.segments.map(\.name) == ["2.bias"] && selected.segments[0].offset == 0)
    let block30 = try DenseHessian(of: selected).matrix
    let oracle = diagonalBlock(Self.truth.hessian, bias.offset..<bias.offset + bias.count)
    let b = closeness(block30, oracle, rtol: 1e-6, atol: 1e-8)
    #expect(b.passes, "\(b)")
    // Applying twice gives the same result (curvlinops' compare_consecutive_matmats).
    #expect(try hessian.apply(block) == hessian.apply(block))
  }

  @Test func lanczosTopFiveAndBottomThreeMatchTheDenseEigenvalues() throws {
    let hessian = try Self.hessian()
    let exact = Self.truth.eigenvalues
    var generator = SeededGenerator(seed: 11)
    let top = try eigenpairs(
      of: hessian, count: 5, which: .largest, tolerance: 1e-9, maxMatvecs: 3000, using: &generator)
    let bottom = try eigenpairs(
      of: hessian, count: 3, which: .smallest, tolerance: 1e-9, maxMatvecs: 3000, using: &generator)
    #expect(top.allConverged && bottom.allConverged)
    #expect(allClose(top.eigenvalues, Array(exact.reversed().prefix(5)), rtol: 1e-6), "\(top.eigenvalues)")
    #expect(allClose(bottom.eigenvalues, Array(exact.prefix(3)), rtol: 1e-6), "\(bottom.eigenvalues)")
    #expect(hessian.hvpCount == top.matvecCount + bottom.matvecCount)
  }

  @Test func hutchinsonAndHutchPlusPlusLandWithinThreeStandardErrors() throws {
    let hessian = try Self.hessian()
    let exact = Self.truth.trace
    for seed in 0..<3 as Range<UInt64> {
      var generator = SeededGenerator(seed: seed)
      let h = try hutchinsonTrace(of: hessian, targetRelativeError: 0.05, maxMatvecs: 200, using: &generator)
      #expect(abs(h.estimate - exact) <= 3 * h.standardError, "seed \(seed): \(h) vs \(exact)")
      let pp = try hutchPlusPlusTrace(
        of: hessian, lowRankDimension: 8, targetRelativeError: 0.05, maxMatvecs: 200, using: &generator)
      #expect(abs(pp.estimate - exact) <= 3 * pp.standardError, "seed \(seed): \(pp) vs \(exact)")
    }
  }

  @Test func spectralDensityIntegratesToOneAndMatchesTraceAndFrobeniusNorm() throws {
    let hessian = try Self.hessian()
    let h = Self.truth.hessian
    let n = Double(h.shape[0])
    var generator = SeededGenerator(seed: 5)
    let probes = 8
    let density = try spectralDensity(
      of: hessian, lanczosSteps: 30, probeCount: probes, using: &generator)
    var integral = 0.0
    for i in 1..<density.grid.count {
      integral += (density.grid[i] - density.grid[i - 1]) * (density.density[i] + density.density[i - 1]) / 2
    }
    #expect(abs(integral - 1) < 1e-9, "integral \(integral)")
    // n * moment(k) is, probe by probe, z_pᵀ H^k z_p for a Rademacher z_p: Hutchinson's
    // estimator of tr(H^k), whose variance is 2 (||H^k||_F^2 - sum_i (H^k)_ii^2).
    let h2 = h.matmul(h)
    for (order, power) in [(1, h), (2, h2)] {
      let trace = (0..<h.shape[0]).reduce(0.0) { $0 + power[$1, $1] }
      let frobenius = power.dot(power)
      let diagonal = (0..<h.shape[0]).reduce(0.0) { $0 + power[$1, $1] * power[$1, $1] }
      let standardError = (2 * (frobenius - diagonal) / Double(probes)).squareRoot()
      let estimate = n * density.moment(order)
      #expect(abs(estimate - trace) <= 4 * standardError, "order \(order): \(estimate) vs \(trace) +- \(standardError)")
    }
    #expect(density.matvecCount == hessian.hvpCount)
  }
}
