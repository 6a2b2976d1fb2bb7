// Small ONNX graphs built as protobuf for tests that need what PyTorch's exporters do not
// write for us (an integer input beside a floating-point one), with their parameters.

import Foundation
import ONNXProto
import TensorCore

/// `logits = x Wᵀ + E[ids]`: a floating-point input `x` `[N, features]`, an int64 input `ids`
/// `[N]` indexing an embedding table, as token ids do (Gemm, Gather, Add; opset 17).
public enum EmbeddingGraph {
  /// The serialized model and its parameters `W` `[classes, features]` and `E`
  /// `[vocabulary, classes]` (standard normal from `seed`).
  public static func bytes(
    features f: Int, classes c: Int, vocabulary: Int, seed: UInt64
  ) throws -> (Data, w: [Float], e: [Float]) {
    var g = SeededGenerator(seed: seed)
    let w = Tensor<Float>(randomNormal: [c, f], using: &g).scalars
    let e = Tensor<Float>(randomNormal: [vocabulary, c], using: &g).scalars
    var model = Onnx_ModelProto()
    model.irVersion = 8
    var opset = Onnx_OperatorSetIdProto()
    opset.version = 17
    model.opsetImport = [opset]
    var transB = Onnx_AttributeProto()
    transB.name = "transB"
    transB.type = .int
    transB.i = 1
    var gemm = node("Gemm", ["x", "W"], ["xw"])
    gemm.attribute = [transB]
    model.graph.node = [
      gemm, node("Gather", ["E", "ids"], ["emb"]), node("Add", ["xw", "emb"], ["logits"]),
    ]
    model.graph.initializer = [
      tensorProto("W", [c, f], w), tensorProto("E", [vocabulary, c], e),
    ]
    model.graph.input = [valueInfo("x", type: 1, [nil, f]), valueInfo("ids", type: 7, [nil])]
    model.graph.output = [valueInfo("logits", type: 1, [nil, c])]
    return (try model.serializedData(), w, e)
  }

  public static func tensorProto(_ name: String, _ shape: [Int], _ values: [Float]) -> Onnx_TensorProto {
    var t = Onnx_TensorProto()
    t.name = name
    t.dims = shape.map(Int64.init)
    t.dataType = 1
    t.floatData = values
    return t
  }

  public static func valueInfo(_ name: String, type: Int32, _ shape: [Int?]) -> Onnx_ValueInfoProto {
    var v = Onnx_ValueInfoProto()
    v.name = name
    v.type.tensorType.elemType = type
    v.type.tensorType.shape.dim = shape.map { d in
      var dim = Onnx_TensorShapeProto.Dimension()
      if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "N" }
      return dim
    }
    return v
  }

  public static func node(_ op: String, _ inputs: [String], _ outputs: [String]) -> Onnx_NodeProto {
    var node = Onnx_NodeProto()
    node.opType = op
    node.name = "/\(op.lowercased())"
    node.input = inputs
    node.output = outputs
    return node
  }



  /// A model of `nodes` (opset 17) with float initializers, inputs and outputs.
  public static func model(
    nodes: [Onnx_NodeProto], initializers: [Onnx_TensorProto], inputs: [Onnx_ValueInfoProto],
    outputs: [Onnx_ValueInfoProto]
  ) throws -> Data {
    var model = Onnx_ModelProto()
    model.irVersion = 8
    var opset = Onnx_OperatorSetIdProto()
    opset.version = 17
    model.opsetImport = [opset]
    model.graph.node = nodes
    model.graph.initializer = initializers
    model.graph.input = inputs
    model.graph.output = outputs
    return try model.serializedData()
  }
}
