// The .npy header (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// the magic `\x93NUMPY`, a major and minor version byte, the header length (u16 little-endian
// in version 1.0, u32 in 2.0 and 3.0), then a Python dict literal with exactly the keys
// 'descr', 'fortran_order' and 'shape', padded with spaces and ending in a newline. Versions
// 1.0 and 2.0 encode it in Latin-1, 3.0 in UTF-8. The array data follow immediately.

/// A validated .npy header.
struct NumPyHeader {
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
  /// NumPy aligns the data to this many bytes (`numpy.lib.format.ARRAY_ALIGN`).
  static let alignment = 64

  var dtype: DType
  var shape: [Int]
  /// The offset of the array data in the file.
  var dataStart: Int

  /// Parses and validates the header of the .npy file `file`.
  ///
  /// - Throws: ``TensorIOError`` naming `path` and the byte offset at fault.
  init(parsing file: UnsafeRawBufferPointer, path: String) throws {
    guard file.count >= 10 else {
      throw TensorIOError.truncatedFile(
        path: path, what: "the .npy preamble", expectedBytes: 10, foundBytes: file.count)
    }
    guard file.prefix(6).elementsEqual(Self.magic) else {
      let found = file.prefix(6).map { String($0, radix: 16) }.joined(separator: " ")
      throw TensorIOError.malformedHeader(
        path: path, offset: 0, reason: "expected the magic string \\x93NUMPY, found bytes \(found)")
    }
    let (major, minor) = (file[6], file[7])
    guard [1, 2, 3].contains(major), minor == 0 else {
      throw TensorIOError.malformedHeader(
        path: path, offset: 6,
        reason: "unsupported format version \(major).\(minor) (expected 1.0, 2.0 or 3.0)")
    }
    let lengthSize = major == 1 ? 2 : 4
    guard file.count >= 8 + lengthSize else {
      throw TensorIOError.truncatedFile(
        path: path, what: "the header length", expectedBytes: 8 + lengthSize,
        foundBytes: file.count)
    }
    let length =
      major == 1
      ? Int(UInt16(littleEndian: file.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
      : Int(UInt32(littleEndian: file.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
    let headerStart = 8 + lengthSize
    guard length <= file.count - headerStart else {
      throw TensorIOError.headerTooLong(
        path: path, offset: 8, headerLength: UInt64(length), available: file.count - headerStart)
    }
    dataStart = headerStart + length
    let literal = try PythonLiteral.parse(
      Array(file[headerStart..<dataStart]), isUTF8: major == 3, path: path,
      fileOffset: headerStart)
    (dtype, shape) = try Self.interpret(literal, path: path, headerStart: headerStart)
  }

  private static func interpret(
    _ literal: PythonLiteral, path: String, headerStart: Int
  ) throws -> (DType, [Int]) {
    guard case .dict(let keys, let values) = literal else {
      throw TensorIOError.malformedHeader(
        path: path, offset: headerStart, reason: "expected a dict, found \(literal.repr)")
    }
    var fields: [String: PythonLiteral] = [:]
    for (key, value) in zip(keys, values) {
      guard case .string(let name) = key, ["descr", "fortran_order", "shape"].contains(name),
        fields[name] == nil
      else {
        throw TensorIOError.malformedHeader(
          path: path, offset: headerStart,
          reason: "unexpected or repeated key \(key.repr) (expected exactly 'descr',"
            + " 'fortran_order' and 'shape')")
      }
      fields[name] = value
    }
    func field(_ name: String) throws -> PythonLiteral {
      guard let value = fields[name] else {
        throw TensorIOError.missingField(path: path, key: nil, field: name)
      }
      return value
    }
    let shapeValue = try field("shape")
    guard case .tuple(let dimensions) = shapeValue,
      case let shape = dimensions.compactMap(nonNegativeInteger), shape.count == dimensions.count
    else {
      throw TensorIOError.invalidField(
        path: path, key: nil, field: "shape", expected: "a tuple of non-negative integers",
        found: shapeValue.repr)
    }
    let dtype = try parseDescr(try field("descr"), path: path)
    let order = try field("fortran_order")
    guard case .bool(let fortranOrder) = order else {
      throw TensorIOError.invalidField(
        path: path, key: nil, field: "fortran_order", expected: "True or False",
        found: order.repr)
    }
    // Column-major and row-major layouts coincide for fewer than two dimensions.
    if fortranOrder && shape.count > 1 {
      throw TensorIOError.unsupportedLayout(
        path: path,
        reason: "fortran_order is True (column-major); save a C-ordered array instead"
          + " (NumPy: np.save(path, np.ascontiguousarray(a)))")
    }
    return (dtype, shape)
  }

  private static func nonNegativeInteger(_ literal: PythonLiteral) -> Int? {
    guard case .integer(let digits) = literal, let value = Int(digits), value >= 0 else {
      return nil
    }
    return value
  }

  private static func parseDescr(_ descr: PythonLiteral, path: String) throws -> DType {
    guard case .string(let text) = descr else {
      let reason =
        if case .list = descr { "structured (record) dtypes are not supported" } else {
          "expected a type string such as '<f4'"
        }
      throw TensorIOError.unsupportedDType(path: path, key: nil, dtype: descr.repr, reason: reason)
    }
    if let dtype = DType(numpyDescr: text) { return dtype }
    let reason: String
    if text.hasPrefix(">") {
      reason = "big-endian data are not supported; save little-endian"
        + " (NumPy: a.astype(a.dtype.newbyteorder('<')))"
    } else if text.dropFirst().hasPrefix("O") {
      reason = "object arrays hold pickled Python objects, which are never loaded"
    } else {
      let known = DType.allCases.compactMap(\.numpyDescr).joined(separator: ", ")
      reason = "expected one of \(known)"
    }
    throw TensorIOError.unsupportedDType(path: path, key: nil, dtype: descr.repr, reason: reason)
  }

  /// The header NumPy's `np.save` writes for an array of `dtype` and `shape` (C order),
  /// byte for byte: version 1.0 unless the header needs more than 65535 bytes (then 2.0),
  /// the dict with sorted keys, 21 minus the digits of the first dimension in spaces for
  /// in-place growth, and space padding with a final newline so the data start at a multiple
  /// of 64 bytes.
  static func encode(descr: String, shape: [Int]) -> [UInt8] {
    let shapeText =
      shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    if let first = shape.first {
      dict += String(repeating: " ", count: Swift.max(0, 21 - String(first).count))
    }
    let text = Array(dict.utf8)
    for (major, lengthSize) in [(UInt8(1), 2), (2, 4)] {
      let unpadded = text.count + 1
      let padding = alignment - (magic.count + 2 + lengthSize + unpadded) % alignment
      let length = unpadded + padding
      if lengthSize == 2 && length > Int(UInt16.max) { continue }
      let lengthBytes =
        lengthSize == 2
        ? withUnsafeBytes(of: UInt16(length).littleEndian, Array.init)
        : withUnsafeBytes(of: UInt32(length).littleEndian, Array.init)
      return magic + [major, 0] + lengthBytes + text
        + [UInt8](repeating: 0x20, count: padding) + [0x0A]
    }
    return []
  }
}
