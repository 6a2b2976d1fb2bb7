// Why an ONNX file could not be imported or evaluated: one line naming the file, node, op
// type, initializer or input, and what is missing.

/// An ONNX file that HessianKit cannot import, or a graph that cannot run on the given inputs.
///
/// Every description is one line that names the place (file, node and op type, initializer,
/// graph input) and what is wrong or missing.
public struct ONNXImportError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file, as given to the importer (`"<memory>"` for bytes).
  public let path: String
  /// The problem, naming the node, op type, initializer or input concerned.
  public let reason: String

  /// Creates an error for `path`.
  public init(path: String, _ reason: String) {
    self.path = path
    self.reason = reason
  }

  /// `path: reason`.
  public var description: String { "\(path): \(reason)" }
}

/// An error inside one node, turned into an ``ONNXImportError`` naming the node by the
/// evaluator.
struct NodeError: Error {
  let message: String
  init(_ message: String) { self.message = message }
}
