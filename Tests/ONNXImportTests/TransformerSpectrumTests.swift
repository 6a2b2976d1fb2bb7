// The issue's transformer fixtures beyond logits and products (Tests/Fixtures/transformer, made
// by Scripts/generate_transformer_fixtures.py): the character GPT (vocabulary 30, context 16,
// width 32, 2 layers, 2 heads) wrapped so that its graph returns the scalar loss
// (SoftmaxCrossEntropyLoss with ignore_index), a tiny ViT (patch Conv, class token, LayerNorm,
// attention, both GELU forms), top eigenvalues against SciPy eigsh in float64, and each
// parameter block's top eigenvalue and exact trace against PyTorch's.

import Autodiff
import Foundation
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import ONNXImport
import TensorCore
import TensorIO
import Testing
import _TestSupport

enum SpectrumFixtures {
  static func json(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: TransformerFixtures.url("\(name).json"))
    return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
  }

  /// The graph's inputs fed from the data file, by the JSON's `feeds` (graph input -> key).
  static func inputs(
    _ name: String, exporter: String, graph: ONNXGraph, data: SafetensorsContents
  ) throws -> ModelInputs<Double> {
    let exporters = try json(name)["exporters"] as? [String: Any]
    let feeds = (exporters?[exporter] as? [String: Any])?["feeds"] as? [String: String] ?? [:]
    let tensors = try graph.inputs.map { input throws -> InputTensor<Double> in
      let stored = try data.tensor(named: feeds[input.name] ?? input.name)
      if stored.dtype.isFloatingPoint { return .real(stored.floatingPoint(as: Double.self)) }
      return .integer(IntegerTensor(shape: stored.shape, values: try stored.integers()))
    }
    return ModelInputs(names: graph.inputs.map(\.name), tensors: tensors)
  }

  /// The model, its inputs, the flat direction and the expected gradient and H v (PyTorch
  /// parameter order mapped onto the model's), and the data file.
  static func load(_ name: String, exporter: String) throws -> (
    model: Model<Double>, inputs: ModelInputs<Double>, direction: Tensor<Double>,
    gradient: Tensor<Double>, product: Tensor<Double>, data: SafetensorsContents
  ) {
    let graph = try ONNXGraph(contentsOf: TransformerFixtures.url("\(name).\(exporter).onnx"))
    let model = Model<Double>(try ONNXNetwork<Double>(graph))
    let data = try Safetensors.read(contentsOf: TransformerFixtures.url("\(name).data.safetensors"))
    let mapping = try TransformerFixtures.parameterOf(name, exporter: exporter)
    let torch = model.parameters.names.map { mapping[$0] ?? $0 }
    func flat(_ prefix: String) throws -> Tensor<Double> {
      Tensor.concatenated(
        try torch.map {
          let t = try data.tensor(named: "\(prefix).\($0)").floatingPoint(as: Double.self)
          return t.reshaped(to: [t.count])
        }, alongAxis: 0)
    }
    return (
      model, try inputs(name, exporter: exporter, graph: graph, data: data),
      try flat("direction"), try flat("grad"), try flat("hvp"), data
    )
  }
}

@Suite("Transformer fixtures: scalar-loss graph, ViT, eigenvalues and blocks against PyTorch")
struct TransformerSpectrumTests {
  /// The graph computes `F.cross_entropy(logits, targets, ignore_index=-100)` itself: its
  /// output is the objective (`--loss none`), with the targets a second integer input.
  @Test(arguments: ["legacy", "dynamo"])
  func scalarLossGraphMatchesPyTorch(_ exporter: String) throws {
    let f = try SpectrumFixtures.load("chargpt_loss", exporter: exporter)
    let expectedLoss = try f.data.tensor(named: "loss").floatingPoint(as: Double.self).scalar
    let data = DataSet(inputs: f.inputs, targets: .none(count: f.inputs.sampleCount))
    let hessian = try HessianOperator(model: f.model, loss: .modelOutput(.mean), data: data)
    let (loss, gradient) = try hessian.lossAndGradient()
    #expect(abs(loss - expectedLoss) <= 1e-6 * abs(expectedLoss), "\(loss) vs \(expectedLoss)")
    #expect(relativeError(gradient, f.gradient) <= 1e-6)
    let hv = try hessian.apply(f.direction.reshaped(to: [1, f.direction.count]))
    #expect(relativeError(hv.reshaped(to: [f.direction.count]), f.product) <= 1e-6)
  }

  @Test(arguments: ["legacy", "dynamo"])
  func visionTransformerMatchesPyTorch(_ exporter: String) throws {
    let f = try SpectrumFixtures.load("vit", exporter: exporter)
    let labels = try f.data.tensor(named: "labels").integers()
    let logits = f.model.output(for: f.inputs, parameters: f.model.parameters.values.map { Variable($0) })
    let expectedLogits = try f.data.tensor(named: "logits").floatingPoint(as: Double.self)
    #expect(relativeError(logits.value, expectedLogits) <= 1e-6)
    let data = DataSet(inputs: f.inputs, targets: .classes(labels))
    let hessian = try HessianOperator(model: f.model, loss: .crossEntropy(.mean), data: data)
    let (loss, gradient) = try hessian.lossAndGradient()
    let expectedLoss = try f.data.tensor(named: "loss").floatingPoint(as: Double.self).scalar
    #expect(abs(loss - expectedLoss) <= 1e-6 * abs(expectedLoss))
    #expect(relativeError(gradient, f.gradient) <= 1e-6)
    let hv = try hessian.apply(f.direction.reshaped(to: [1, f.direction.count]))
    #expect(relativeError(hv.reshaped(to: [f.direction.count]), f.product) <= 1e-6)
  }

  /// Lanczos (verified) against `eigsh(k=3, which='LA', tol=1e-10)` on PyTorch's float64
  /// double-backward HVPs.
  @Test(arguments: [("chargpt", "legacy"), ("chargpt_loss", "dynamo"), ("vit", "dynamo")])
  func topEigenvaluesMatchEigsh(_ name: String, _ exporter: String) throws {
    let f = try SpectrumFixtures.load(name, exporter: exporter)
    let loss: LossFunction
    let targets: Targets<Double>
    switch name {
    case "chargpt_loss":
      (loss, targets) = (.modelOutput(.mean), .none(count: f.inputs.sampleCount))
    case "vit":
      (loss, targets) = (.crossEntropy(.mean), .classes(try f.data.tensor(named: "labels").integers()))
    default:
      let labels = try f.data.tensor(named: "labels")
      (loss, targets) = (
        .tokenCrossEntropy(.mean),
        .positionClasses(shape: labels.shape, labels: try labels.integers())
      )
    }
    let hessian = try HessianOperator(
      model: f.model, loss: loss, data: DataSet(inputs: f.inputs, targets: targets))
    let result = try eigenpairs(of: hessian, count: 3, tolerance: 1e-8, seed: 0)
    let expected = try f.data.tensor(named: "top_eigenvalues").floatingPoint(as: Double.self).scalars
    #expect(result.verified)
    #expect(
      result.eigenvalues.count == 3
        && zip(result.eigenvalues, expected).allSatisfy { abs($0 - $1) <= 1e-6 * abs($1) },
      "\(name).\(exporter): \(result.eigenvalues) vs eigsh \(expected)")
  }

  /// Every block of the character GPT, from ParameterBlock.blocks: the same elements as the
  /// generator's blocks (matched by ranges; the names differ), its top eigenvalue (Lanczos on
  /// the block operator) against eigsh on PyTorch's block operator, and, for the small blocks,
  /// its exact trace (the dense block) against PyTorch's sum of the block's diagonal.
  @Test func blocksMatchPyTorch() throws {
    let f = try SpectrumFixtures.load("chargpt", exporter: "legacy")
    let labels = try f.data.tensor(named: "labels")
    let data = DataSet(
      inputs: f.inputs,
      targets: .positionClasses(shape: labels.shape, labels: try labels.integers()))
    let expected = (try SpectrumFixtures.json("chargpt")["blocks"] as? [[String: Any]]) ?? []
    func key(_ ranges: [Range<Int>]) -> [Int] {
      // Adjacent ranges merged, so that [a, b) + [b, c) and [a, c) compare equal.
      var merged: [Range<Int>] = []
      for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
        if let last = merged.last, last.upperBound == r.lowerBound {
          merged[merged.count - 1] = last.lowerBound..<r.upperBound
        } else {
          merged.append(r)
        }
      }
      return merged.flatMap { [$0.lowerBound, $0.upperBound] }
    }
    var byRanges: [[Int]: [String: Any]] = [:]
    for block in expected {
      let ranges = (block["ranges"] as? [[Int]] ?? []).map { $0[0]..<$0[1] }
      byRanges[key(ranges)] = block
    }
    let operators = try HessianOperator.blocks(
      model: f.model, loss: .tokenCrossEntropy(.mean), data: data)
    #expect(operators.count == expected.count)
    for op in operators {
      guard let reference = byRanges[key(op.block.ranges)] else {
        Issue.record("no PyTorch block with the ranges of \(op.block.name)")
        continue
      }
      let top = try eigenpairs(of: op, count: 1, tolerance: 1e-8, seed: 1)
      let topExpected = reference["top_eigenvalue"] as? Double ?? .nan
      #expect(
        abs(top.eigenvalues[0] - topExpected) <= 1e-6 * abs(topExpected),
        "\(op.block.name): \(top.eigenvalues[0]) vs \(topExpected)")
      if op.dimension <= 64 {
        let trace = try DenseHessian(of: op).trace
        let traceExpected = reference["trace"] as? Double ?? .nan
        #expect(
          abs(trace - traceExpected) <= 1e-6 * abs(traceExpected),
          "\(op.block.name) trace: \(trace) vs \(traceExpected)")
      }
    }
  }
}
