// Cross-entropy over logits of any rank with ignored labels (PyTorch's `ignore_index=-100`),
// and the data-set weights that make batches of unequal token counts add up to the loss over
// all tokens at once: against a direct loop, against the one-batch computation, and the GGN
// against the Hessian of a model linear in its parameters (where the two coincide).

import Autodiff
import Foundation
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

/// `logits[n, c, t] = sum_f W[c, f] x[n, t, f]`: linear in `W`, so its GGN is its Hessian.
struct TokenLinear: Layer {
  typealias Scalar = Double
  let features: Int
  let classes: Int
  /// Logits `[N, T, C]` (a language model's layout) instead of `[N, C, T]`.
  var classAxisLast = false
  func declareState(into d: inout StateDeclarations<Double>) {
    d.parameter("weight", d.uniform([classes, features], bound: 1))
  }
  func callAsFunction(_ x: Variable<Double>, in scope: LayerScope<Double>) -> Variable<Double> {
    let (n, t) = (x.shape[0], x.shape[1])
    let z = x.reshaped(to: [n * t, features]).matmul(scope.parameter("weight"), transposeOther: true)
      .reshaped(to: [n, t, classes])
    return classAxisLast ? z : z.permuted([0, 2, 1])
  }
}

@Suite("Token cross-entropy: any rank, ignore_index, token-count weights")
struct TokenLossTests {
  static let (n, t, f, c) = (5, 3, 4, 6)
  static let labels = [0, 5, -100, 2, 2, 1, -100, -100, 3, 4, 0, 1, -100, 5, 5]

  static func setup() -> (Model<Double>, Tensor<Double>) {
    var g = SeededGenerator(seed: 3)
    let model = Model<Double>(TokenLinear(features: f, classes: c), seed: 1)
    return (model, Tensor<Double>(randomNormal: [n, t, f], using: &g))
  }

  /// The loss from its definition: the mean over labeled positions of
  /// `logsumexp(z[i, :, j]) - z[i, y, j]`.
  @Test func valueMatchesTheDefinition() {
    let (model, x) = Self.setup()
    let z = model(x)
    var total = 0.0
    var count = 0
    for i in 0..<Self.n {
      for j in 0..<Self.t {
        let y = Self.labels[i * Self.t + j]
        if y == -100 { continue }
        let row = (0..<Self.c).map { z[i, $0, j] }
        total += Foundation.log(row.map { Foundation.exp($0) }.reduce(0, +)) - row[y]
        count += 1
      }
    }
    let targets = Targets<Double>.positionClasses(shape: [Self.n, Self.t], labels: Self.labels)
    let mean = model.loss(.crossEntropy(.mean), inputs: x, targets: targets)
    let sum = model.loss(.crossEntropy(.sum), inputs: x, targets: targets)
    #expect(abs(mean - total / Double(count)) < 1e-13)
    #expect(abs(sum - total) < 1e-12)
  }

  /// Batches of 2, 2 and 1 samples hold 5, 4 and 2 labeled tokens: weighted by token counts,
  /// their sum is the loss over all tokens at once (weighting by samples would not be).
  @Test func batchesWeightedByTokensGiveTheWholeSetsHessian() throws {
    let (model, x) = Self.setup()
    let targets = Targets<Double>.positionClasses(shape: [Self.n, Self.t], labels: Self.labels)
    let whole = try HessianOperator(
      model: model, loss: .crossEntropy(.mean), data: DataSet(inputs: x, targets: targets))
    let batched = try HessianOperator(
      model: model, loss: .crossEntropy(.mean),
      data: DataSet(inputs: x, targets: targets, batchSize: 2))
    #expect(
      try DataSet(inputs: x, targets: targets, batchSize: 2).batchWeights(for: .crossEntropy(.mean))
        == [5.0 / 11, 4.0 / 11, 2.0 / 11])
    #expect(abs(try whole.lossValue() - batched.lossValue()) < 1e-14)
    var g = SeededGenerator(seed: 5)
    let v = Tensor<Double>(randomNormal: [3, whole.dimension], using: &g)
    let check = closeness(try batched.apply(v), try whole.apply(v), rtol: 1e-12, atol: 1e-14)
    #expect(check.passes, "\(check)")
  }

  /// For a model linear in its parameters the GGN is the Hessian: ignored positions and token
  /// weights enter the closed-form loss Hessian exactly as they enter the loss.
  @Test(arguments: [Reduction.mean, .sum])
  func gaussNewtonOfALinearModelIsItsHessian(_ reduction: Reduction) throws {
    let (model, x) = Self.setup()
    let targets = Targets<Double>.positionClasses(shape: [Self.n, Self.t], labels: Self.labels)
    let data = DataSet(inputs: x, targets: targets, batchSize: 2)
    let ggn = try GaussNewtonOperator(model: model, loss: .crossEntropy(reduction), data: data)
    let hessian = try HessianOperator(model: model, loss: .crossEntropy(reduction), data: data)
    var g = SeededGenerator(seed: 9)
    let v = Tensor<Double>(randomNormal: [2, ggn.dimension], using: &g)
    let check = closeness(try ggn.apply(v), try hessian.apply(v), rtol: 1e-11, atol: 1e-13)
    #expect(check.passes, "\(check)")
  }

  @Test func allIgnoredIsAnError() throws {
    let (model, x) = Self.setup()
    let targets = Targets<Double>.positionClasses(
      shape: [Self.n, Self.t], labels: [Int](repeating: -100, count: Self.n * Self.t))
    #expect(throws: HessianAnalysisError.noLabeledPositions) {
      try HessianOperator(
        model: model, loss: .crossEntropy(.mean), data: DataSet(inputs: x, targets: targets))
    }
  }

  /// `--loss none`: the model's scalar output is the objective, batches weighted by size.
  @Test func modelOutputIsTheObjective() throws {
    struct SumOfSquares: Layer {
      typealias Scalar = Double
      func declareState(into d: inout StateDeclarations<Double>) {
        d.parameter("scale", Tensor([1.5]))
      }
      func callAsFunction(_ x: Variable<Double>, in scope: LayerScope<Double>) -> Variable<Double> {
        (x * x * scope.parameter("scale")).mean()
      }
    }
    let model = Model<Double>(SumOfSquares())
    let x = Tensor<Double>(shape: [3, 1], scalars: [1, 2, 3])
    let op = try HessianOperator(
      model: model, loss: .modelOutput(.mean),
      data: DataSet(inputs: x, targets: .none(count: 3), batchSize: 2))
    // Batches [1, 2] and [3]: (2/3)(1.5 (1 + 4)/2) + (1/3)(1.5 * 9) = 2.5 + 4.5.
    #expect(abs(try op.lossValue() - 7) < 1e-14)
    #expect(throws: HessianAnalysisError.gaussNewtonWithoutLoss) {
      try GaussNewtonOperator(
        model: model, loss: .modelOutput(.mean), data: DataSet(inputs: x, targets: .none(count: 3)))
    }
  }

  /// Logits `[N, T, C]` with `tokenCrossEntropy` give the loss of `[N, C, T]` with
  /// `crossEntropy` (the same numbers), and their GGN is still the linear model's Hessian.
  @Test func classAxisLastIsTheSameLoss() throws {
    let (model, x) = Self.setup()
    var g = SeededGenerator(seed: 1)
    let last = Model<Double>(
      TokenLinear(features: Self.f, classes: Self.c, classAxisLast: true), seed: 1)
    #expect(last.parameters.values[0].scalars == model.parameters.values[0].scalars)
    _ = g.next()
    let targets = Targets<Double>.positionClasses(shape: [Self.n, Self.t], labels: Self.labels)
    let a = model.loss(.crossEntropy(.mean), inputs: x, targets: targets)
    let b = last.loss(.tokenCrossEntropy(.mean), inputs: x, targets: targets)
    #expect(abs(a - b) < 1e-14)
    let data = DataSet(inputs: x, targets: targets, batchSize: 2)
    let ggn = try GaussNewtonOperator(model: last, loss: .tokenCrossEntropy(.mean), data: data)
    let hessian = try HessianOperator(model: last, loss: .tokenCrossEntropy(.mean), data: data)
    let v = Tensor<Double>(randomNormal: [2, ggn.dimension], using: &g)
    let check = closeness(try ggn.apply(v), try hessian.apply(v), rtol: 1e-11, atol: 1e-13)
    #expect(check.passes, "\(check)")
  }

  /// A batch whose labels are all ignored adds nothing (weight 0, loss 0; PyTorch's mean of it
  /// alone would be NaN), and the data set is still the loss over all labeled tokens.
  @Test func aBatchWithoutLabeledTokensAddsNothing() throws {
    let (model, x) = Self.setup()
    var labels = Self.labels
    for i in 6..<12 { labels[i] = -100 }  // samples 2 and 3: the second batch of 2
    let targets = Targets<Double>.positionClasses(shape: [Self.n, Self.t], labels: labels)
    let whole = try HessianOperator(
      model: model, loss: .crossEntropy(.mean), data: DataSet(inputs: x, targets: targets))
    let batched = try HessianOperator(
      model: model, loss: .crossEntropy(.mean),
      data: DataSet(inputs: x, targets: targets, batchSize: 2))
    #expect(abs(try whole.lossValue() - batched.lossValue()) < 1e-14)
    var g = SeededGenerator(seed: 2)
    let v = Tensor<Double>(randomNormal: [1, whole.dimension], using: &g)
    #expect(closeness(try batched.apply(v), try whole.apply(v), rtol: 1e-12, atol: 1e-14).passes)
  }
}
