// The command on models and data saved by PyTorch (Tests/Fixtures, made by
// Scripts/generate_fixtures.py): state dicts and data files load by their PyTorch names, and
// `hessian hvp` reproduces PyTorch's float64 double-backward products and loss.

import Foundation
import HessianAnalysis
import NeuralNetworks
import TensorCore
import TensorIO
import Testing

@Suite("hessian on PyTorch-saved models (fixtures)", .serialized)
struct PyTorchFixtureCommandTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures")

  /// Runs `hessian hvp` on fixture `name` along its `direction.*` and compares with `hvp.*`.
  func check(_ name: String, modelArguments: [String], parameterNames: [String], loss: Double)
    throws
  {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let data = try Safetensors.read(
      contentsOf: Self.fixtures.appendingPathComponent("\(name).data.safetensors"))
    func flat(_ prefix: String) throws -> Tensor<Double> {
      let parts = try parameterNames.map {
        try data.tensor(named: "\(prefix).\($0)").floatingPoint(as: Double.self).scalars
      }
      return Tensor(parts.flatMap { $0 })
    }
    try NumPy.write(
      StoredTensor(try flat("direction")), to: scratch.url.appendingPathComponent("v.npy"))
    let run = try CLI.run(
      ["hvp"] + modelArguments + [
        "--weights", Self.fixtures.appendingPathComponent("\(name).weights.safetensors").path,
        "--inputs", Self.fixtures.appendingPathComponent("\(name).data.safetensors").path,
        "--vector", scratch.path("v.npy"), "--out", scratch.path("hv.npy"),
        "--precision", "double", "--quiet",
      ])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(abs((json.number("loss") ?? 0) - loss) <= 1e-9 * abs(loss), "\(json["loss"] ?? "")")
    let hv = try NumPy.read(contentsOf: scratch.url.appendingPathComponent("hv.npy"))
      .floatingPoint(as: Double.self)
    let expected = try flat("hvp")
    let scale = Double(expected.abs().max())
    let error = Double((hv - expected).abs().max())
    #expect(error <= 1e-8 * scale, "\(name): max |Hv - PyTorch| = \(error), scale \(scale)")
  }

  @Test func mlpTanhMatchesPyTorch() throws {
    try check(
      "mlp_tanh",
      modelArguments: ["--model", "mlp", "--widths", "5,7,3", "--activation", "tanh"],
      parameterNames: ["0.weight", "0.bias", "2.weight", "2.bias"], loss: 1.0061017014344988)
  }

  @Test func resnet20MatchesPyTorch() throws {
    let names = Model<Double>(ResNet(depth: 20)).parameters.names
    try check(
      "resnet20", modelArguments: ["--model", "resnet20"], parameterNames: names,
      loss: 2.2644648525268734)
  }

  @Test func eigenAndTraceAgreeWithTheLibrarysDenseHessian() throws {
    let weights = Self.fixtures.appendingPathComponent("mlp_tanh.weights.safetensors")
    let dataURL = Self.fixtures.appendingPathComponent("mlp_tanh.data.safetensors")
    let arguments = [
      "--model", "mlp", "--widths", "5,7,3", "--activation", "tanh", "--weights", weights.path,
      "--inputs", dataURL.path, "--precision", "double", "--quiet",
    ]
    // The oracle: the library's dense Hessian (n products with identity columns) and LAPACK.
    var model = Model<Double>(multilayerPerceptron(widths: [5, 7, 3], activation: .tanh))
    try model.parameters.load(
      stateDict: Safetensors.read(contentsOf: weights).floatingPointTensors(as: Double.self))
    let data = try Safetensors.read(contentsOf: dataURL)
    let hessian = try HessianOperator(
      model: model, loss: .crossEntropy(.mean),
      inputs: data.tensor(named: "inputs").floatingPoint(as: Double.self),
      targets: .classes(try data.tensor(named: "labels").integers()))
    let dense = try DenseHessian(of: hessian)
    let spectrum = try dense.eigendecomposition().eigenvalues

    let eigen = try CLI.run(
      ["eigen", "--top", "3", "--bottom", "3", "--tolerance", "1e-9"] + arguments)
    #expect(eigen.status == 0, "\(eigen.stderr)")
    let expected = Array(spectrum.prefix(3)) + Array(spectrum.suffix(3))
    #expect(close(try eigen.json().numbers("eigenvalues"), expected, rtol: 1e-7, atol: 1e-10))

    let trace = try CLI.run(["trace", "--target-error", "0.001", "--max-probes", "60"] + arguments)
    #expect(trace.status == 0, "\(trace.stderr)")
    let json = try trace.json()
    let estimate = try #require(json.number("trace"))
    let error = try #require(json.number("standard_error"))
    #expect(
      abs(estimate - dense.trace) <= 4 * error + 1e-9 * abs(dense.trace),
      "\(estimate) ± \(error) vs \(dense.trace)")
  }

  @Test func eigenPerLayerSpendsItsProductsOnEigenvaluesOnly() throws {
    let weights = Self.fixtures.appendingPathComponent("mlp_tanh.weights.safetensors")
    let dataURL = Self.fixtures.appendingPathComponent("mlp_tanh.data.safetensors")
    let arguments = [
      "--model", "mlp", "--widths", "5,7,3", "--activation", "tanh", "--weights", weights.path,
      "--inputs", dataURL.path, "--precision", "double", "--quiet", "--tolerance", "1e-8",
    ]
    // The oracle: each layer's block assembled densely (n products with unit vectors) and
    // decomposed by LAPACK. Layer 0 (35 + 7 = 42 parameters) is above the dense threshold
    // (32), so the command uses Lanczos; layer 2 (21 + 3 = 24) is decomposed densely.
    var model = Model<Double>(multilayerPerceptron(widths: [5, 7, 3], activation: .tanh))
    try model.parameters.load(
      stateDict: Safetensors.read(contentsOf: weights).floatingPointTensors(as: Double.self))
    let data = try Safetensors.read(contentsOf: dataURL)
    let blocks = try HessianOperator.perLayer(
      model: model, loss: .crossEntropy(.mean),
      data: DataSet(
        inputs: data.tensor(named: "inputs").floatingPoint(as: Double.self),
        targets: .classes(try data.tensor(named: "labels").integers())))
    let tops = try blocks.map {
      try DenseHessian(of: $0).eigendecomposition().eigenvalues.last ?? .nan
    }

    let run = try CLI.run(["eigen", "--per-layer"] + arguments)
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    let layers = json.objects("layers")
    #expect(layers.map { $0["name"] as? String } == ["0", "2"])
    #expect(layers.map { $0["eigen_method"] as? String } == ["lanczos", "dense"])
    #expect(close(layers.map { $0.numbers("eigenvalues")[0] }, tops, rtol: 1e-7, atol: 1e-12))
    #expect(layers.allSatisfy { ($0["converged"] as? [Bool]) == [true] && $0["trace"] == nil })
    // The products: the dense block's n, and exactly what Lanczos alone spends on layer 0's
    // block (the same seed and start as `eigen --parameters '0.*'`, which computes nothing
    // else), nothing on traces.
    let alone = try CLI.run(["eigen", "--parameters", "0.*"] + arguments)
    #expect(alone.status == 0, "\(alone.stderr)")
    let lanczos = try #require(try alone.json()["hvp_count"] as? Int)
    #expect(close(try alone.json().numbers("eigenvalues"), [tops[0]], rtol: 1e-7, atol: 1e-12))
    #expect(layers.map { $0["hvp_count"] as? Int } == [lanczos, 24])
    #expect(json["hvp_count"] as? Int == lanczos + 24)
    #expect(lanczos <= 42, "Lanczos in 42 dimensions took \(lanczos) products")
  }
}
