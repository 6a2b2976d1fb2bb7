// The 1,794-parameter tanh MLP on 64 samples: the operator against finite differences of the
// gradient, and every MatrixFree estimator against the dense Hessian.
//
// Cost note: a full finite-difference dense Hessian needs 3,588 gradients (about 8 s in a
// debug build on a shared core), twice the cost of assembling the exact dense matrix from the
// operator (1,794 products in blocks). So the exact dense matrix is the spectral truth, and
// it is validated against the finite-difference oracle where that is cheap and conclusive:
// on random directions (two linear maps that agree on random vectors agree: curvlinops'
// `compare_matmat`), and column by column on random coordinates and on a whole layer.

import Autodiff
import Foundation
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

  /// The dense Hessian assembled from the operator, its eigenvalues (ascending) and trace;
  /// computed once and shared by the tests.
  static let truthResult = Result {
    () throws -> (hessian: Tensor<Double>, eigenvalues: [Double], trace: Double) in
    let dense = try DenseHessian(of: hessian(), blockSize: 64)
    var a = dense.matrix
    let n = dense.dimension
    var values = [Double](repeating: 0, count: n)
    let info = a.withUnsafeMutableBufferPointer { ap in
      values.withUnsafeMutableBufferPointer { vp in
        Double.symmetricEigen(
          n: n, a: ap.baseAddress!, eigenvalues: vp.baseAddress!, vectors: false)
      }
    }
    precondition(info == 0, "dsyevd failed: \(info)")
    return (dense.matrix, values, dense.trace)
  }

  static var truth: (hessian: Tensor<Double>, eigenvalues: [Double], trace: Double) {
    get throws { try truthResult.get() }
  }

  static func hessian() throws -> HessianOperator<Double> {
    try HessianOperator(model: model, loss: loss, data: SmallMLP.data())
  }

  /// The finite-difference oracle: `(g(x + h v) - g(x - h v)) / 2h` of the full-batch loss's
  /// gradient, written directly with the model, in Double.
  static func oracleProduct(_ v: Tensor<Double>) -> Tensor<Double> {
    let x = SmallMLP.inputs()
    let labels = SmallMLP.labels()
    let product = numericalHessianVectorProduct(
      at: model.parameters.values, along: model.parameters.unflattened(v)
    ) { p in
      gradient(at: p) { model.loss(loss, inputs: x, targets: .classes(labels), parameters: $0) }
    }
    return ParameterCollection<Double>.flatten(product)
  }

  @Test func operatorEqualsTheFiniteDifferenceHessian() throws {
    let hessian = try Self.hessian()
    #expect(hessian.dimension == 1794)
    #expect(
      hessian.segments.map(\.name) == [
        "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias",
      ])
    // Random directions.
    var generator = SeededGenerator(seed: 3)
    let block = Tensor<Double>(randomNormal: [6, 1794], using: &generator)
    let products = try hessian.apply(block)
    for i in 0..<6 {
      let v = block.slice(i..<i + 1, alongAxis: 0).reshaped(to: [1794])
      let r = closeness(
        products.slice(i..<i + 1, alongAxis: 0).reshaped(to: [1794]), Self.oracleProduct(v),
        rtol: 1e-6, atol: 1e-8)
      #expect(r.passes, "direction \(i): \(r)")
    }
    // Columns of the dense truth at random coordinates equal finite-difference columns.
    for _ in 0..<24 {
      let j = Int(generator.next() % 1794)
      var e = Tensor<Double>(zeros: [1794])
      e[j] = 1
      let column = try Self.truth.hessian.slice(j..<j + 1, alongAxis: 0).reshaped(to: [1794])
      let r = closeness(column, Self.oracleProduct(e), rtol: 1e-6, atol: 1e-8)
      #expect(r.passes, "column \(j): \(r)")
    }
    // A selection's operator is the diagonal block of those parameters, column by column.
    let bias = hessian.segments[3]
    let selected = try HessianOperator(
      model: Self.model, loss: Self.loss, data: SmallMLP.data(), parameters: .matching("2.b*"))
    #expect(selected.scope == CurvatureScope(.parameters, name: "\"2.b*\""))
    #expect(selected.segments.map(\.name) == ["2.bias"] && selected.segments[0].offset == 0)
    let blockMatrix = try DenseHessian(of: selected).matrix
    for j in 0..<bias.count {
      var e = Tensor<Double>(zeros: [1794])
      e[bias.offset + j] = 1
      let oracle = Self.oracleProduct(e).slice(bias.offset..<bias.offset + bias.count, alongAxis: 0)
      let r = closeness(
        blockMatrix.slice(j..<j + 1, alongAxis: 0).reshaped(to: [30]), oracle, rtol: 1e-6,
        atol: 1e-8)
      #expect(r.passes, "2.bias column \(j): \(r)")
    }
    // Applying twice gives the same result (curvlinops' compare_consecutive_matmats).
    #expect(try hessian.apply(block) == products)
    #expect(hessian.hvpCount == 12)
  }

  @Test func lanczosTopFiveAndBottomThreeMatchTheDenseEigenvalues() throws {
    let hessian = try Self.hessian()
    let exact = try Self.truth.eigenvalues
    var generator = SeededGenerator(seed: 11)
    // A relative residual of 1e-6 bounds the eigenvalue error by about residual^2 / gap, far
    // below the 1e-6 relative required (the bottom eigenvalues are 0.007 apart).
    let top = try eigenpairs(
      of: hessian, count: 5, which: .largest, tolerance: 1e-6, maxMatvecs: 2000, using: &generator)
    let bottom = try eigenpairs(
      of: hessian, count: 3, which: .smallest, tolerance: 1e-6, maxMatvecs: 2000, using: &generator)
    #expect(top.allConverged && bottom.allConverged)
    #expect(
      allClose(top.eigenvalues, Array(exact.reversed().prefix(5)), rtol: 1e-6), "\(top.eigenvalues)"
    )
    #expect(
      allClose(bottom.eigenvalues, Array(exact.prefix(3)), rtol: 1e-6), "\(bottom.eigenvalues)")
    #expect(hessian.hvpCount == top.matvecCount + bottom.matvecCount)
  }

  @Test func hutchinsonAndHutchPlusPlusLandWithinThreeStandardErrors() throws {
    let hessian = try Self.hessian()
    let exact = try Self.truth.trace
    for seed in 0..<3 as Range<UInt64> {
      var generator = SeededGenerator(seed: seed)
      let h = try hutchinsonTrace(
        of: hessian, targetRelativeError: 0.05, maxMatvecs: 64, using: &generator)
      #expect(abs(h.estimate - exact) <= 3 * h.standardError, "seed \(seed): \(h) vs \(exact)")
      let pp = try hutchPlusPlusTrace(
        of: hessian, lowRankDimension: 8, targetRelativeError: 0.05, maxMatvecs: 64,
        using: &generator)
      #expect(abs(pp.estimate - exact) <= 3 * pp.standardError, "seed \(seed): \(pp) vs \(exact)")
    }
  }

  @Test func spectralDensityIntegratesToOneAndMatchesTraceAndFrobeniusNorm() throws {
    let hessian = try Self.hessian()
    let h = try Self.truth.hessian
    let n = Double(h.shape[0])
    var generator = SeededGenerator(seed: 5)
    let probes = 4
    let density = try spectralDensity(
      of: hessian, lanczosSteps: 20, probeCount: probes, using: &generator)
    var integral = 0.0
    for i in 1..<density.grid.count {
      integral +=
        (density.grid[i] - density.grid[i - 1]) * (density.density[i] + density.density[i - 1]) / 2
    }
    #expect(abs(integral - 1) < 1e-9, "integral \(integral)")
    // n * moment(k) is, probe by probe, z_pᵀ H^k z_p for a Rademacher z_p: Hutchinson's
    // estimator of tr(H^k), whose variance is 2 (||H^k||_F^2 - sum_i (H^k)_ii^2). From the
    // eigenvalues: tr(H^k) = sum lambda^k, ||H^k||_F^2 = sum lambda^(2k); (H^2)_ii is the
    // squared norm of row i.
    let lambda = try Self.truth.eigenvalues
    let diagonal1 = (0..<h.shape[0]).map { h[$0, $0] }
    let diagonal2 = (h * h).sum(alongAxes: [1]).scalars
    for (order, diagonal) in [(1, diagonal1), (2, diagonal2)] {
      let trace = lambda.reduce(0) { $0 + pow($1, Double(order)) }
      let frobenius = lambda.reduce(0) { $0 + pow($1, Double(2 * order)) }
      let diagonalSquares = diagonal.reduce(0) { $0 + $1 * $1 }
      let standardError = (2 * (frobenius - diagonalSquares) / Double(probes)).squareRoot()
      let estimate = n * density.moment(order)
      #expect(
        abs(estimate - trace) <= 4 * standardError,
        "order \(order): \(estimate) vs \(trace) +- \(standardError)")
    }
    #expect(density.matvecCount == hessian.hvpCount)
  }
}
