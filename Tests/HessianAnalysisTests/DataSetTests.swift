// The data-set operator's normalization (an unequal last batch must not bias it), the
// determinism check, and the errors that name a batch or a size.

import Autodiff
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@Suite("Data sets, normalization and checks")
struct DataSetTests {
  /// A 59-parameter tanh MLP on 10 samples.
  static let model = Model<Double>(
    multilayerPerceptron(widths: [3, 6, 5], activation: .tanh), seed: 21)
  static let inputs: Tensor<Double> = {
    var generator = SeededGenerator(seed: 22)
    return Tensor(randomNormal: [10, 3], using: &generator)
  }()
  static let labels = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
  static let values: Tensor<Double> = {
    var generator = SeededGenerator(seed: 23)
    return Tensor(randomNormal: [10, 5], using: &generator)
  }()

  static func targets(for loss: LossFunction) -> Targets<Double> {
    if case .crossEntropy = loss { return .classes(labels) }
    return .values(values)
  }

  /// Batches of 4, 4 and 2 against one batch of all 10: the Hessian of the loss function applied
  /// to the whole set, for both losses and both reductions.
  @Test(arguments: [
    LossFunction.crossEntropy(.mean), .crossEntropy(.sum), .meanSquaredError(.mean),
    .meanSquaredError(.sum),
  ])
  func unequalLastBatchGivesTheFullBatchHessian(_ loss: LossFunction) throws {
    let targets = Self.targets(for: loss)
    let batched = DataSet(inputs: Self.inputs, targets: targets, batchSize: 4)
    #expect(batched.batchSizes == [4, 4, 2])
    let whole = DataSet(inputs: Self.inputs, targets: targets)
    let a = try DenseHessian(of: HessianOperator(model: Self.model, loss: loss, data: batched))
    let b = try DenseHessian(of: HessianOperator(model: Self.model, loss: loss, data: whole))
    let r = closeness(a.matrix, b.matrix, rtol: 1e-12, atol: 1e-14)
    #expect(r.passes, "\(loss): \(r)")
    // And the oracle for the whole set: finite differences of the full-batch gradient.
    let oracle = numericalHessian(at: Self.model.parameters.values) { p in
      gradient(at: p) {
        Self.model.loss(loss, inputs: Self.inputs, targets: targets, parameters: $0)
      }
    }
    let o = closeness(a.matrix, oracle, rtol: 1e-6, atol: 1e-8)
    #expect(o.passes, "\(loss): \(o)")
    // The unweighted average of batch means (PyHessian's) would differ for mean reduction.
    if loss.reduction == .mean {
      #expect(batched.weight(ofBatch: 2, reduction: .mean) == 0.2)
    }
  }

  @Test func explicitAndClosureBatchesMatchTensorBatches() throws {
    let loss = LossFunction.crossEntropy(.mean)
    let cut = DataSet(inputs: Self.inputs, targets: .classes(Self.labels), batchSize: 3)
    let explicit = DataSet(batches: try (0..<cut.batchCount).map { try cut.batch($0) })
    let streamed = DataSet(batchSizes: cut.batchSizes) { try cut.batch($0) }
    var generator = SeededGenerator(seed: 24)
    let v = Tensor<Double>(randomNormal: [2, 59], using: &generator)
    let reference = try HessianOperator(model: Self.model, loss: loss, data: cut).apply(v)
    for data in [explicit, streamed] {
      let r = closeness(
        try HessianOperator(model: Self.model, loss: loss, data: data).apply(v), reference,
        rtol: 1e-13)
      #expect(r.passes, "\(r)")
    }
  }

  @Test func determinismCheckFiresForDropoutInTrainingModeOnly() throws {
    let network = Sequential<Double>([Linear(3, 8), Activation.tanh, Dropout(0.5), Linear(8, 5)])
    var model = Model<Double>(network, seed: 25, mode: .training)
    let data = DataSet(inputs: Self.inputs, targets: .classes(Self.labels))
    let loss = LossFunction.crossEntropy(.mean)
    #expect {
      _ = try HessianOperator(model: model, loss: loss, data: data)
    } throws: { error in
      guard let e = error as? HessianAnalysisError,
        case .nondeterministic(let quantity, _, _, _, _, let mode) = e
      else { return false }
      let text = e.description
      return quantity == "loss" && mode == .training && text.contains("dropout")
        && text.contains("checkDeterminism: false") && text.contains("model.mode = .evaluation")
    }
    // The same check guards every operator built on data.
    #expect(throws: HessianAnalysisError.self) {
      _ = try GaussNewtonOperator(model: model, loss: loss, data: data)
    }
    #expect(throws: HessianAnalysisError.self) {
      _ = try ActivationHessianOperator(model: model, loss: loss, data: data, layer: "1")
    }
    // Opting out builds the operator anyway.
    _ = try HessianOperator(model: model, loss: loss, data: data, checkDeterminism: false)
    // In evaluation mode dropout is the identity and the check passes.
    model.mode = .evaluation
    _ = try HessianOperator(model: model, loss: loss, data: data)
  }

  @Test func nonFiniteLossNamesTheBatch() throws {
    var inputs = Self.inputs
    inputs[7, 1] = .nan
    let data = DataSet(inputs: inputs, targets: .classes(Self.labels), batchSize: 3)
    #expect(throws: HessianAnalysisError.nonFinite(quantity: "loss", batch: 2, batchCount: 4)) {
      _ = try HessianOperator(model: Self.model, loss: .crossEntropy(.mean), data: data)
    }
    let text = HessianAnalysisError.nonFinite(quantity: "loss", batch: 2, batchCount: 4).description
    #expect(text.contains("batch 2") && text.contains("NaN"))
  }

  @Test func denseHessianRefusesWhatWouldNotFitWithTheNumbers() throws {
    let hessian = try HessianOperator(
      model: Self.model, loss: .crossEntropy(.mean),
      data: DataSet(inputs: Self.inputs, targets: .classes(Self.labels)))
    let error = HessianAnalysisError.denseHessianTooLarge(
      dimension: 59, bytes: 59 * 59 * 8, limit: 1000)
    #expect(throws: error) { _ = try DenseHessian(of: hessian, memoryLimit: 1000) }
    #expect(hessian.hvpCount == 0, "refused before any product")
    #expect(
      error.description.contains("59 parameters") && error.description.contains("27848 bytes"))
    #expect(error.description.contains("limit of 1000 bytes"))
  }

  @Test func selectionsByGlobNamesAndLayers() throws {
    let resnet = Model<Double>(ResNet(depth: 8, classes: 3), seed: 1)
    let layers = LayerGroup.layers(of: resnet.parameters)
    #expect(layers.prefix(3).map(\.name) == ["conv1", "bn1", "layer1.0.conv1"])
    #expect(layers[1].parameterNames == ["bn1.weight", "bn1.bias"])
    #expect(layers.last?.parameterNames == ["linear.weight", "linear.bias"])
    #expect(layers.reduce(0) { $0 + $1.parameterCount } == resnet.parameters.parameterCount)
    #expect(
      LayerGroup.layerName(ofParameter: "layer1.0.shortcut.0.weight") == "layer1.0.shortcut.0")
    let names = resnet.parameters.names
    func selected(_ s: ParameterSelection) -> [String] { names.filter(s.matches(_:)) }
    #expect(selected(.matching("layer1.*")).allSatisfy { $0.hasPrefix("layer1.") })
    #expect(selected(.matching("layer1.*")).count == 6)
    #expect(selected(.matching("*.bias")).allSatisfy { $0.hasSuffix(".bias") })
    #expect(
      selected(.matching("layer?.0.bn?.weight")) == [
        "layer1.0.bn1.weight", "layer1.0.bn2.weight", "layer2.0.bn1.weight", "layer2.0.bn2.weight",
        "layer3.0.bn1.weight", "layer3.0.bn2.weight",
      ])
    #expect(selected(.names(["linear.weight"])) == ["linear.weight"])
    #expect(throws: HessianAnalysisError.self) {
      _ = try HessianOperator(
        model: Self.model, loss: .crossEntropy(.mean),
        data: DataSet(inputs: Self.inputs, targets: .classes(Self.labels)),
        parameters: .matching("layer9.*"))
    }
  }
}
