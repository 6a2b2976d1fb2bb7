// A nanoGPT-style language model (token and position embeddings, fused qkv split into heads,
// causal attention by a tril buffer and masked_fill(-inf) or by scaled_dot_product_attention,
// LayerNorm, GELU, an output head tied to the token embedding) exported by both PyTorch
// exporters (Tests/Fixtures/transformer, made by Scripts/generate_transformer_fixtures.py):
// logits, the next-token loss with ignored labels, its gradient and HVP against PyTorch
// float64, and the -inf of the masks leaving no NaN anywhere.

import Autodiff
import Foundation
import HessianAnalysis
import NeuralNetworks
import ONNXImport
import TensorCore
import TensorIO
import Testing
import _TestSupport

enum TransformerFixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/transformer")

  static func url(_ file: String) -> URL { directory.appendingPathComponent(file) }

  /// The PyTorch parameter each initializer stands for (a tied weight keeps one name).
  static func parameterOf(_ name: String, exporter: String) throws -> [String: String] {
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url("\(name).json")))
    let exporters = (json as? [String: Any])?["exporters"] as? [String: Any]
    let graph = exporters?[exporter] as? [String: Any]
    let mapping = graph?["initializer_to_parameter"] as? [String: Any] ?? [:]
    return mapping.compactMapValues { $0 as? String }
  }
}

struct TransformerCase: CustomStringConvertible, Sendable {
  let name: String
  let exporter: String
  var description: String { "\(name).\(exporter)" }
  static let all = ["gpt_manual", "gpt_sdpa", "chargpt"].flatMap { n in
    ["legacy", "dynamo"].map { TransformerCase(name: n, exporter: $0) }
  }
}

@Suite("ONNX import: transformers against PyTorch float64")
struct TransformerFixtureTests {
  /// Both exporters store the manual attention's scale `1/sqrt(head size)`, and the legacy
  /// exporter GELU's `sqrt(2)`, as float32 constants: the file's function differs from
  /// PyTorch's float64 one by about 1e-8, so those files are held to 1e-6 in norm; the SDPA
  /// export computes its scale from the shapes and is held to 1e-10 (as the CNN fixtures).
  static func tolerance(_ c: TransformerCase) -> Double {
    c.name == "gpt_sdpa" && c.exporter == "dynamo" ? 1e-10 : 1e-6
  }

  @Test(arguments: TransformerCase.all)
  func languageModelMatchesPyTorch(_ c: TransformerCase) throws {
    let graph = try ONNXGraph(
      contentsOf: TransformerFixtures.url("\(c.name).\(c.exporter).onnx"))
    #expect(graph.foldingNotice == nil, "\(graph.foldingNotice ?? "")")
    #expect(graph.inputs.count == 1 && graph.inputs[0].elementType == "INT64")
    let model = Model<Double>(try ONNXNetwork<Double>(graph))
    let data = try Safetensors.read(
      contentsOf: TransformerFixtures.url("\(c.name).data.safetensors"))
    let idx = try data.tensor(named: "idx")
    let inputs = ModelInputs<Double>(
      names: [graph.inputs[0].name],
      tensors: [.integer(IntegerTensor(shape: idx.shape, values: try idx.integers()))])
    let labelTensor = try data.tensor(named: "labels")
    let targets = Targets<Double>.positionClasses(
      shape: labelTensor.shape, labels: try labelTensor.integers())
    let logits = model.output(for: inputs, parameters: model.parameters.values.map { Variable($0) })
    let expectedLogits = try data.tensor(named: "logits").floatingPoint(as: Double.self)
    let tolerance = Self.tolerance(c)
    let forward = relativeError(logits.value, expectedLogits)
    #expect(forward <= tolerance, "logits: \(forward)")

    let mapping = try TransformerFixtures.parameterOf(c.name, exporter: c.exporter)
    let torchNames = model.parameters.names.map { mapping[$0] ?? $0 }
    let directions = try torchNames.map {
      try data.tensor(named: "direction.\($0)").floatingPoint(as: Double.self).expandingShape(at: 0)
    }
    let hessian = try HessianOperator(
      model: model, loss: .tokenCrossEntropy(.mean),
      data: DataSet(inputs: inputs, targets: targets))
    let r = hessianVectorProducts(at: model.parameters.values, along: directions) { p in
      model.loss(.tokenCrossEntropy(.mean), inputs: inputs, targets: targets, parameters: p)
    }
    let expectedLoss = try data.tensor(named: "loss").floatingPoint(as: Double.self).scalar
    #expect(abs(r.value - expectedLoss) <= tolerance * abs(expectedLoss))
    #expect(abs(try hessian.lossValue() - r.value) <= 1e-12 * abs(expectedLoss))
    let batched = try hessian.apply(ParameterCollection<Double>.flattenBlock(directions))
    let hvFlat = ParameterCollection<Double>.flattenBlock(r.hessianVectorProducts)
    #expect(closeness(batched, hvFlat, rtol: 1e-9, atol: 1e-12).passes, "the operator's product")
    for (i, name) in torchNames.enumerated() {
      let g = try data.tensor(named: "grad.\(name)").floatingPoint(as: Double.self)
      let hv = try data.tensor(named: "hvp.\(name)").floatingPoint(as: Double.self)
      let gradientError = relativeError(r.gradient[i], g)
      #expect(gradientError <= tolerance, "grad.\(name): \(gradientError)")
      let hvpError = relativeError(r.hessianVectorProducts[i].reshaped(to: hv.shape), hv)
      #expect(hvpError <= tolerance, "hvp.\(name): \(hvpError)")
      #expect(r.hessianVectorProducts[i].isFinite)
    }
  }

  /// Softmax over scores masked with -inf (masked_fill): no NaN in value, gradient or HVP.
  @Test(arguments: ["legacy", "dynamo"])
  func maskedSoftmaxMatchesPyTorch(_ exporter: String) throws {
    let graph = try ONNXGraph(contentsOf: TransformerFixtures.url("mask_ops.\(exporter).onnx"))
    let model = Model<Double>(try ONNXNetwork<Double>(graph))
    let data = try Safetensors.read(contentsOf: TransformerFixtures.url("mask_ops.data.safetensors"))
    let inputs = try data.tensor(named: "inputs").floatingPoint(as: Double.self)
    let labels = try data.tensor(named: "labels").integers()
    let directions = try model.parameters.names.map {
      try data.tensor(named: "direction.\($0)").floatingPoint(as: Double.self).expandingShape(at: 0)
    }
    let r = hessianVectorProducts(at: model.parameters.values, along: directions) { p in
      model.loss(.crossEntropy(.mean), inputs: inputs, targets: .classes(labels), parameters: p)
    }
    for (i, name) in model.parameters.names.enumerated() {
      let g = try data.tensor(named: "grad.\(name)").floatingPoint(as: Double.self)
      let hv = try data.tensor(named: "hvp.\(name)").floatingPoint(as: Double.self)
      #expect(closeness(r.gradient[i], g, rtol: 1e-10, atol: 1e-12).passes, "grad.\(name)")
      #expect(
        closeness(r.hessianVectorProducts[i].reshaped(to: hv.shape), hv, rtol: 1e-9, atol: 1e-11)
          .passes, "hvp.\(name)")
    }
  }
}
