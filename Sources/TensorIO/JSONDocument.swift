// Writing JSON reports: an ordered JSON value (fields appear in the order the program gives
// them, so documented field orders hold and output diffs stay small) and an atomic writer.

import Foundation

/// A JSON value for writing reports, with object members in the order given.
///
/// Numbers are written in Swift's shortest round-trip form (`122.03225`, `1e-05`); NaN and
/// infinities, which JSON cannot represent, are written as `null`.
///
/// ```swift
/// let document: JSONDocument = [
///   "eigenvalues": .numbers([122.03225, 2.828427]),
///   "converged": .booleans([true, true]),
///   "hvp_count": 17,
/// ]
/// try document.write(to: URL(fileURLWithPath: "eigen.json"))
/// ```
public indirect enum JSONDocument: Sendable, Equatable {
  /// An object; members keep their order.
  case object([Member])
  /// An array.
  case array([JSONDocument])
  /// A string.
  case string(String)
  /// A floating-point number (non-finite values are written as `null`).
  case number(Double)
  /// An integer.
  case integer(Int)
  /// `true` or `false`.
  case bool(Bool)
  /// `null`.
  case null

  /// One member of an object.
  public struct Member: Sendable, Equatable {
    /// The key.
    public var key: String
    /// The value.
    public var value: JSONDocument

    /// A member `key: value`.
    public init(_ key: String, _ value: JSONDocument) {
      self.key = key
      self.value = value
    }
  }

  /// An array of numbers.
  public static func numbers(_ values: [Double]) -> JSONDocument { .array(values.map(number)) }

  /// An array of integers.
  public static func integers(_ values: [Int]) -> JSONDocument { .array(values.map(integer)) }

  /// An array of booleans.
  public static func booleans(_ values: [Bool]) -> JSONDocument { .array(values.map(bool)) }

  /// An array of strings.
  public static func strings(_ values: [String]) -> JSONDocument { .array(values.map(string)) }

  /// The value of `key` if this is an object that has it.
  public subscript(key: String) -> JSONDocument? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.key == key }?.value
  }

  /// This object with `member` appended (replacing a member with the same key in place).
  ///
  /// - Precondition: this is an object.
  public func adding(_ key: String, _ value: JSONDocument) -> JSONDocument {
    guard case .object(var members) = self else {
      preconditionFailure("adding(_:_:) needs an object, got \(self.text(indent: nil))")
    }
    if let i = members.firstIndex(where: { $0.key == key }) {
      members[i].value = value
    } else {
      members.append(Member(key, value))
    }
    return .object(members)
  }

  /// The value as JSON text: pretty-printed with `indent` spaces per level, or compact when
  /// `indent` is nil. Arrays of numbers, booleans and short strings stay on one line.
  public func text(indent: Int? = 2) -> String {
    var out = ""
    write(into: &out, indent: indent, level: 0)
    return out
  }

  /// Writes the pretty-printed text and a newline to `url` atomically: a reader sees the old
  /// file or the whole new one, never a part (a temporary file in the same directory, flushed
  /// and renamed).
  ///
  /// - Throws: ``TensorIOError/writeFailed(path:reason:)``.
  public func write(to url: URL) throws {
    try writeFileAtomically(Data((text() + "\n").utf8), to: url)
  }

  private var isScalar: Bool {
    switch self {
    case .object, .array: false
    default: true
    }
  }

  private func write(into out: inout String, indent: Int?, level: Int) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .integer(let i): out += String(i)
    case .number(let x): out += x.isFinite ? x.description : "null"
    case .string(let s): out += quoteJSON(s)
    case .array(let elements):
      if elements.isEmpty {
        out += "[]"
      } else if indent == nil || elements.allSatisfy(\.isScalar) {
        out += "["
        for (i, e) in elements.enumerated() {
          if i > 0 { out += indent == nil ? "," : ", " }
          e.write(into: &out, indent: indent, level: level + 1)
        }
        out += "]"
      } else {
        writeLines(
          elements.map { (nil, $0) }, open: "[", close: "]", into: &out, indent: indent!,
          level: level)
      }
    case .object(let members):
      if members.isEmpty {
        out += "{}"
      } else if let indent {
        writeLines(
          members.map { ($0.key, $0.value) }, open: "{", close: "}", into: &out, indent: indent,
          level: level)
      } else {
        out += "{"
        for (i, m) in members.enumerated() {
          if i > 0 { out += "," }
          out += quoteJSON(m.key) + ":"
          m.value.write(into: &out, indent: nil, level: level + 1)
        }
        out += "}"
      }
    }
  }

  private func writeLines(
    _ items: [(String?, JSONDocument)], open: String, close: String, into out: inout String,
    indent: Int, level: Int
  ) {
    let inner = String(repeating: " ", count: indent * (level + 1))
    out += open + "\n"
    for (i, (key, value)) in items.enumerated() {
      out += inner
      if let key { out += quoteJSON(key) + ": " }
      value.write(into: &out, indent: indent, level: level + 1)
      out += i + 1 < items.count ? ",\n" : "\n"
    }
    out += String(repeating: " ", count: indent * level) + close
  }
}

extension JSONDocument: ExpressibleByDictionaryLiteral {
  /// An object with the members in the order written.
  public init(dictionaryLiteral elements: (String, JSONDocument)...) {
    self = .object(elements.map { Member($0.0, $0.1) })
  }
}

extension JSONDocument: ExpressibleByArrayLiteral {
  /// An array.
  public init(arrayLiteral elements: JSONDocument...) { self = .array(elements) }
}

extension JSONDocument: ExpressibleByStringLiteral {
  /// A string.
  public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONDocument: ExpressibleByIntegerLiteral {
  /// An integer.
  public init(integerLiteral value: Int) { self = .integer(value) }
}

extension JSONDocument: ExpressibleByFloatLiteral {
  /// A number.
  public init(floatLiteral value: Double) { self = .number(value) }
}

extension JSONDocument: ExpressibleByBooleanLiteral {
  /// A boolean.
  public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// Writes `data` to `url` atomically: to a temporary file in the same directory, flushed and
/// renamed over `url`, so a reader never sees a partial file and a failure leaves nothing
/// behind (the destination keeps its old contents, if any).
///
/// - Throws: ``TensorIOError/writeFailed(path:reason:)`` naming the file and the cause.
public func writeFileAtomically(_ data: Data, to url: URL) throws {
  try FileAccess.writeAtomically(to: url) { sink in
    try data.withUnsafeBytes { try sink($0) }
  }
}
