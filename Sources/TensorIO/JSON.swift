// A small strict JSON (RFC 8259) parser and string quoting for safetensors headers.
//
// Foundation's JSONSerialization loses what the header checks need: whether a number was
// written as an integer, the order and duplicates of keys, and the byte offset of an error.

/// A parsed JSON value; objects keep their keys in file order, numbers their literal text.
indirect enum JSONValue {
  case object([(key: String, value: JSONValue)])
  case array([JSONValue])
  case string(String)
  case number(String)
  case bool(Bool)
  case null

  /// The value as compact JSON text, for error messages.
  var text: String {
    switch self {
    case .object(let members):
      return "{" + members.map { quoteJSON($0.key) + ":" + $0.value.text }.joined(separator: ",")
        + "}"
    case .array(let elements): return "[" + elements.map(\.text).joined(separator: ",") + "]"
    case .string(let string): return quoteJSON(string)
    case .number(let literal): return literal
    case .bool(let value): return value ? "true" : "false"
    case .null: return "null"
    }
  }

  /// The value as a non-negative integer if it is an integer literal that fits `Int`
  /// (serde's rule for `usize`: no fraction, no exponent, no sign).
  var nonNegativeInteger: Int? {
    guard case .number(let literal) = self, literal.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 })
    else { return nil }
    return Int(literal)
  }
}

/// `string` as a JSON string literal, escaped as serde_json does: `"` and `\`, the short
/// escapes for control characters that have one, `\u00XX` for the others; all else verbatim.
func quoteJSON(_ string: String) -> String {
  var bytes: [UInt8] = [0x22]
  let hex = Array("0123456789abcdef".utf8)
  for byte in string.utf8 {
    switch byte {
    case 0x22: bytes += [0x5C, 0x22]
    case 0x5C: bytes += [0x5C, 0x5C]
    case 0x08: bytes += [0x5C, 0x62]
    case 0x0C: bytes += [0x5C, 0x66]
    case 0x0A: bytes += [0x5C, 0x6E]
    case 0x0D: bytes += [0x5C, 0x72]
    case 0x09: bytes += [0x5C, 0x74]
    case 0..<0x20: bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
    default: bytes.append(byte)
    }
  }
  bytes.append(0x22)
  return String(decoding: bytes, as: UTF8.self)
}

/// Parses JSON text; errors name the file and the absolute byte offset in it.
struct JSONParser {
  private let bytes: [UInt8]
  private var position = 0
  private let path: String
  private let fileOffset: Int
  private var depth = 0

  /// Parses `bytes`, which start at byte `fileOffset` of the file at `path`, as one JSON value
  /// followed only by whitespace.
  static func parse(_ bytes: [UInt8], path: String, fileOffset: Int) throws -> JSONValue {
    var parser = JSONParser(bytes: bytes, path: path, fileOffset: fileOffset)
    try parser.validateUTF8()
    let value = try parser.parseValue()
    parser.skipWhitespace()
    if parser.position < bytes.count {
      throw parser.error("unexpected \(parser.describeCurrent()) after the JSON value")
    }
    return value
  }

  private init(bytes: [UInt8], path: String, fileOffset: Int) {
    self.bytes = bytes
    self.path = path
    self.fileOffset = fileOffset
  }

  private func error(_ reason: String, at offset: Int? = nil) -> TensorIOError {
    .malformedHeader(path: path, offset: fileOffset + (offset ?? position), reason: reason)
  }

  private func describeCurrent() -> String {
    guard position < bytes.count else { return "end of header" }
    let byte = bytes[position]
    return (0x21..<0x7F).contains(byte)
      ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
  }

  private func validateUTF8() throws {
    var iterator = bytes.makeIterator()
    var decoder = Unicode.UTF8.ForwardParser()
    var offset = 0
    while true {
      switch decoder.parseScalar(from: &iterator) {
      case .valid(let scalar): offset += scalar.count
      case .emptyInput: return
      case .error: throw error("not valid UTF-8", at: offset)
      }
    }
  }

  private mutating func skipWhitespace() {
    while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) {
      position += 1
    }
  }

  private mutating func expect(_ byte: UInt8, _ what: String) throws {
    skipWhitespace()
    guard position < bytes.count, bytes[position] == byte else {
      throw error("expected \(what), found \(describeCurrent())")
    }
    position += 1
  }

  private mutating func parseValue() throws -> JSONValue {
    skipWhitespace()
    guard position < bytes.count else { throw error("expected a JSON value, found end of header") }
    switch bytes[position] {
    case 0x7B: return try nested { try $0.parseObject() }
    case 0x5B: return try nested { try $0.parseArray() }
    case 0x22: return .string(try parseString())
    case 0x2D, 0x30...0x39: return .number(try parseNumber())
    default:
      for (word, value) in [("true", JSONValue.bool(true)), ("false", .bool(false)), ("null", .null)]
      where bytes[position...].starts(with: word.utf8) {
        position += word.utf8.count
        return value
      }
      throw error("expected a JSON value, found \(describeCurrent())")
    }
  }

  private mutating func nested(_ body: (inout JSONParser) throws -> JSONValue) throws -> JSONValue {
    guard depth < 64 else { throw error("nesting deeper than 64 levels") }
    depth += 1
    defer { depth -= 1 }
    return try body(&self)
  }

  private mutating func parseObject() throws -> JSONValue {
    position += 1
    var members: [(key: String, value: JSONValue)] = []
    var seen = Set<String>()
    skipWhitespace()
    if position < bytes.count, bytes[position] == 0x7D {
      position += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      let keyOffset = position
      guard position < bytes.count, bytes[position] == 0x22 else {
        throw error("expected a string key, found \(describeCurrent())")
      }
      let key = try parseString()
      guard seen.insert(key).inserted else {
        throw error("duplicate key \(quoteJSON(key))", at: keyOffset)
      }
      try expect(0x3A, "':'")
      members.append((key, try parseValue()))
      skipWhitespace()
      if position < bytes.count, bytes[position] == 0x2C {
        position += 1
        continue
      }
      try expect(0x7D, "',' or '}'")
      return .object(members)
    }
  }

  private mutating func parseArray() throws -> JSONValue {
    position += 1
    var elements: [JSONValue] = []
    skipWhitespace()
    if position < bytes.count, bytes[position] == 0x5D {
      position += 1
      return .array(elements)
    }
    while true {
      elements.append(try parseValue())
      skipWhitespace()
      if position < bytes.count, bytes[position] == 0x2C {
        position += 1
        continue
      }
      try expect(0x5D, "',' or ']'")
      return .array(elements)
    }
  }

  private mutating func parseNumber() throws -> String {
    let start = position
    func digits() -> Int {
      let first = position
      while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
      return position - first
    }
    if bytes[position] == 0x2D { position += 1 }
    let integerStart = position
    let integerDigits = digits()
    guard integerDigits > 0, integerDigits == 1 || bytes[integerStart] != 0x30 else {
      throw error("invalid number", at: start)
    }
    if position < bytes.count, bytes[position] == 0x2E {
      position += 1
      guard digits() > 0 else { throw error("invalid number", at: start) }
    }
    if position < bytes.count, bytes[position] | 0x20 == 0x65 {
      position += 1
      if position < bytes.count, bytes[position] == 0x2B || bytes[position] == 0x2D {
        position += 1
      }
      guard digits() > 0 else { throw error("invalid number", at: start) }
    }
    return String(decoding: bytes[start..<position], as: UTF8.self)
  }

  private mutating func parseString() throws -> String {
    let start = position
    position += 1
    var result: [UInt8] = []
    while position < bytes.count {
      let byte = bytes[position]
      position += 1
      switch byte {
      case 0x22: return String(decoding: result, as: UTF8.self)
      case 0x5C: try appendEscape(to: &result)
      case 0..<0x20: throw error("control character in a string", at: position - 1)
      default: result.append(byte)
      }
    }
    throw error("unterminated string", at: start)
  }

  private mutating func appendEscape(to result: inout [UInt8]) throws {
    guard position < bytes.count else { throw error("unterminated string") }
    let escape = bytes[position]
    position += 1
    let simple: [UInt8: UInt8] = [
      0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D,
      0x74: 0x09,
    ]
    if let byte = simple[escape] {
      result.append(byte)
      return
    }
    guard escape == 0x75 else { throw error("invalid escape in a string", at: position - 2) }
    var code = try parseHex4()
    if (0xD800..<0xDC00).contains(code), bytes[position...].starts(with: [0x5C, 0x75]) {
      position += 2
      let low = try parseHex4()
      guard (0xDC00..<0xE000).contains(low) else {
        throw error("invalid surrogate pair in a string", at: position - 12)
      }
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
    }
    guard let scalar = Unicode.Scalar(code) else {
      throw error("unpaired surrogate in a string", at: position - 6)
    }
    result += Array(String(Character(scalar)).utf8)
  }

  private mutating func parseHex4() throws -> UInt32 {
    let isHexDigit = { (byte: UInt8) in
      (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte | 0x20)
    }
    guard position + 4 <= bytes.count, bytes[position..<position + 4].allSatisfy(isHexDigit),
      let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
    else { throw error("invalid \\u escape in a string") }
    position += 4
    return code
  }
}
