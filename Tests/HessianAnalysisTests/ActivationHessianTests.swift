// Activation Hessians (seed notebook 004) against finite differences of the network's tail
// written by hand, and per-layer activation traces against the dense blocks.

import Autodiff
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@Suite("Activation Hessians")
struct ActivationHessianTests {
  /// Layers "0" (Linear 3 -> 4), "1" (tanh), "2" (Linear 4 -> 3) on 5 samples.
  static let model = Model<Double>(
    multilayerPerceptron(widths: [3, 4, 3], activation: .tanh), seed: 51)
  static let inputs: Tensor<Double> = {
    var g = SeededGenerator(seed: 52)
    return Tensor(randomNormal: [5, 3], using: &g)
  }()
  static let targets = Targets<Double>.classes([0, 2, 1, 1, 0])
  static let loss = LossFunction.crossEntropy(.mean)

  /// The loss as a function of layer "1"'s output `a` (`[5, 4]`), written by hand:
  /// cross-entropy of `a W2ᵀ + b2`. With `tanhFirst`, of layer "0"'s output instead.
  static func tail(_ a: Variable<Double>, tanhFirst: Bool) -> Variable<Double> {
    let p = model.parameters
    let hidden = tanhFirst ? a.tanh() : a
    let logits = hidden.matmul(Variable(p["2.weight"]!), transposeOther: true) + p["2.bias"]!
    return crossEntropy(logits: logits, labels: [0, 2, 1, 1, 0], reduction: .mean)
  }

  @Test(arguments: [("1", false), ("0", true)])
  func activationHessianMatchesTheFiniteDifferenceOracle(_ layer: String, _ tanhFirst: Bool) throws
  {
    let hessian = try ActivationHessianOperator(
      model: Self.model, loss: Self.loss, inputs: Self.inputs, targets: Self.targets, layer: layer)
    #expect(hessian.dimension == 20 && hessian.scope == CurvatureScope(.activation, name: layer))
    #expect(hessian.activations[0].shape == [5, 4])
    let oracle = numericalHessian(at: hessian.activations) { a in
      gradient(at: a) { Self.tail($0[0], tanhFirst: tanhFirst) }
    }
    let dense = try DenseHessian(of: hessian, scope: hessian.scope)
    let r = closeness(dense.matrix, oracle, rtol: 1e-7, atol: 1e-10)
    #expect(r.passes, "layer \(layer): \(r)")
    // Samples are independent: the Hessian is block-diagonal over samples (4 x 4 blocks).
    for i in 0..<20 {
      for j in 0..<20 where i / 4 != j / 4 { #expect(dense.matrix[i, j] == 0) }
    }
    // Batches of 3 and 2 give the same operator (vectors flat batch by batch = sample order).
    let batched = try ActivationHessianOperator(
      model: Self.model, loss: Self.loss,
      data: DataSet(inputs: Self.inputs, targets: Self.targets, batchSize: 3), layer: layer)
    #expect(batched.activations.map(\.shape) == [[3, 4], [2, 4]])
    let batchedDense = try DenseHessian(of: batched)
    #expect(batchedDense.segments.map(\.name) == ["\(layer)[batch 0]", "\(layer)[batch 1]"])
    #expect(batchedDense.segments.map(\.offset) == [0, 12] && batchedDense.scope == batched.scope)
    let b = closeness(batchedDense.matrix, dense.matrix, rtol: 1e-12, atol: 1e-15)
    #expect(b.passes, "\(b)")
    // Finite differences agree to 1e-4.
    let fd = try ActivationHessianOperator(
      model: Self.model, loss: Self.loss, inputs: Self.inputs, targets: Self.targets, layer: layer,
      method: .finiteDifference(.automatic))
    var rng = SeededGenerator(seed: 53)
    let block = Tensor<Double>(randomNormal: [3, 20], using: &rng)
    #expect(relativeError(try fd.apply(block), try hessian.apply(block)) < 1e-4)
  }

  @Test func perLayerActivationTracesMatchTheDenseBlocks() throws {
    let layers = layerOutputNames(of: Self.model, input: Self.inputs)
    #expect(layers == ["0", "1", "2"])
    let traces = try activationTraces(
      model: Self.model, loss: Self.loss, data: DataSet(inputs: Self.inputs, targets: Self.targets),
      layers: layers, targetRelativeError: 0.01, maxMatvecs: 4000, seed: 54)
    #expect(traces.map(\.scope) == layers.map { CurvatureScope(.activation, name: $0) })
    #expect(traces.map(\.dimension) == [20, 20, 15])
    for trace in traces {
      let exact = try DenseHessian(
        of: ActivationHessianOperator(
          model: Self.model, loss: Self.loss, inputs: Self.inputs, targets: Self.targets,
          layer: trace.name)
      ).trace
      let t = trace.trace
      #expect(trace.seed == 54 && t.method == .hutchinson)
      #expect(
        abs(t.trace - exact) <= 3 * t.standardError + 1e-12, "\(trace.name): \(t) vs \(exact)")
    }
  }

  @Test func unknownLayerListsTheNamesThatExist() throws {
    #expect(throws: HessianAnalysisError.unknownLayer(name: "7", available: ["0", "1", "2"])) {
      _ = try ActivationHessianOperator(
        model: Self.model, loss: Self.loss, inputs: Self.inputs, targets: Self.targets, layer: "7")
    }
  }
}
