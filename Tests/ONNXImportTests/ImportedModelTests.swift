// Whole models through the importer: ResNet-20 exported by PyTorch against the built-in
// ResNet-20 on the same state dict, the DCGAN-style generator's scalar objective of its latent
// code against torch.autograd.functional.hessian, and folded exports detected.

import Autodiff
import Foundation
import NeuralNetworks
import ONNXImport
import TensorCore
import TensorIO
import Testing
import _TestSupport

@Suite("ONNX import: whole models")
struct ImportedModelTests {
  /// The imported ResNet-20 has the built-in one's parameters, in the same order, and gives
  /// the same logits (PyTorch's, to 1e-10) and the same Hessian-vector products.
  @Test(arguments: ONNXFixtures.exporters)
  func resnet20MatchesTheBuiltInResNet(_ exporter: String) throws {
    let graph = try ONNXGraph(contentsOf: ONNXFixtures.url("resnet20.\(exporter).onnx"))
    #expect(graph.foldingNotice == nil)
    let imported = Model<Double>(try ONNXNetwork<Double>(graph))
    var builtIn = Model<Double>(ResNet<Double>(depth: 20))
    let weights = try Safetensors.read(
      contentsOf: ONNXFixtures.directory.deletingLastPathComponent()
        .appendingPathComponent("resnet20.weights.safetensors"))
    try builtIn.parameters.load(stateDict: weights.floatingPointTensors(as: Double.self))
    #expect(imported.parameters.names == builtIn.parameters.names)
    #expect(imported.parameters.names == (try ONNXFixtures.parameterOrder("resnet20")))
    #expect(
      Set(imported.parameters.bufferNames)
        == Set(builtIn.parameters.bufferNames))
    for (a, b) in zip(imported.parameters.values, builtIn.parameters.values) {
      #expect(a.scalars == b.scalars)
    }

    let data = try ONNXFixtures.data("resnet20")
    let inputs = try data.tensor(named: "inputs").floatingPoint(as: Double.self)
    let labels = try data.tensor(named: "labels").integers()
    let logits = try data.tensor(named: "logits").floatingPoint(as: Double.self)
    #expect(closeness(imported(inputs), logits, rtol: 1e-10, atol: 1e-12).passes)

    var generator = SeededGenerator(seed: 7)
    let directions = imported.parameters.values.map {
      Tensor<Double>(randomNormal: [2] + $0.shape, using: &generator)
    }
    func products(_ model: Model<Double>) -> SecondOrderDerivatives<Double> {
      hessianVectorProducts(at: model.parameters.values, along: directions) { p in
        model.loss(.crossEntropy(.mean), inputs: inputs, targets: .classes(labels), parameters: p)
      }
    }
    let a = products(imported)
    let b = products(builtIn)
    let expectedLoss = try data.tensor(named: "loss").floatingPoint(as: Double.self).scalar
    #expect(abs(a.value - expectedLoss) <= 1e-10 * abs(expectedLoss))
    for i in a.gradient.indices {
      #expect(closeness(a.gradient[i], b.gradient[i], rtol: 1e-10, atol: 1e-13).passes)
      let check = closeness(
        a.hessianVectorProducts[i], b.hessianVectorProducts[i], rtol: 1e-9, atol: 1e-12)
      #expect(check.passes, "\(imported.parameters.names[i]): \(check)")
    }
  }

  /// Seed 000's question: the Hessian of a scalar objective of the latent code through a
  /// generator (ConvTranspose, BatchNorm, LeakyReLU, Tanh, bilinear resize) and a classifier.
  @Test(arguments: ONNXFixtures.exporters)
  func generatorObjectiveMatchesPyTorch(_ exporter: String) throws {
    let graph = try ONNXGraph(contentsOf: ONNXFixtures.url("gan.\(exporter).onnx"))
    #expect(graph.inputs.map(\.name) == ["z"])
    #expect(graph.parameterNames == (try ONNXFixtures.parameterOrder("gan")))
    let model = Model<Double>(try ONNXNetwork<Double>(graph))
    let data = try ONNXFixtures.data("gan")
    let z = try data.tensor(named: "z").floatingPoint(as: Double.self)
    let objective = try data.tensor(named: "objective").floatingPoint(as: Double.self).scalar
    let parameters = model.parameters.values.map { Variable($0) }

    // Input Hessian: one product per basis vector of the latent space.
    let n = z.count
    var basis = Tensor<Double>(zeros: [n] + z.shape)
    basis.withUnsafeMutableBufferPointer { p in for i in 0..<n { p[i * n + i] = 1 } }
    let input = hessianVectorProducts(at: [z], along: [basis]) { x in
      model.output(for: x[0], parameters: parameters).sum()
    }
    #expect(abs(input.value - objective) <= 1e-10 * abs(objective))
    let gradZ = try data.tensor(named: "grad_z").floatingPoint(as: Double.self)
    #expect(closeness(input.gradient[0], gradZ, rtol: 1e-10, atol: 1e-13).passes)
    let hessian = try data.tensor(named: "hessian_z").floatingPoint(as: Double.self)
    let check = closeness(
      input.hessianVectorProducts[0].reshaped(to: [n, n]), hessian, rtol: 1e-10, atol: 1e-12)
    #expect(check.passes, "\(check)")

    // Parameter HVP of the same objective.
    let directions = try model.parameters.names.map {
      try data.tensor(named: "direction.\($0)").floatingPoint(as: Double.self).expandingShape(at: 0)
    }
    let result = hessianVectorProducts(at: model.parameters.values, along: directions) { p in
      model.output(for: Variable(z), parameters: p).sum()
    }
    for (i, name) in model.parameters.names.enumerated() {
      let g = try data.tensor(named: "grad.\(name)").floatingPoint(as: Double.self)
      let hv = try data.tensor(named: "hvp.\(name)").floatingPoint(as: Double.self)
      #expect(closeness(result.gradient[i], g, rtol: 1e-10, atol: 1e-13).passes, "grad.\(name)")
      let hvpCheck = closeness(
        result.hessianVectorProducts[i].reshaped(to: hv.shape), hv, rtol: 1e-10, atol: 1e-12)
      #expect(hvpCheck.passes, "hvp.\(name): \(hvpCheck)")
    }
  }

  /// Eval-mode exports that fold BatchNorm into the convolution are a different
  /// parameterization: both exporters' folded graphs are flagged, with the way out.
  @Test(arguments: ONNXFixtures.exporters)
  func foldedExportsAreDetected(_ exporter: String) throws {
    let graph = try ONNXGraph(contentsOf: ONNXFixtures.url("folded.\(exporter).onnx"))
    let notice = try #require(graph.foldingNotice)
    #expect(notice.contains("dynamo=True, optimize=False"))
    #expect(notice.contains("do_constant_folding=False"))
    #expect(!notice.contains("\n"))
    // The folded graph still runs and gives PyTorch's logits: only its parameters differ.
    let model = Model<Double>(try ONNXNetwork<Double>(graph))
    let data = try ONNXFixtures.data("folded")
    let inputs = try data.tensor(named: "inputs").floatingPoint(as: Double.self)
    let logits = try data.tensor(named: "logits").floatingPoint(as: Double.self)
    #expect(closeness(model(inputs), logits, rtol: 1e-5, atol: 1e-6).passes)
  }

  /// The legacy exporter in eval mode merges initializers of equal values and reads the dropped
  /// one through Identity: flagged, since the merged parameters become one tied parameter.
  @Test func parametersMergedByValueAreDetected() throws {
    let bytes = try EmbeddingGraph.model(
      nodes: [
        EmbeddingGraph.node("Identity", ["W"], ["V"]),
        EmbeddingGraph.node("MatMul", ["x", "W"], ["a"]),
        EmbeddingGraph.node("MatMul", ["a", "V"], ["y"]),
      ],
      initializers: [EmbeddingGraph.tensorProto("W", [3, 3], [Float](repeating: 0, count: 9))],
      inputs: [EmbeddingGraph.valueInfo("x", type: 1, [nil, 3])],
      outputs: [EmbeddingGraph.valueInfo("y", type: 1, [nil, 3])])
    let notice = try #require(try ONNXGraph(serializedBytes: bytes).foldingNotice)
    #expect(notice.contains("\"V\" is read through an Identity of \"W\""), "\(notice)")
    #expect(notice.contains("TrainingMode.TRAINING"))
  }
}
