// A graph of two inputs, one of them integer (ids indexing an embedding table, as token ids
// do): `logits = x W^T + E[ids]`, built here as ONNX protobuf. Its forward values against a
// direct loop, its data-set gradient against central differences of values and its HVP
// against central differences of gradients (Double), through ModelInputs, DataSet and
// HessianOperator with batches of unequal size.

import Autodiff
import Foundation
import HessianAnalysis
import NeuralNetworks
import ONNXImport
import TensorCore
import Testing
import _TestSupport

@Suite("ONNX import: named inputs of any element type")
struct NamedInputTests {
  static let (n, f, c, vocabulary) = (5, 3, 4, 6)

  /// The graph and its parameters `W` `[c, f]`, `E` `[vocabulary, c]`.
  static func graph() throws -> (ONNXGraph, w: [Float], e: [Float]) {
    let (bytes, w, e) = try EmbeddingGraph.bytes(
      features: f, classes: c, vocabulary: vocabulary, seed: 21)
    return (try ONNXGraph(serializedBytes: bytes), w, e)
  }

  static let ids = [2, 0, 5, 2, 3]
  static let labels = [1, 3, 0, 2, 2]

  static func inputs() -> ModelInputs<Double> {
    var g = SeededGenerator(seed: 4)
    return ModelInputs([
      "x": .real(Tensor<Double>(randomNormal: [n, f], using: &g)),
      "ids": .integer(IntegerTensor(ids)),
    ])
  }

  @Test func forwardMatchesTheDirectLoop() throws {
    let (graph, w, e) = try Self.graph()
    #expect(graph.inputs.map(\.elementType) == ["FLOAT", "INT64"])
    #expect(graph.parameterNames == ["W", "E"])
    let model = Model<Double>(try ONNXNetwork<Double>(graph))
    let inputs = Self.inputs()
    guard case .real(let x)? = inputs["x"] else { return }
    let y = model.output(for: inputs, parameters: model.parameters.values.map { Variable($0) })
    for i in 0..<Self.n {
      for k in 0..<Self.c {
        var expected = Double(e[Self.ids[i] * Self.c + k])
        for j in 0..<Self.f { expected += x[i, j] * Double(w[k * Self.f + j]) }
        #expect(abs(y.value[i, k] - expected) < 1e-12)
      }
    }
  }

  /// The data-set loss over batches of 2, 2 and 1: gradient and HVP against finite
  /// differences; the embedding rows of unused ids get exactly zero.
  @Test func gradientAndHVPMatchFiniteDifferences() throws {
    let (graph, _, _) = try Self.graph()
    let model = Model<Double>(try ONNXNetwork<Double>(graph))
    let data = DataSet(inputs: Self.inputs(), targets: .classes(Self.labels), batchSize: 2)
    let hessian = try HessianOperator(model: model, loss: .crossEntropy(.mean), data: data)
    func loss(_ p: [Tensor<Double>]) -> Double {
      var m = model
      m.parameters.values = p
      return (0..<data.batchCount).reduce(0) { total, b in
        let batch = try! data.batch(b)
        let z = m.output(for: batch.modelInputs, parameters: p.map { Variable($0) })
        return total + Double(crossEntropy(logits: z, labels: batch.targets.classLabels!).value.scalar)
          * Double(batch.count) / Double(Self.n)
      }
    }
    let point = model.parameters.values
    let (_, g) = try hessian.lossAndGradient()
    let numeric = ParameterCollection<Double>.flatten(numericalGradient(at: point, of: loss))
    #expect(closeness(g, numeric, rtol: 1e-7, atol: 1e-9).passes)
    // The rows of ids 1 and 4, which no sample uses, have a zero gradient.
    let eOffset = Self.c * Self.f
    for id in [1, 4] {
      for k in 0..<Self.c { #expect(g.scalars[eOffset + id * Self.c + k] == 0) }
    }
    var gen = SeededGenerator(seed: 8)
    let v = Tensor<Double>(randomNormal: [hessian.dimension], using: &gen)
    let hv = try hessian.apply(vector: v)
    let numericHV = numericalHessianVectorProduct(
      at: point, along: model.parameters.unflattened(v)
    ) { p in
      var m = model
      m.parameters.values = p
      let op = try! HessianOperator(
        model: m, loss: .crossEntropy(.mean), data: data, checkDeterminism: false)
      return m.parameters.unflattened(try! op.lossAndGradient().gradient)
    }
    let check = closeness(hv, ParameterCollection<Double>.flatten(numericHV), rtol: 1e-6, atol: 1e-8)
    #expect(check.passes, "\(check)")
  }

  /// MatMul's leading axes broadcast as NumPy's: `[2, 1, 3, 4] @ [3, 4, 5]` is `[2, 3, 3, 5]`;
  /// values against a direct loop, the weight's gradient against central differences.
  @Test func batchedMatMulBroadcasts() throws {
    var g = SeededGenerator(seed: 5)
    let w = Tensor<Float>(randomNormal: [3, 4, 5], using: &g).scalars
    let bytes = try EmbeddingGraph.model(
      nodes: [EmbeddingGraph.node("MatMul", ["x", "W"], ["y"])],
      initializers: [EmbeddingGraph.tensorProto("W", [3, 4, 5], w)],
      inputs: [EmbeddingGraph.valueInfo("x", type: 1, [nil, 1, 3, 4])],
      outputs: [EmbeddingGraph.valueInfo("y", type: 1, [nil, 3, 3, 5])])
    let model = Model<Double>(try ONNXNetwork<Double>(try ONNXGraph(serializedBytes: bytes)))
    let x = Tensor<Double>(randomNormal: [2, 1, 3, 4], using: &g)
    let y = model(x)
    #expect(y.shape == [2, 3, 3, 5])
    let xs = x.scalars
    for b in 0..<2 {
      for h in 0..<3 {
        for i in 0..<3 {
          for j in 0..<5 {
            var e = 0.0
            for k in 0..<4 { e += xs[(b * 3 + i) * 4 + k] * Double(w[(h * 4 + k) * 5 + j]) }
            #expect(abs(y[b, h, i, j] - e) < 1e-12)
          }
        }
      }
    }
    let weights = Tensor<Double>(randomNormal: [2, 3, 3, 5], using: &g)
    func f(_ p: [Tensor<Double>]) -> Double {
      Double((model.output(for: Variable(x), parameters: p.map { Variable($0) }) * weights).squared().sum().value.scalar)
    }
    let exact = gradient(at: model.parameters.values) { p in
      (model.output(for: Variable(x), parameters: p) * weights).squared().sum()
    }
    let numeric = numericalGradient(at: model.parameters.values, of: f)
    #expect(closeness(exact[0], numeric[0], rtol: 1e-7, atol: 1e-9).passes)
  }
}
