// A parser for the Python literals in a .npy header: `{'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), }`. It accepts what NumPy's reader (`ast.literal_eval`) accepts in practice:
// dicts, tuples, lists, quoted strings, integers (with Python 2's trailing `L`), True, False,
// None, any whitespace and trailing commas. Floats and expressions are rejected.

/// A parsed Python literal.
indirect enum PythonLiteral: Equatable {
  case string(String)
  /// An integer's decimal digits with an optional leading `-` (any size).
  case integer(String)
  /// A float literal as written, such as `2.0` or `1e5` (never valid in a header, but
  /// reported as a wrong value rather than a syntax error).
  case float(String)
  case bool(Bool)
  case none
  case tuple([PythonLiteral])
  case list([PythonLiteral])
  case dict([PythonLiteral], [PythonLiteral])

  /// The literal as Python's `repr` would print it, for error messages.
  var repr: String {
    switch self {
    case .string(let string): return "'" + string + "'"
    case .integer(let digits): return digits
    case .float(let literal): return literal
    case .bool(let value): return value ? "True" : "False"
    case .none: return "None"
    case .tuple(let elements):
      let inner = elements.map(\.repr).joined(separator: ", ")
      return elements.count == 1 ? "(\(inner),)" : "(\(inner))"
    case .list(let elements): return "[" + elements.map(\.repr).joined(separator: ", ") + "]"
    case .dict(let keys, let values):
      return "{" + zip(keys, values).map { "\($0.repr): \($1.repr)" }.joined(separator: ", ")
        + "}"
    }
  }

  /// Parses `bytes` (a header decoded as Latin-1 when `isUTF8` is false, else UTF-8), which
  /// start at byte `fileOffset` of the file at `path`, as one literal and trailing whitespace.
  static func parse(
    _ bytes: [UInt8], isUTF8: Bool, path: String, fileOffset: Int
  ) throws -> PythonLiteral {
    var parser = PythonLiteralParser(
      bytes: bytes, isUTF8: isUTF8, path: path, fileOffset: fileOffset)
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.position == bytes.count else {
      throw parser.error("unexpected \(parser.describeCurrent()) after the header dict")
    }
    return value
  }
}

private struct PythonLiteralParser {
  let bytes: [UInt8]
  let isUTF8: Bool
  let path: String
  let fileOffset: Int
  var position = 0

  init(bytes: [UInt8], isUTF8: Bool, path: String, fileOffset: Int) {
    self.bytes = bytes
    self.isUTF8 = isUTF8
    self.path = path
    self.fileOffset = fileOffset
  }

  func error(_ reason: String, at offset: Int? = nil) -> TensorIOError {
    .malformedHeader(path: path, offset: fileOffset + (offset ?? position), reason: reason)
  }

  func describeCurrent() -> String {
    guard position < bytes.count else { return "end of header" }
    let byte = bytes[position]
    return (0x21..<0x7F).contains(byte)
      ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
  }

  mutating func skipWhitespace() {
    while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D, 0x0C].contains(bytes[position]) {
      position += 1
    }
  }

  mutating func parseValue(depth: Int) throws -> PythonLiteral {
    skipWhitespace()
    guard depth < 32 else { throw error("nesting deeper than 32 levels") }
    guard position < bytes.count else { throw error("expected a value, found end of header") }
    switch bytes[position] {
    case 0x7B:  // {
      let (keys, values, _) = try parseSequence(closing: 0x7D, depth: depth, pairs: true)
      return .dict(keys, values)
    case 0x28:  // (
      let (elements, _, trailingComma) = try parseSequence(
        closing: 0x29, depth: depth, pairs: false)
      // `(5)` is the integer 5 in Python, `(5,)` the tuple: only a comma makes a tuple.
      return elements.count == 1 && !trailingComma ? elements[0] : .tuple(elements)
    case 0x5B:  // [
      return .list(try parseSequence(closing: 0x5D, depth: depth, pairs: false).0)
    case 0x22, 0x27:
      return .string(try parseString())
    case 0x2D, 0x2B, 0x30...0x39:
      return try parseNumber()
    default:
      let words = [("True", PythonLiteral.bool(true)), ("False", .bool(false)), ("None", .none)]
      for (word, value) in words
      where bytes[position...].starts(with: word.utf8) {
        let end = position + word.utf8.count
        if end < bytes.count, isIdentifierByte(bytes[end]) { break }
        position = end
        return value
      }
      throw error("expected a Python literal, found \(describeCurrent())")
    }
  }

  private func isIdentifierByte(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte) || (0x61...0x7A).contains(byte | 0x20) || byte == 0x5F
  }

  /// Parses `open element, element, ... close` (or `key: value` pairs), allowing a trailing
  /// comma; returns the elements (or keys and values) and whether a comma preceded the close.
  private mutating func parseSequence(
    closing: UInt8, depth: Int, pairs: Bool
  ) throws -> ([PythonLiteral], [PythonLiteral], Bool) {
    let closer = "'\(Character(Unicode.Scalar(closing)))'"
    position += 1
    var first: [PythonLiteral] = []
    var second: [PythonLiteral] = []
    var trailingComma = false
    while true {
      skipWhitespace()
      if position < bytes.count, bytes[position] == closing {
        position += 1
        return (first, second, trailingComma)
      }
      first.append(try parseValue(depth: depth + 1))
      if pairs {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == 0x3A else {
          throw error("expected ':', found \(describeCurrent())")
        }
        position += 1
        second.append(try parseValue(depth: depth + 1))
      }
      skipWhitespace()
      guard position < bytes.count else { throw error("expected \(closer), found end of header") }
      trailingComma = bytes[position] == 0x2C
      if trailingComma {
        position += 1
      } else if bytes[position] != closing {
        throw error("expected ',' or \(closer), found \(describeCurrent())")
      }
    }
  }

  private mutating func parseString() throws -> String {
    let start = position
    let quote = bytes[position]
    position += 1
    var result: [UInt8] = []
    while position < bytes.count {
      let byte = bytes[position]
      position += 1
      if byte == quote {
        if isUTF8 {
          guard let string = String(validating: result, as: UTF8.self) else {
            throw error("string is not valid UTF-8", at: start)
          }
          return string
        }
        return String(String.UnicodeScalarView(result.map { Unicode.Scalar($0) }))
      }
      switch byte {
      case 0x5C:
        guard position < bytes.count else { break }
        let escaped = bytes[position]
        position += 1
        let simple: [UInt8: UInt8] = [0x5C: 0x5C, 0x27: 0x27, 0x22: 0x22, 0x6E: 0x0A, 0x74: 0x09]
        guard let value = simple[escaped] else {
          throw error("unsupported escape in a string", at: position - 2)
        }
        result.append(value)
      case 0x0A, 0x0D: throw error("line break in a string", at: position - 1)
      default: result.append(byte)
      }
    }
    throw error("unterminated string", at: start)
  }

  private mutating func parseNumber() throws -> PythonLiteral {
    let start = position
    var negative = false
    if bytes[position] == 0x2D || bytes[position] == 0x2B {
      negative = bytes[position] == 0x2D
      position += 1
    }
    let digitsStart = position
    while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
    var digits = String(decoding: bytes[digitsStart..<position], as: UTF8.self)
    guard !digits.isEmpty else { throw error("expected digits", at: start) }
    if position < bytes.count, bytes[position] == 0x2E || bytes[position] | 0x20 == 0x65 {
      return .float(try parseFloatTail(from: start))
    }
    if position < bytes.count, bytes[position] == 0x4C || bytes[position] == 0x6C {
      position += 1  // Python 2's long suffix, as NumPy's `_filter_header` accepts.
    }
    if position < bytes.count, isIdentifierByte(bytes[position]) {
      throw error("expected a number", at: start)
    }
    digits = String(digits.drop(while: { $0 == "0" }))
    if digits.isEmpty { digits = "0" }
    return .integer(negative && digits != "0" ? "-" + digits : digits)
  }

  /// Consumes the fraction and exponent of a float literal whose digits start at `start`.
  private mutating func parseFloatTail(from start: Int) throws -> String {
    func skipDigits() -> Int {
      let first = position
      while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
      return position - first
    }
    if position < bytes.count, bytes[position] == 0x2E {
      position += 1
      _ = skipDigits()
    }
    if position < bytes.count, bytes[position] | 0x20 == 0x65 {
      position += 1
      if position < bytes.count, bytes[position] == 0x2B || bytes[position] == 0x2D {
        position += 1
      }
      guard skipDigits() > 0 else { throw error("invalid float literal", at: start) }
    }
    if position < bytes.count, isIdentifierByte(bytes[position]) {
      throw error("expected a number", at: start)
    }
    return String(decoding: bytes[start..<position], as: UTF8.self)
  }
}
