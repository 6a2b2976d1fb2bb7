// The safetensors header: parsing and validating it on read, laying it out on write.
//
// Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian u64 `N`, `N`
// bytes of UTF-8 JSON, then the data buffer. The JSON maps each tensor name to
// `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the buffer) and may
// hold `"__metadata__": {string: string}`. The checks are those of the reference reader
// (`SafeTensors::read_metadata` and `Metadata::validate`): header at most 100,000,000 bytes,
// tensors sorted by offsets tile the buffer with no gap or overlap, each spans exactly
// `count * dtype size` bytes, and the last one ends at the end of the file.

/// One tensor's entry in a safetensors header.
struct SafetensorsEntry {
  let name: String
  let dtype: DType
  let shape: [Int]
  let begin: Int
  let end: Int
}

/// A validated safetensors header.
struct SafetensorsHeader {
  /// The reference reader's limit on the header length.
  static let maximumLength = 100_000_000

  /// The entries in data-offset order.
  var entries: [SafetensorsEntry]
  /// The `__metadata__` map, empty when absent.
  var metadata: [String: String]
  /// The offset of the data buffer in the file: `8 + N`.
  var dataStart: Int

  /// Parses and validates the header of the safetensors file `file`.
  ///
  /// - Throws: ``TensorIOError`` naming `path`, the tensor and the byte offset at fault.
  init(parsing file: UnsafeRawBufferPointer, path: String) throws {
    guard file.count >= 8 else {
      throw TensorIOError.truncatedFile(
        path: path, what: "the 8-byte header length", expectedBytes: 8, foundBytes: file.count)
    }
    let length = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
    guard length <= UInt64(file.count - 8) else {
      throw TensorIOError.headerTooLong(
        path: path, offset: 0, headerLength: length, available: file.count - 8)
    }
    guard length <= UInt64(SafetensorsHeader.maximumLength) else {
      throw TensorIOError.malformedHeader(
        path: path, offset: 0,
        reason: "header length \(length) exceeds the format's limit of"
          + " \(SafetensorsHeader.maximumLength) bytes")
    }
    dataStart = 8 + Int(length)
    let json = try JSONParser.parse(Array(file[8..<dataStart]), path: path, fileOffset: 8)
    guard case .object(let members) = json else {
      throw TensorIOError.malformedHeader(
        path: path, offset: 8, reason: "expected a JSON object, found \(json.text.prefix(40))")
    }
    metadata = [:]
    entries = []
    for (name, value) in members {
      if name == "__metadata__" {
        metadata = try Self.parseMetadata(value, path: path)
      } else {
        entries.append(try Self.parseEntry(name: name, value, path: path))
      }
    }
    entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    try validateOffsets(bufferSize: file.count - dataStart, path: path)
  }

  private static func parseMetadata(_ value: JSONValue, path: String) throws -> [String: String] {
    let invalid = TensorIOError.invalidField(
      path: path, key: nil, field: "__metadata__", expected: "an object of string values",
      found: value.text)
    if case .null = value { return [:] }
    guard case .object(let members) = value else { throw invalid }
    var metadata: [String: String] = [:]
    for (key, value) in members {
      guard case .string(let string) = value else { throw invalid }
      metadata[key] = string
    }
    return metadata
  }

  private static func parseEntry(
    name: String, _ value: JSONValue, path: String
  ) throws -> SafetensorsEntry {
    guard case .object(let members) = value else {
      throw TensorIOError.invalidField(
        path: path, key: nil, field: name,
        expected: "an object with \"dtype\", \"shape\" and \"data_offsets\"", found: value.text)
    }
    func field(_ field: String) throws -> JSONValue {
      guard let member = members.first(where: { $0.key == field }) else {
        throw TensorIOError.missingField(path: path, key: name, field: field)
      }
      return member.value
    }
    let dtypeValue = try field("dtype")
    guard case .string(let dtypeName) = dtypeValue else {
      throw TensorIOError.invalidField(
        path: path, key: name, field: "dtype", expected: "a string such as \"F32\"",
        found: dtypeValue.text)
    }
    guard let dtype = DType(rawValue: dtypeName) else {
      let known = DType.allCases.map(\.rawValue).joined(separator: ", ")
      throw TensorIOError.unsupportedDType(
        path: path, key: name, dtype: quoteJSON(dtypeName), reason: "expected one of \(known)")
    }
    let shapeValue = try field("shape")
    guard case .array(let dimensions) = shapeValue,
      case let shape = dimensions.compactMap(\.nonNegativeInteger), shape.count == dimensions.count
    else {
      throw TensorIOError.invalidField(
        path: path, key: name, field: "shape", expected: "a list of non-negative integers",
        found: shapeValue.text)
    }
    let offsetsValue = try field("data_offsets")
    guard case .array(let bounds) = offsetsValue, bounds.count == 2,
      let begin = bounds[0].nonNegativeInteger, let end = bounds[1].nonNegativeInteger
    else {
      throw TensorIOError.invalidField(
        path: path, key: name, field: "data_offsets",
        expected: "two non-negative integers [begin, end]", found: offsetsValue.text)
    }
    return SafetensorsEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
  }

  private func validateOffsets(bufferSize: Int, path: String) throws {
    var expectedBegin = 0
    for entry in entries {
      guard entry.begin <= entry.end, entry.end <= bufferSize else {
        throw TensorIOError.dataOffsetsOutOfRange(
          path: path, key: entry.name, begin: entry.begin, end: entry.end, bufferSize: bufferSize)
      }
      guard entry.begin == expectedBegin else {
        throw TensorIOError.dataOffsetsNotContiguous(
          path: path, key: entry.name, begin: entry.begin, expectedBegin: expectedBegin)
      }
      guard let needed = StoredTensor.byteCount(dtype: entry.dtype, shape: entry.shape) else {
        throw TensorIOError.invalidField(
          path: path, key: entry.name, field: "shape",
          expected: "a shape whose byte size fits in 64 bits", found: "\(entry.shape)")
      }
      guard needed == entry.end - entry.begin else {
        throw TensorIOError.dataSizeMismatch(
          path: path, key: entry.name, begin: entry.begin, end: entry.end, dtype: entry.dtype,
          shape: entry.shape, needed: needed)
      }
      expectedBegin = entry.end
    }
    if expectedBegin != bufferSize {
      throw TensorIOError.trailingBytes(
        path: path, offset: dataStart + expectedBegin, count: bufferSize - expectedBegin)
    }
  }
}

extension SafetensorsHeader {
  /// The bytes the reference writer (`safetensors::tensor::prepare`) produces for these tensors:
  /// the 8-byte length and the compact JSON header padded with spaces to a multiple of 8, with
  /// `__metadata__` (keys sorted) first and the tensors in the order given, which the caller
  /// has sorted by descending dtype then name.
  static func encode(
    _ tensors: [(name: String, tensor: StoredTensor)], metadata: [String: String]?
  ) -> [UInt8] {
    var members: [String] = []
    if let metadata {
      let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
      let body = pairs.map { quoteJSON($0.key) + ":" + quoteJSON($0.value) }
      members.append("\"__metadata__\":{" + body.joined(separator: ",") + "}")
    }
    var offset = 0
    for (name, tensor) in tensors {
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      let end = offset + tensor.bytes.count
      members.append(
        quoteJSON(name) + ":{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],"
          + "\"data_offsets\":[\(offset),\(end)]}")
      offset = end
    }
    var header = Array(("{" + members.joined(separator: ",") + "}").utf8)
    header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
    return withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
  }
}
