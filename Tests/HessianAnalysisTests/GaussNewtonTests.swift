// The generalized Gauss-Newton operator against Jᵀ H_loss J assembled densely, with J by
// central differences of the outputs and H_loss written out per sample.

import Autodiff
import Foundation
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@Suite("Generalized Gauss-Newton")
struct GaussNewtonTests {
  /// A 44-parameter tanh MLP (3 -> 5 -> 4) on 6 samples.
  static let model = Model<Double>(
    multilayerPerceptron(widths: [3, 5, 4], activation: .tanh), seed: 41)
  static let inputs: Tensor<Double> = {
    var g = SeededGenerator(seed: 42)
    return Tensor(randomNormal: [6, 3], using: &g)
  }()
  static let labels = [0, 3, 1, 2, 3, 0]
  static let values: Tensor<Double> = {
    var g = SeededGenerator(seed: 43)
    return Tensor(randomNormal: [6, 4], using: &g)
  }()

  static func targets(for loss: LossFunction) -> Targets<Double> {
    if case .crossEntropy = loss { return .classes(labels) }
    return .values(values)
  }

  /// The Jacobian of the flattened outputs `[24]` with respect to the flat parameters `[44]`,
  /// by central differences in Double: shape `[24, 44]`.
  static func jacobian(_ model: Model<Double>, _ x: Tensor<Double>) -> Tensor<Double> {
    let theta = model.parameters.flattened()
    let n = theta.count
    let outputs = { (flat: Tensor<Double>) -> Tensor<Double> in
      var m = model
      m.parameters.values = m.parameters.unflattened(flat)
      return m(x).reshaped(to: [-1])
    }
    var columns: [Tensor<Double>] = []
    for j in 0..<n {
      var e = Tensor<Double>(zeros: [n])
      let h = centralDifferenceStep(scale: theta[j])
      e[j] = h
      columns.append(
        ((outputs(theta + e) - outputs(theta - e)) * (1 / (2 * h))).reshaped(to: [-1, 1]))
    }
    return Tensor.concatenated(columns, alongAxis: 1)
  }

  /// The loss Hessian with respect to the flattened outputs, written out per sample.
  static func lossHessian(_ loss: LossFunction, logits z: Tensor<Double>) -> Tensor<Double> {
    let (n, c) = (z.shape[0], z.shape[1])
    var h = Tensor<Double>(zeros: [n * c, n * c])
    for i in 0..<n {
      switch loss {
      case .crossEntropy(let reduction):
        let row = (0..<c).map { z[i, $0] }
        let top = row.max() ?? 0
        let e = row.map { Foundation.exp($0 - top) }
        let p = e.map { $0 / e.reduce(0, +) }
        let scale = reduction == .mean ? 1 / Double(n) : 1
        for a in 0..<c {
          for b in 0..<c {
            h[i * c + a, i * c + b] = scale * ((a == b ? p[a] : 0) - p[a] * p[b])
          }
        }
      case .meanSquaredError(let reduction):
        for a in 0..<c { h[i * c + a, i * c + a] = reduction == .mean ? 2 / Double(n * c) : 2 }
      case .modelOutput, .tokenCrossEntropy: break  // not in this rank-2 oracle
      }
    }
    return h
  }

  @Test(arguments: [
    LossFunction.crossEntropy(.mean), .crossEntropy(.sum), .meanSquaredError(.mean),
    .meanSquaredError(.sum),
  ])
  func operatorEqualsDenseJacobianProduct(_ loss: LossFunction) throws {
    let targets = Self.targets(for: loss)
    // Two batches (4 + 2): the batch weights must give the full-set GGN.
    let data = DataSet(inputs: Self.inputs, targets: targets, batchSize: 4)
    let ggn = try GaussNewtonOperator(model: Self.model, loss: loss, data: data)
    #expect(ggn.dimension == 44 && ggn.scope == CurvatureScope(.gaussNewton))
    let j = Self.jacobian(Self.model, Self.inputs)
    let h = Self.lossHessian(loss, logits: Self.model(Self.inputs))
    let oracle = j.matmul(h.matmul(j), transposeSelf: true)
    let dense = try DenseHessian(of: ggn, scope: ggn.scope)
    let r = closeness(dense.matrix, oracle, rtol: 1e-7, atol: 1e-9)
    #expect(r.passes, "\(loss): \(r)")
    // Positive semi-definite (convex losses).
    let smallest = try dense.eigendecomposition().eigenvalues[0]
    #expect(smallest > -1e-12, "\(loss): smallest eigenvalue \(smallest)")
    // Finite-difference JVPs agree to 1e-4.
    let fd = try GaussNewtonOperator(
      model: Self.model, loss: loss, data: data, method: .finiteDifference(.automatic))
    var rng = SeededGenerator(seed: 44)
    let block = Tensor<Double>(randomNormal: [3, 44], using: &rng)
    let error = relativeError(try fd.apply(block), try ggn.apply(block))
    #expect(error < 1e-4, "\(loss): finite-difference relative error \(error)")
  }

  /// After the check, the operator keeps each batch's JVP and VJP primal values, and its
  /// products replay them: they equal an uncached operator's bit for bit (the dense test above
  /// replays too, against Jᵀ H J), for blocks of any size. Nothing is kept without the check or
  /// with finite differences, and a release frees the tapes.
  @Test func productsReplayTheCachedPrimalValues() throws {
    let loss = LossFunction.crossEntropy(.mean)
    let data = DataSet(inputs: Self.inputs, targets: .classes(Self.labels), batchSize: 4)
    let cached = try GaussNewtonOperator(model: Self.model, loss: loss, data: data)
    let uncached = try GaussNewtonOperator(
      model: Self.model, loss: loss, data: data, primalCacheLimit: 0)
    #expect(cached.primalCacheBytes == 0)
    var rng = SeededGenerator(seed: 46)
    for k in [2, 1, 3] {
      let block = Tensor<Double>(randomNormal: [k, 44], using: &rng)
      #expect(try cached.apply(block).scalars == uncached.apply(block).scalars, "k = \(k)")
      #expect(cached.primalCacheBytes > 0 && uncached.primalCacheBytes == 0)
    }
    let block = Tensor<Double>(randomNormal: [1, 44], using: &rng)
    for method in [DifferentiationMethod.exact, .finiteDifference(.automatic)] {
      let unchecked = try GaussNewtonOperator(
        model: Self.model, loss: loss, data: data, method: method,
        checkDeterminism: method != .exact)
      _ = try unchecked.apply(block)
      _ = try unchecked.apply(block)
      #expect(unchecked.primalCacheBytes == 0, "\(method)")
    }
    cached.releasePrimalCache()
    #expect(cached.primalCacheBytes == 0)
    #expect(try cached.apply(block).scalars == uncached.apply(block).scalars)
  }

  /// A network linear in its parameters (one Linear layer) with squared error: its second
  /// derivatives vanish, so the GGN is the Hessian.
  @Test func linearModelGaussNewtonEqualsTheHessian() throws {
    let model = Model<Double>(Sequential([Linear<Double>(3, 4)]), seed: 45)
    let data = DataSet(inputs: Self.inputs, targets: .values(Self.values))
    let ggn = try DenseHessian(
      of: GaussNewtonOperator(model: model, loss: .meanSquaredError(.mean), data: data))
    let hessian = try DenseHessian(
      of: HessianOperator(model: model, loss: .meanSquaredError(.mean), data: data))
    #expect(closeness(ggn.matrix, hessian.matrix, rtol: 1e-12, atol: 1e-14).passes)
  }
}
