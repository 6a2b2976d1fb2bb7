// The generated ONNX types decode what the reference `onnx` library writes: field numbers,
// types and nesting of onnx.pb.swift checked against a model serialized by onnx 1.23.2.

import Foundation
import ONNXProto
import Testing

@Suite("ONNXProto: the generated types read onnx's own bytes")
struct GeneratedTypesTests {
  // Python (onnx 1.23.2):
  //   w = numpy_helper.from_array(np.array([[1.5, -2.0], [0.25, 4.0]], np.float32), "fc.weight")
  //   node = helper.make_node("Gemm", ["x", "fc.weight"], ["y"], name="gemm0", transB=1)
  //   g = helper.make_graph([node], "tiny",
  //       [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
  //       [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])], [w])
  //   m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
  //       producer_name="hessiankit-test"); m.ir_version = 8
  //   base64.b64encode(m.SerializeToString())
  static let tiny = Data(
    base64Encoded:
      "CAgSD2hlc3NpYW5raXQtdGVzdDqGAQotCgF4CglmYy53ZWlnaHQSAXkaBWdlbW0wIgRHZW1tKg0KBnRyYW5zQhgBoA"
      + "ECEgR0aW55KiMIAggCEAFCCWZjLndlaWdodEoQAADAPwAAAMAAAIA+AACAQFoUCgF4Eg8KDQgBEgkKAxIBTgoCCAJi"
      + "FAoBeRIPCg0IARIJCgMSAU4KAggCQgQKABAR")!

  @Test func decodesAModelWrittenByOnnx() throws {
    let model = try Onnx_ModelProto(serializedBytes: Self.tiny)
    #expect(model.irVersion == 8 && model.producerName == "hessiankit-test")
    #expect(model.opsetImport.map(\.domain) == [""] && model.opsetImport.map(\.version) == [17])
    let graph = model.graph
    #expect(graph.name == "tiny")
    let node = try #require(graph.node.first)
    #expect(node.opType == "Gemm" && node.name == "gemm0")
    #expect(node.input == ["x", "fc.weight"] && node.output == ["y"])
    #expect(node.attribute.map(\.name) == ["transB"] && node.attribute.first?.i == 1)
    #expect(node.attribute.first?.type == .int)
    let weight = try #require(graph.initializer.first)
    #expect(weight.name == "fc.weight" && weight.dims == [2, 2])
    #expect(weight.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue))
    let values = weight.rawData.withUnsafeBytes { raw in
      (0..<4).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
    }
    #expect(values == [1.5, -2.0, 0.25, 4.0])
    let input = try #require(graph.input.first)
    let dims = input.type.tensorType.shape.dim.map { d -> String in
      switch d.value {
      case .dimParam(let p): p
      case .dimValue(let v): String(v)
      case nil: "?"
      }
    }
    #expect(input.name == "x" && dims == ["N", "2"])
    #expect(try model.serializedBytes() as [UInt8] == [UInt8](Self.tiny))
  }
}
