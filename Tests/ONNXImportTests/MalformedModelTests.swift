// Files HessianKit must refuse with one line naming the file and the node, op, attribute,
// initializer or input: damaged bytes, unsupported ops and attributes, missing initializers,
// external data outside the model's directory, and shapes the graph cannot run.

import Foundation
import NeuralNetworks
import ONNXImport
import ONNXProto
import SwiftProtobuf
import TensorCore
import Testing

@Suite("ONNX import: bad files are refused with a clear message")
struct MalformedModelTests {
  static let seed003 = ONNXFixtures.url("seed003.legacy.onnx")

  static func model() throws -> Onnx_ModelProto {
    try Onnx_ModelProto(serializedBytes: Data(contentsOf: seed003))
  }

  /// The error importing `model` after `edit`, written to a temporary file.
  static func error(
    _ edit: (inout Onnx_ModelProto) -> Void, file: String = "edited.onnx",
    shape: [Int] = [8, 1, 6, 6]
  ) throws -> String {
    var m = try model()
    edit(&m)
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("hessiankit-onnx-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent(file)
    try m.serializedData().write(to: url)
    do {
      let graph = try ONNXGraph(contentsOf: url)
      try ONNXNetwork<Float>(graph).check(inputShape: shape)
    } catch let e as ONNXImportError {
      #expect(e.description.hasPrefix(url.path + ": "))
      #expect(!e.description.contains("\n"))
      return e.reason
    }
    Issue.record("no error")
    return ""
  }

  static func bytesError(_ bytes: Data) -> String {
    do {
      _ = try ONNXGraph(serializedBytes: bytes)
    } catch let e as ONNXImportError {
      return e.reason
    } catch {
      return "unexpected \(error)"
    }
    return "no error"
  }

  @Test func damagedBytes() throws {
    let bytes = try Data(contentsOf: Self.seed003)
    #expect(Self.bytesError(bytes.prefix(bytes.count / 2)).contains("not a valid ONNX model"))
    #expect(Self.bytesError(Data("PK\u{3}\u{4}not onnx at all".utf8)).contains("not"))
    #expect(Self.bytesError(Data()).contains("not an ONNX model"))
  }

  @Test func unsupportedOpNamesTheNode() throws {
    let reason = try Self.error { $0.graph.node[0].opType = "LSTM" }
    #expect(reason.contains("(LSTM)") && reason.contains("op type LSTM is not supported"))
    #expect(reason.contains("node \"\(try Self.model().graph.node[0].name)\""))
  }

  @Test func unsupportedAttributeIsNamed() throws {
    let reason = try Self.error { m in
      var a = Onnx_AttributeProto()
      a.name = "fancy"
      a.type = .int
      a.i = 1
      m.graph.node[0].attribute.append(a)
    }
    #expect(reason.contains("attribute fancy is not supported"))
  }

  @Test func unsupportedAttributeValueIsNamed() throws {
    let conv = try Self.model().graph.node.firstIndex { $0.opType == "Conv" }!
    let reason = try Self.error { m in
      var a = Onnx_AttributeProto()
      a.name = "auto_pad"
      a.type = .string
      a.s = Data("WEIRD".utf8)
      m.graph.node[conv].attribute.append(a)
    }
    #expect(reason.contains("(Conv)") && reason.contains("auto_pad \"WEIRD\""))
  }

  @Test func oldOpsetsAndOtherDomainsAreRefused() throws {
    #expect(try Self.error { $0.opsetImport[0].version = 9 }.contains("opset 9"))
    let reason = try Self.error { $0.graph.node[0].domain = "com.microsoft" }
    #expect(reason.contains("domain \"com.microsoft\""))
  }

  @Test func missingInitializerIsNamed() throws {
    let reason = try Self.error { m in
      m.graph.initializer.removeAll { $0.name == "c1.weight" }
      m.graph.input.removeAll { $0.name == "c1.weight" }
    }
    #expect(reason.contains("input \"c1.weight\" is not an initializer"))
  }

  @Test func initializerWithTooFewBytesIsNamed() throws {
    let reason = try Self.error { m in
      let i = m.graph.initializer.firstIndex { $0.name == "f2.bias" }!
      m.graph.initializer[i].rawData = m.graph.initializer[i].rawData.prefix(7)
    }
    #expect(reason.contains("initializer \"f2.bias\" has 7 bytes of raw data"))
  }

  @Test func enormousDeclaredShapeFailsBeforeAllocating() throws {
    let reason = try Self.error { m in
      let i = m.graph.initializer.firstIndex { $0.name == "f2.bias" }!
      m.graph.initializer[i].dims = [1 << 30, 1 << 30]
    }
    #expect(reason.contains("f2.bias") && reason.contains("impossible shape"))
  }

  /// A shape in the file cannot make the importer allocate beyond its element limit: a
  /// ConstantOfShape of 2^40 elements fails with a message, not with the machine's memory.
  @Test func enormousComputedShapeIsRefused() throws {
    let reason = try Self.error { m in
      var shape = Onnx_TensorProto()
      shape.name = "huge_shape"
      shape.dims = [2]
      shape.dataType = 7
      shape.int64Data = [1 << 20, 1 << 20]
      m.graph.initializer.append(shape)
      var node = Onnx_NodeProto()
      node.opType = "ConstantOfShape"
      node.name = "/huge"
      node.input = ["huge_shape"]
      node.output = ["huge"]
      m.graph.node.insert(node, at: 0)
    }
    #expect(reason.contains("node \"/huge\" (ConstantOfShape)") && reason.contains("refused"))
  }

  @Test func externalDataOutsideTheDirectoryIsRefused() throws {
    func external(_ location: String) -> (inout Onnx_ModelProto) -> Void {
      { m in
        let i = m.graph.initializer.firstIndex { $0.name == "f2.bias" }!
        m.graph.initializer[i].clearRawData()
        m.graph.initializer[i].dataLocation = .external
        var entry = Onnx_StringStringEntryProto()
        entry.key = "location"
        entry.value = location
        m.graph.initializer[i].externalData = [entry]
      }
    }
    #expect(try Self.error(external("../../etc/passwd")).contains("outside the model's directory"))
    #expect(try Self.error(external("/etc/passwd")).contains("outside the model's directory"))
    #expect(try Self.error(external("missing.onnx.data")).contains("cannot be read"))
  }

  /// A batch axis fixed at export is enforced with a message that says so; when the file
  /// declares the axis free but a Reshape froze it (the legacy export of seed 003's net writes
  /// `view(8, -1)`), the check names the first node that cannot run instead of failing inside a product.
  @Test func shapesTheGraphCannotRunAreNamedByTheCheck() throws {
    let network = try ONNXNetwork<Float>(ONNXGraph(contentsOf: Self.seed003))
    #expect(try network.check(inputShape: [8, 1, 6, 6]) == [8, 5])
    do {
      try network.check(inputShape: [3, 1, 6, 6])
      Issue.record("no error")
    } catch let e as ONNXImportError {
      #expect(e.reason.contains("declared [8, 1, 6, 6], got [3, 1, 6, 6]"))
      #expect(e.reason.contains("dynamic_axes"))
    }
    let reason = try Self.error({ m in
      var dim = Onnx_TensorShapeProto.Dimension()
      dim.dimParam = "N"
      m.graph.input[0].type.tensorType.shape.dim[0] = dim
    }, shape: [3, 1, 6, 6])
    // Reshape [8, -1] of 3 samples gives 8 rows of the wrong width; the Gemm refuses them.
    #expect(reason.contains("node \"/f2/Gemm\" (Gemm): inner dimensions differ: A [8, 432]"))
  }

  /// A graph of several inputs takes them by name; one missing is named.
  @Test func severalInputsAreTakenByName() throws {
    var m = try Self.model()
    var extra = m.graph.input[0]
    extra.name = "mask"
    m.graph.input.append(extra)
    let graph = try ONNXGraph(serializedBytes: m.serializedData())
    let network = try ONNXNetwork<Float>(graph)
    #expect(network.inputNames == [m.graph.input[0].name, "mask"])
    #expect(network.inputName == nil)
    do {
      try network.check(inputShape: [8, 1, 6, 6])
      Issue.record("no error")
    } catch let e as ONNXImportError {
      #expect(e.reason.contains("check them by name"))
    }
    do {
      try network.check(
        ModelInputs(names: [m.graph.input[0].name], tensors: [.real(Tensor(zeros: [8, 1, 6, 6]))]))
      Issue.record("no error")
    } catch let e as ONNXImportError {
      #expect(e.reason.contains("input \"mask\" is missing"))
    }
  }

}
