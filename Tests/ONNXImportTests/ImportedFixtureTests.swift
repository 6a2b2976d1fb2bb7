// Imported ONNX graphs against PyTorch float64: each fixture model exported by both PyTorch
// exporters (Tests/Fixtures/onnx, made by Scripts/generate_onnx_fixtures.py) gives PyTorch's
// logits, loss, gradient and Hessian-vector product, with parameters in model.parameters()
// order.

import Autodiff
import Foundation
import NeuralNetworks
import ONNXImport
import TensorCore
import TensorIO
import Testing
import _TestSupport

enum ONNXFixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/onnx")

  static func url(_ file: String) -> URL { directory.appendingPathComponent(file) }

  static func data(_ name: String) throws -> SafetensorsContents {
    try Safetensors.read(contentsOf: url("\(name).data.safetensors"))
  }

  /// `model.parameters()` names, from the case's JSON.
  static func parameterOrder(_ name: String) throws -> [String] {
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url("\(name).json")))
    let parameters = (json as? [String: Any])?["parameters"] as? [[String: Any]] ?? []
    return parameters.compactMap { $0["name"] as? String }
  }

  /// Every classifier case: the op cases, seed 003's net and the LeNet.
  static let classifierCases: [String] = {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    let ops = files.filter { $0.hasPrefix("op_") && $0.hasSuffix(".json") }
      .map { String($0.dropLast(5)) }.sorted()
    return ["seed003", "lenet"] + ops
  }()

  static let exporters = ["legacy", "dynamo"]
}

struct ExportedCase: CustomStringConvertible, Sendable {
  let name: String
  let exporter: String
  var description: String { "\(name).\(exporter)" }
  var file: URL { ONNXFixtures.url("\(name).\(exporter).onnx") }

  static let all: [ExportedCase] = ONNXFixtures.classifierCases.flatMap { name in
    ONNXFixtures.exporters.map { ExportedCase(name: name, exporter: $0) }
  }.filter { FileManager.default.fileExists(atPath: $0.file.path) }
}

@Suite("ONNX import against PyTorch float64")
struct ImportedFixtureTests {
  @Test func everyCaseHasBothExports() {
    for name in ONNXFixtures.classifierCases {
      for exporter in ONNXFixtures.exporters {
        let path = ONNXFixtures.url("\(name).\(exporter).onnx").path
        #expect(FileManager.default.fileExists(atPath: path), "\(path) is missing")
      }
    }
  }

  /// The legacy exporter writes GELU as arithmetic with float32 constants (`sqrt(2)`,
  /// `sqrt(2/pi)`), so the file's function differs from PyTorch's float64 GELU by about 1e-8
  /// relative (more on entries near zero); elsewhere the graph holds PyTorch's exact function.
  static func tolerance(_ c: ExportedCase) -> Double {
    c.exporter == "legacy" && c.name.hasPrefix("op_gelu") ? 1e-5 : 1e-10
  }

  @Test(arguments: ExportedCase.all)
  func doublePrecisionMatchesPyTorch(_ c: ExportedCase) throws {
    let rtol = Self.tolerance(c)
    let graph = try ONNXGraph(contentsOf: c.file)
    #expect(graph.parameterNames == (try ONNXFixtures.parameterOrder(c.name)))
    #expect(graph.foldingNotice == nil, "\(graph.foldingNotice ?? "")")
    let model = Model<Double>(try ONNXNetwork<Double>(graph))
    let data = try ONNXFixtures.data(c.name)
    let inputs = try data.tensor(named: "inputs").floatingPoint(as: Double.self)
    let labels = try data.tensor(named: "labels").integers()
    let logits = model(inputs)
    let expectedLogits = try data.tensor(named: "logits").floatingPoint(as: Double.self)
    let forward = closeness(logits, expectedLogits, rtol: rtol, atol: 1e-12)
    #expect(forward.passes, "logits: \(forward)")

    let directions = try model.parameters.names.map {
      try data.tensor(named: "direction.\($0)").floatingPoint(as: Double.self).expandingShape(at: 0)
    }
    let result = hessianVectorProducts(at: model.parameters.values, along: directions) { p in
      model.loss(.crossEntropy(.mean), inputs: inputs, targets: .classes(labels), parameters: p)
    }
    let expectedLoss = try data.tensor(named: "loss").floatingPoint(as: Double.self).scalar
    #expect(abs(result.value - expectedLoss) <= rtol * abs(expectedLoss))
    for (i, name) in model.parameters.names.enumerated() {
      let g = try data.tensor(named: "grad.\(name)").floatingPoint(as: Double.self)
      let hv = try data.tensor(named: "hvp.\(name)").floatingPoint(as: Double.self)
      let gradientCheck = closeness(result.gradient[i], g, rtol: rtol, atol: 1e-12)
      #expect(gradientCheck.passes, "grad.\(name): \(gradientCheck)")
      let hvpCheck = closeness(
        result.hessianVectorProducts[i].reshaped(to: hv.shape), hv, rtol: rtol, atol: 1e-11)
      #expect(hvpCheck.passes, "hvp.\(name): \(hvpCheck)")
    }
  }

  @Test(arguments: ExportedCase.all)
  func singlePrecisionMatchesPyTorch(_ c: ExportedCase) throws {
    let graph = try ONNXGraph(contentsOf: c.file)
    let model = Model<Float>(try ONNXNetwork<Float>(graph))
    let data = try ONNXFixtures.data(c.name)
    let inputs = try data.tensor(named: "inputs").floatingPoint(as: Float.self)
    let labels = try data.tensor(named: "labels").integers()
    let directions = try model.parameters.names.map {
      try data.tensor(named: "direction.\($0)").floatingPoint(as: Float.self).expandingShape(at: 0)
    }
    let result = hessianVectorProducts(at: model.parameters.values, along: directions) { p in
      model.loss(.crossEntropy(.mean), inputs: inputs, targets: .classes(labels), parameters: p)
    }
    let expectedLogits = try data.tensor(named: "logits").floatingPoint(as: Double.self)
    #expect(closeness(model(inputs), expectedLogits, rtol: 1e-5, atol: 1e-6).passes)
    for (i, name) in model.parameters.names.enumerated() {
      let g = try data.tensor(named: "grad.\(name)").floatingPoint(as: Double.self)
      let hv = try data.tensor(named: "hvp.\(name)").floatingPoint(as: Double.self)
      #expect(relativeError(result.gradient[i], g) <= 1e-4, "grad.\(name)")
      #expect(
        relativeError(result.hessianVectorProducts[i].reshaped(to: hv.shape), hv) <= 1e-4,
        "hvp.\(name)")
    }
  }
}
