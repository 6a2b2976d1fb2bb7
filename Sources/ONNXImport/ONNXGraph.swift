// An ONNX model decoded and checked: its nodes in order, initializers, inputs and outputs,
// which initializers are parameters, and whether the export folded the parameterization.

import Foundation
import ONNXProto
import SwiftProtobuf
import TensorCore

/// A graph input or output: its name, element type and shape (symbolic dimensions as nil).
public struct ONNXValueInfo: Sendable, Equatable {
  /// The value's name in the graph.
  public let name: String
  /// The ONNX element type (`FLOAT`, `INT64`, ...).
  public let elementType: String
  /// The declared shape; nil entries are symbolic (such as the batch axis `N`).
  public let shape: [Int?]?

  /// Whether the value holds floating-point numbers.
  public var isFloatingPoint: Bool { ["FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16"].contains(elementType) }
}

/// An ONNX model as HessianKit imports it (PyTorch `torch.onnx.export`, either exporter).
///
/// ```swift
/// let graph = try ONNXGraph(contentsOf: URL(fileURLWithPath: "net.onnx"))
/// var model = Model<Float>(try ONNXNetwork(graph))
/// print(graph.parameterNames)   // PyTorch's model.parameters() order for unfolded exports
/// ```
///
/// Decoding uses swift-protobuf and checks the whole file before any computation: every node's
/// op type, domain and attributes are supported, every input is defined before it is used, the
/// opset is 13 to 23, and initializers hold as many bytes as their shapes need (external data
/// is read from beside the file).
///
/// **Parameters** are the floating-point initializers that reach an output through a
/// differentiable path (not only through shapes, axes or BatchNorm running statistics, which
/// are buffers), in the order of the file's initializer list. Both PyTorch exporters write the
/// state-dict names when the export does not fold.
public struct ONNXGraph: Sendable {
  /// The file (for messages).
  public let path: String
  /// The default-domain opset.
  public let opset: Int
  /// `producer_name producer_version`.
  public let producer: String
  /// The graph's inputs that are not initializers.
  public let inputs: [ONNXValueInfo]
  /// The graph's outputs.
  public let outputs: [ONNXValueInfo]
  /// Parameter names in order.
  public let parameterNames: [String]
  /// Floating-point initializers that are not parameters (running statistics, constants).
  public let bufferNames: [String]
  /// Why the export looks folded (BatchNorm folded into convolutions, renamed or transposed
  /// initializers), with how to export without folding; nil when it does not.
  public let foldingNotice: String?

  let nodes: [ONNXNode]
  let constants: [String: StoredConstant]
  /// Conv node index -> the inference BatchNormalization that is its output's only consumer.
  let batchNormAfterConv: [Int: Int]
  /// Value name -> the index of the last node that reads it (the evaluator frees it there).
  let lastUse: [String: Int]

  /// Reads and checks the model at `url` (external data beside it).
  ///
  /// - Throws: ``ONNXImportError`` naming the file and the node, op, attribute, initializer or
  ///   input concerned.
  public init(contentsOf url: URL) throws {
    let data: Data
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw ONNXImportError(path: url.path, "no such file")
    }
    do {
      data = try Data(contentsOf: url, options: .mappedIfSafe)
    } catch {
      throw ONNXImportError(path: url.path, "cannot be read (\(error.localizedDescription))")
    }
    try self.init(serializedBytes: data, url: url)
  }

  /// Decodes a model from bytes (external data cannot be resolved without a file).
  public init(serializedBytes data: Data) throws {
    try self.init(serializedBytes: data, url: nil)
  }

  init(serializedBytes data: Data, url: URL?) throws {
    let path = url?.path ?? "<memory>"
    self.path = path
    let model: Onnx_ModelProto
    do {
      var options = BinaryDecodingOptions()
      options.messageDepthLimit = 64
      model = try Onnx_ModelProto(serializedBytes: data, options: options)
    } catch {
      throw ONNXImportError(
        path: path, "is not a valid ONNX model (protobuf decoding failed: \(error))")
    }
    guard model.hasGraph, model.irVersion >= 3 else {
      throw ONNXImportError(
        path: path, "is not an ONNX model (no graph or IR version \(model.irVersion))")
    }
    guard
      let opset = model.opsetImport.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" })
    else { throw ONNXImportError(path: path, "imports no default-domain opset") }
    guard OperatorTable.opsets.contains(Int(opset.version)) else {
      throw ONNXImportError(
        path: path,
        "uses opset \(opset.version); supported are \(OperatorTable.opsets.lowerBound) to "
          + "\(OperatorTable.opsets.upperBound) (torch.onnx.export(..., opset_version=17))")
    }
    self.opset = Int(opset.version)
    producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(
      separator: " ")
    let graph = model.graph
    let decoder = ConstantDecoder(modelURL: url)

    var constants: [String: StoredConstant] = [:]
    var initializerOrder: [String] = []
    for (i, t) in graph.initializer.enumerated() {
      let name = t.name.isEmpty ? "#\(i)" : t.name
      guard constants[name] == nil else {
        throw ONNXImportError(path: path, "initializer \"\(name)\" is defined twice")
      }
      constants[name] = try decoder.decode(t, what: "initializer \"\(name)\"")
      initializerOrder.append(name)
    }
    if let sparse = graph.sparseInitializer.first {
      throw ONNXImportError(
        path: path, "sparse initializer \"\(sparse.values.name)\" is not supported")
    }
    self.constants = constants

    inputs = graph.input.filter { constants[$0.name] == nil }.map(Self.valueInfo)
    outputs = graph.output.map(Self.valueInfo)
    guard !outputs.isEmpty else { throw ONNXImportError(path: path, "the graph has no outputs") }

    var nodes: [ONNXNode] = []
    var defined = Set(constants.keys).union(inputs.map(\.name))
    for (i, proto) in graph.node.enumerated() {
      let node = try ONNXNode(proto, index: i, decoder: decoder)
      try Self.check(node, domain: proto.domain, defined: defined, path: path)
      defined.formUnion(node.outputs.filter { !$0.isEmpty })
      nodes.append(node)
    }
    for o in outputs where !defined.contains(o.name) {
      throw ONNXImportError(path: path, "graph output \"\(o.name)\" is not produced by any node")
    }
    self.nodes = nodes
    lastUse = Self.lastUse(of: nodes)

    // Parameters: floating-point initializers on a differentiable path to an output.
    var live = Set(outputs.map(\.name))
    for node in nodes.reversed() where node.outputs.contains(where: live.contains) {
      let constant = OperatorTable.specs[node.opType]?.constantInputs ?? []
      for (slot, name) in node.inputs.enumerated() where !constant.contains(slot) {
        live.insert(name)
      }
    }
    let floating = initializerOrder.filter { constants[$0]!.isFloatingPoint }
    parameterNames = floating.filter { live.contains($0) }
    bufferNames = floating.filter { !live.contains($0) }

    // Conv -> BatchNormalization pairs whose intermediate value nothing else reads.
    var consumers: [String: [Int]] = [:]
    for (i, node) in nodes.enumerated() {
      for name in node.inputs where !name.isEmpty { consumers[name, default: []].append(i) }
    }
    var pairs: [Int: Int] = [:]
    let outputNames = Set(outputs.map(\.name))
    for (i, node) in nodes.enumerated() where node.opType == "Conv" && node.outputs.count == 1 {
      let y = node.outputs[0]
      guard !outputNames.contains(y), let users = consumers[y], users.count == 1 else { continue }
      let bn = nodes[users[0]]
      if bn.opType == "BatchNormalization", bn.inputs.first == y,
        bn.outputs.dropFirst().allSatisfy(\.isEmpty)
      {
        pairs[i] = users[0]
      }
    }
    batchNormAfterConv = pairs
    foldingNotice = Self.foldingNotice(
      model: model, initializers: initializerOrder, nodes: nodes, parameters: parameterNames)
  }

  static func valueInfo(_ v: Onnx_ValueInfoProto) -> ONNXValueInfo {
    let tensor = v.type.tensorType
    let shape: [Int?]? =
      tensor.hasShape
      ? tensor.shape.dim.map { d in
        if case .dimValue(let x)? = d.value, x >= 0 { return Int(x) }
        return nil
      } : nil
    return ONNXValueInfo(
      name: v.name, elementType: ONNXDataType.name(tensor.elemType), shape: shape)
  }

  /// Refuses a node HessianKit cannot run, before any computation.
  static func check(_ node: ONNXNode, domain: String, defined: Set<String>, path: String) throws {
    guard domain.isEmpty || domain == "ai.onnx" else {
      throw ONNXImportError(
        path: path,
        "\(node.label) is in domain \"\(domain)\", which is not supported (only the default "
          + "ONNX domain is)")
    }
    guard let spec = OperatorTable.specs[node.opType] else {
      throw ONNXImportError(
        path: path,
        "\(node.label): op type \(node.opType) is not supported; supported are "
          + OperatorTable.specs.keys.sorted().joined(separator: ", "))
    }
    for (name, value) in node.attributes.sorted(by: { $0.key < $1.key }) {
      guard spec.attributes.contains(name) else {
        throw ONNXImportError(path: path, "\(node.label): attribute \(name) is not supported")
      }
      if case .unsupported(let what) = value {
        throw ONNXImportError(path: path, "\(node.label): attribute \(name) is \(what)")
      }
    }
    if case .int(let a)? = node.attributes["antialias"], a != 0 {
      throw ONNXImportError(path: path, "\(node.label): antialias=1 is not supported")
    }
    for name in node.inputs where !name.isEmpty && !defined.contains(name) {
      throw ONNXImportError(
        path: path,
        "\(node.label): input \"\(name)\" is not an initializer, a graph input or an earlier "
          + "node's output")
    }
  }

  /// For each value, the index of the last node that reads it.
  static func lastUse(of nodes: [ONNXNode]) -> [String: Int] {
    var last: [String: Int] = [:]
    for (i, node) in nodes.enumerated() {
      for name in node.inputs where !name.isEmpty { last[name] = i }
    }
    return last
  }

  /// The one-line notice for a folded export (or one whose equal-valued parameters were
  /// merged into one), or nil. The evidence: generated initializer
  /// names among the parameters (the legacy exporter's constant folding writes
  /// `onnx::Conv_123`), or a rewrite rule recorded on a node or a folded parameter (the dynamo
  /// exporter's optimizer). Parameters of the exported program's signature that are missing
  /// from the graph are not evidence: tied weights (a language model's embedding and output
  /// head) leave one of their names out of an unfolded export too.
  static func foldingNotice(
    model: Onnx_ModelProto, initializers: [String], nodes: [ONNXNode], parameters: [String]
  ) -> String? {
    var evidence: [String] = []
    if let generated = parameters.first(where: { $0.hasPrefix("onnx::") }) {
      evidence.append("generated initializer names such as \"\(generated)\"")
    }
    let graph = model.graph
    if let rule = graph.node.lazy.compactMap({
      $0.metadataProps.first(where: { $0.key.hasSuffix("rewriter.rule_name") })
    }).first {
      evidence.append("the exporter's optimizer applied \(rule.value)")
    }
    let parameterSet = Set(parameters)
    if let folded = (graph.valueInfo + graph.input).first(where: { v in
      parameterSet.contains(v.name) && v.metadataProps.contains { $0.key.hasSuffix("folded_from") }
    }) {
      evidence.append("parameter \"\(folded.name)\" was folded from other values")
    }
    // The legacy exporter in eval mode merges initializers of EQUAL VALUES (all-zero biases,
    // all-one LayerNorm weights of a fresh model) and reads the dropped ones through Identity.
    let merged = nodes.first { $0.opType == "Identity" && parameterSet.contains($0.inputs.first ?? "") }
    let mergedNotice = merged.map { node in
      "the exporter merged parameters of equal values (\"\(node.outputs.first ?? "?")\" is read "
        + "through an Identity of \"\(node.inputs[0])\"), so they are one tied parameter here "
        + "and the Hessian is of a smaller problem; export with dynamo=True, or the legacy "
        + "exporter with training=torch.onnx.TrainingMode.TRAINING for a model without "
        + "dropout or BatchNorm"
    }
    guard !evidence.isEmpty else { return mergedNotice }
    return "the export looks folded (" + evidence.joined(separator: "; ")
      + "): BatchNorm may be merged into convolutions and initializers renamed or transposed, "
      + "so its Hessian is of a different parameterization. Export without folding: "
      + "torch.onnx.export(model.eval(), ..., dynamo=True, optimize=False), or dynamo=False "
      + "with do_constant_folding=False" + (mergedNotice.map { "; also, " + $0 } ?? "")
  }
}
