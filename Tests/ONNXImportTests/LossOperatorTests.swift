// SoftmaxCrossEntropyLoss, the op both PyTorch exporters emit for F.cross_entropy inside a
// model's forward: value against the definition computed by hand, gradient and HVP against
// central differences in Double, ignore_index and the two reductions, and a label outside the
// classes refused with the node named.

import Autodiff
import Foundation
import NeuralNetworks
import ONNXImport
import ONNXProto
import TensorCore
import Testing
import _TestSupport

@Suite("ONNX SoftmaxCrossEntropyLoss: value, derivatives, ignore_index")
struct LossOperatorTests {
  /// scores = x W ([N, 3]), loss = SoftmaxCrossEntropyLoss(scores, y) with ignore_index 1.
  static func model(reduction: String) throws -> (Model<Double>, [Float]) {
    var g = SeededGenerator(seed: 8)
    let w = Tensor<Float>(randomNormal: [4, 3], using: &g).scalars
    var node = EmbeddingGraph.node("SoftmaxCrossEntropyLoss", ["s", "y"], ["loss"])
    var ignore = Onnx_AttributeProto()
    ignore.name = "ignore_index"
    ignore.type = .int
    ignore.i = 1
    var mode = Onnx_AttributeProto()
    mode.name = "reduction"
    mode.type = .string
    mode.s = Data(reduction.utf8)
    node.attribute = [ignore, mode]
    let bytes = try EmbeddingGraph.model(
      nodes: [EmbeddingGraph.node("MatMul", ["x", "W"], ["s"]), node],
      initializers: [EmbeddingGraph.tensorProto("W", [4, 3], w)],
      inputs: [
        EmbeddingGraph.valueInfo("x", type: 1, [nil, 4]),
        EmbeddingGraph.valueInfo("y", type: 7, [nil]),
      ],
      outputs: [EmbeddingGraph.valueInfo("loss", type: 1, [])])
    return (Model<Double>(try ONNXNetwork<Double>(try ONNXGraph(serializedBytes: bytes))), w)
  }

  static let labels = [0, 1, 2, 2, 1, 0]

  static func inputs(_ x: Tensor<Double>, labels: [Int] = labels) -> ModelInputs<Double> {
    ModelInputs(
      names: ["x", "y"],
      tensors: [.real(x), .integer(IntegerTensor(shape: [labels.count], values: labels))])
  }

  static func loss(_ model: Model<Double>, _ x: Tensor<Double>, _ p: [Variable<Double>]) -> Variable<Double> {
    model.output(for: inputs(x), parameters: p)
  }

  @Test(arguments: ["mean", "sum"])
  func valueAndDerivatives(_ reduction: String) throws {
    let (model, w) = try Self.model(reduction: reduction)
    var g = SeededGenerator(seed: 9)
    let x = Tensor<Double>(randomNormal: [6, 4], using: &g)
    let value = Self.loss(model, x, model.parameters.values.map { Variable($0) }).value.scalar
    // By hand: positions whose label is 1 are ignored; the mean divides by the other 4.
    var total = 0.0
    for i in 0..<6 where Self.labels[i] != 1 {
      let s = (0..<3).map { c in (0..<4).reduce(0.0) { $0 + x[i, $1] * Double(w[$1 * 3 + c]) } }
      total += Foundation.log(s.map { Foundation.exp($0) }.reduce(0, +)) - s[Self.labels[i]]
    }
    let expected = reduction == "mean" ? total / 4 : total
    #expect(abs(value - expected) < 1e-12 * max(1, abs(expected)))

    func gradientAt(_ p: [Tensor<Double>]) -> [Tensor<Double>] {
      Autodiff.gradient(at: p) { Self.loss(model, x, $0) }
    }
    let numeric = numericalGradient(at: model.parameters.values) { p in
      Self.loss(model, x, p.map { Variable($0) }).value.scalar
    }
    #expect(closeness(gradientAt(model.parameters.values)[0], numeric[0], rtol: 1e-7, atol: 1e-9).passes)
    let v = [Tensor<Double>(randomNormal: [4, 3], using: &g)]
    let exact = hessianVectorProducts(
      at: model.parameters.values, along: [v[0].expandingShape(at: 0)]
    ) { Self.loss(model, x, $0) }.hessianVectorProducts[0]
    let fd = numericalHessianVectorProduct(
      at: model.parameters.values, along: v, gradient: gradientAt)[0]
    #expect(closeness(exact.reshaped(to: [4, 3]), fd, rtol: 1e-6, atol: 1e-8).passes)
  }

  @Test func labelOutsideTheClassesIsRefused() throws {
    let (model, _) = try Self.model(reduction: "mean")
    let network = try #require(model.network as? ONNXNetwork<Double>)
    let error = try #require(throws: (any Error).self) {
      _ = try network.check(Self.inputs(Tensor(zeros: [2, 4]), labels: [0, 7]))
    }
    #expect("\(error)".contains("label 7 at position 1 is not a class in 0..<3"), "\(error)")
    #expect("\(error)".contains("SoftmaxCrossEntropyLoss"), "\(error)")
  }
}
