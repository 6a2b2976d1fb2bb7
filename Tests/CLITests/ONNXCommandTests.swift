// `--model FILE.onnx` end to end: an imported graph through `hessian hvp`, `eigen --per-layer`
// and `input-hessian --loss none` (seed 000's objective of a latent code), against PyTorch
// float64 (Tests/Fixtures/onnx, made by Scripts/generate_onnx_fixtures.py), and the one-line
// refusals of bad ONNX input.

import Foundation
import MatrixFree
import ONNXProto
import TensorCore
import TensorIO
import Testing
import _TestSupport

@Suite("hessian on ONNX models", .serialized)
struct ONNXCommandTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/onnx")

  static func path(_ file: String) -> String { fixtures.appendingPathComponent(file).path }

  /// `hessian hvp` on each exporter's LeNet reproduces PyTorch's double-backward product, and
  /// the JSON lists the parameters in model.parameters() order.
  @Test(arguments: ["legacy", "dynamo"])
  func hvpMatchesPyTorch(_ exporter: String) throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let data = try Safetensors.read(contentsOf: Self.fixtures.appendingPathComponent("lenet.data.safetensors"))
    let names = [
      "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
      "fc2.weight", "fc2.bias",
    ]
    func flat(_ prefix: String) throws -> Tensor<Double> {
      Tensor(
        try names.flatMap {
          try data.tensor(named: "\(prefix).\($0)").floatingPoint(as: Double.self).scalars
        })
    }
    try NumPy.write(StoredTensor(try flat("direction")), to: scratch.url.appendingPathComponent("v.npy"))
    let run = try CLI.run([
      "hvp", "--model", Self.path("lenet.\(exporter).onnx"),
      "--inputs", Self.path("lenet.data.safetensors"), "--vector", scratch.path("v.npy"),
      "--out", scratch.path("hv.npy"), "--precision", "double", "--quiet",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    let model = try #require(json["model"] as? [String: Any])
    #expect(model["parameter_order"] as? [String] == names)
    #expect(model["folding"] is NSNull)
    let loss = try data.tensor(named: "loss").floatingPoint(as: Double.self).scalar
    #expect(abs((json.number("loss") ?? 0) - loss) <= 1e-10 * abs(loss))
    let hv = try NumPy.read(contentsOf: scratch.url.appendingPathComponent("hv.npy"))
      .floatingPoint(as: Double.self)
    let expected = try flat("hvp")
    let error = Double((hv - expected).abs().max())
    #expect(error <= 1e-10 * Double(expected.abs().max()), "max |Hv - PyTorch| = \(error)")
  }

  /// Seed 000: the Hessian of a scalar objective of the latent code z through a generator and
  /// a classifier, from `--input z=... --loss none`: all eigenvalues of PyTorch's
  /// `torch.autograd.functional.hessian`.
  @Test(arguments: ["legacy", "dynamo"])
  func inputHessianOfTheGeneratorObjective(_ exporter: String) throws {
    let run = try CLI.run([
      "input-hessian", "--model", Self.path("gan.\(exporter).onnx"),
      "--input", "z=" + Self.path("gan.data.safetensors"), "--loss", "none",
      "--precision", "double", "--quiet",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    let data = try Safetensors.read(contentsOf: Self.fixtures.appendingPathComponent("gan.data.safetensors"))
    let hessian = try data.tensor(named: "hessian_z").floatingPoint(as: Double.self)
    let expected = try symmetricEigenvalues(of: hessian).scalars.map { Double($0) }
    let found = try #require(json["all_eigenvalues"] as? [Double])
    let scale = expected.map { Swift.abs($0) }.max() ?? 1
    for (a, b) in zip(found, expected) { #expect(abs(a - b) <= 1e-10 * scale, "\(found)") }
    let objective = try data.tensor(named: "objective").floatingPoint(as: Double.self).scalar
    #expect(abs((json.number("loss") ?? 0) - objective) <= 1e-12 * abs(objective))
  }

  /// `--per-layer` groups an imported graph's parameters by module (`conv1.weight` and
  /// `conv1.bias` form `conv1`).
  @Test func perLayerGroupsByModule() throws {
    let run = try CLI.run([
      "eigen", "--model", Self.path("lenet.dynamo.onnx"), "--inputs",
      Self.path("lenet.data.safetensors"), "--per-layer", "--top", "1", "--quiet",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let layers = try #require(run.json()["layers"] as? [[String: Any]])
    #expect(layers.compactMap { $0["name"] as? String } == ["conv1", "conv2", "fc1", "fc2"])
  }

  /// A folded export still runs, but its parameterization is not the model's: the warning
  /// goes to stderr and the JSON, with the way to export without folding.
  @Test(arguments: ["legacy", "dynamo"])
  func foldedExportIsReportedOnStderrAndInTheJSON(_ exporter: String) throws {
    let run = try CLI.run([
      "eigen", "--model", Self.path("folded.\(exporter).onnx"), "--inputs",
      Self.path("folded.data.safetensors"), "--top", "1",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("warning:") && run.stderr.contains("looks folded"))
    let model = try #require(run.json()["model"] as? [String: Any])
    let folding = try #require(model["folding"] as? String)
    #expect(folding.contains("dynamo=True, optimize=False"))
  }

  @Test func badONNXInputIsOneLine() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let data = Self.path("lenet.data.safetensors")
    func refusal(_ arguments: [String], mentions: [String]) throws {
      let run = try CLI.run(arguments + ["--quiet"])
      #expect(run.status != 0)
      // One error line (ArgumentParser adds its usage hint after option errors).
      let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
      #expect(errors.count == 1, "\(run.stderr)")
      for m in mentions { #expect(run.stderr.contains(m), "\(run.stderr) lacks \(m)") }
      #expect(run.stdout.isEmpty)
    }
    // A file that is not ONNX.
    try Data("not a model".utf8).write(to: scratch.url.appendingPathComponent("junk.onnx"))
    try refusal(
      ["eigen", "--model", scratch.path("junk.onnx"), "--inputs", data],
      mentions: ["junk.onnx", "not a valid ONNX model"])
    // An unsupported op, named with its node.
    var model = try Onnx_ModelProto(
      serializedBytes: Data(contentsOf: Self.fixtures.appendingPathComponent("lenet.legacy.onnx")))
    let name = model.graph.node[1].name
    model.graph.node[1].opType = "Einsum"
    try model.serializedData().write(to: scratch.url.appendingPathComponent("einsum.onnx"))
    try refusal(
      ["eigen", "--model", scratch.path("einsum.onnx"), "--inputs", data],
      mentions: ["einsum.onnx", "node \"\(name)\" (Einsum)", "not supported"])
    // --loss none on a graph whose output is logits.
    try refusal(
      ["eigen", "--model", Self.path("lenet.legacy.onnx"), "--inputs", data, "--loss", "none"],
      mentions: ["--loss none needs a scalar output", "[8, 10]"])
    // Weights of another model: the unknown keys are named.
    try refusal(
      [
        "eigen", "--model", Self.path("lenet.legacy.onnx"), "--inputs", data, "--weights",
        Self.path("seed003.weights.safetensors"),
      ], mentions: ["c1.weight", "not initializers of the ONNX graph"])
    // A state dict whose tensor has the wrong shape: the key and both shapes are named.
    try Safetensors.write(
      [("fc2.bias", StoredTensor(Tensor<Float>(zeros: [7])))],
      to: scratch.url.appendingPathComponent("bad.safetensors"))
    try refusal(
      [
        "eigen", "--model", Self.path("lenet.legacy.onnx"), "--inputs", data, "--weights",
        scratch.path("bad.safetensors"),
      ], mentions: ["bad.safetensors", "\"fc2.bias\" has shape [7] in the file but [10]"])
    // A batch the graph was not exported for.
    try refusal(
      ["eigen", "--model", Self.path("lenet.legacy.onnx"), "--inputs", data, "--batch-size", "3"],
      mentions: ["lenet.legacy.onnx", "declared [8, 1, 16, 16]", "batches of 3"])
    try refusal(
      ["eigen", "--model", Self.path("lenet.legacy.onnx"), "--inputs", data, "--mode", "train"],
      mentions: ["--mode train does not apply to ONNX models"])
    try refusal(
      ["eigen", "--model", "lenet.onnx", "--inputs", data],
      mentions: ["lenet.onnx", "no such file"])
  }
}

extension ONNXCommandTests {
  /// A graph of a floating-point and an integer input, each given as `--input name=file`:
  /// the CLI reads int64 ids as integers, checks the shapes, and gives the library's loss;
  /// `input-hessian --with-respect-to x` differentiates the floating-point one.
  @Test func severalNamedInputsOfBothTypes() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let (bytes, _, _) = try EmbeddingGraph.bytes(features: 3, classes: 4, vocabulary: 6, seed: 2)
    try bytes.write(to: scratch.url.appendingPathComponent("two.onnx"))
    let x = Tensor<Double>(shape: [4, 3], scalars: (0..<12).map { Double($0) / 7 - 0.5 })
    try NumPy.write(StoredTensor(x), to: scratch.url.appendingPathComponent("x.npy"))
    try NumPy.write(
      StoredTensor(integers: [Int64(5), 0, 2, 5], shape: [4]),
      to: scratch.url.appendingPathComponent("ids.npy"))
    try NumPy.write(
      StoredTensor(integers: [Int64(1), 3, 0, 2], shape: [4]),
      to: scratch.url.appendingPathComponent("y.npy"))
    let common = [
      "--model", scratch.path("two.onnx"), "--input", "ids=" + scratch.path("ids.npy"),
      "--input", "x=" + scratch.path("x.npy"), "--precision", "double", "--quiet",
    ]
    let run = try CLI.run(["eigen", "--top", "2", "--labels", scratch.path("y.npy")] + common)
    #expect(run.status == 0, "\(run.stderr)")
    let model = try #require(run.json()["model"] as? [String: Any])
    #expect(model["inputs"] as? [String] == ["x", "ids"])
    #expect(model["parameter_order"] as? [String] == ["W", "E"])

    let input = try CLI.run(
      ["input-hessian", "--with-respect-to", "x", "--labels", scratch.path("y.npy")] + common)
    #expect(input.status == 0, "\(input.stderr)")
    #expect(try input.json()["dimension"] as? Int == 3)
    let bad = try CLI.run(
      ["input-hessian", "--with-respect-to", "ids", "--labels", scratch.path("y.npy")] + common)
    #expect(bad.status != 0 && bad.stderr.contains("not a floating-point input"))
    let missing = try CLI.run(
      ["eigen", "--model", scratch.path("two.onnx"), "--input", "x=" + scratch.path("x.npy"),
       "--labels", scratch.path("y.npy"), "--quiet"])
    #expect(missing.status != 0 && missing.stderr.contains("also needs the inputs [\"ids\"]"))
  }
}

extension ONNXCommandTests {
  /// A language model from the dynamo exporter (token ids in, logits [N, T, V] out): the CLI
  /// reads the int64 ids, takes the class axis last from the labels' shape [N, T], skips the
  /// -100 labels, and `hessian hvp` reproduces PyTorch's float64 product of the next-token
  /// loss (the tied output head under the initializer's name, `lm_head.weight`).
  @Test func languageModelHVPMatchesPyTorch() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let directory = Self.fixtures.deletingLastPathComponent().appendingPathComponent("transformer")
    let dataURL = directory.appendingPathComponent("gpt_sdpa.data.safetensors")
    let data = try Safetensors.read(contentsOf: dataURL)
    let json = try JSONSerialization.jsonObject(
      with: Data(contentsOf: directory.appendingPathComponent("gpt_sdpa.json")))
    let dynamo = ((json as? [String: Any])?["exporters"] as? [String: Any])?["dynamo"] as? [String: Any]
    let mapping = (dynamo?["initializer_to_parameter"] as? [String: Any] ?? [:])
      .compactMapValues { $0 as? String }
    let order = try #require(dynamo?["initializers"] as? [[String: Any]])
      .compactMap { $0["name"] as? String }.filter { mapping[$0] != nil }
    func flat(_ prefix: String) throws -> Tensor<Double> {
      Tensor(
        try order.flatMap {
          try data.tensor(named: "\(prefix).\(mapping[$0]!)").floatingPoint(as: Double.self).scalars
        })
    }
    try NumPy.write(StoredTensor(try flat("direction")), to: scratch.url.appendingPathComponent("v.npy"))
    let run = try CLI.run([
      "hvp", "--model", directory.appendingPathComponent("gpt_sdpa.dynamo.onnx").path,
      "--input", "idx=" + dataURL.path, "--labels", dataURL.path, "--vector", scratch.path("v.npy"),
      "--out", scratch.path("hv.npy"), "--precision", "double", "--quiet",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let model = try #require(run.json()["model"] as? [String: Any])
    #expect(model["parameter_order"] as? [String] == order)
    let loss = try data.tensor(named: "loss").floatingPoint(as: Double.self).scalar
    #expect(abs((try run.json().number("loss") ?? 0) - loss) <= 1e-10 * abs(loss))
    let hv = try NumPy.read(contentsOf: scratch.url.appendingPathComponent("hv.npy"))
      .floatingPoint(as: Double.self)
    let expected = try flat("hvp")
    let error = Double((hv - expected).abs().max())
    #expect(error <= 1e-9 * Double(expected.abs().max()), "max |Hv - PyTorch| = \(error)")
  }
}
