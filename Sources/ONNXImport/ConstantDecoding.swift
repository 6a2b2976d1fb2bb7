// ONNX TensorProto -> a constant: floating-point data as a tensor, integer and boolean data as
// an IntegerTensor. Sizes are checked against the declared shape before anything is allocated,
// and external data (`model.onnx.data` beside the file) is read only from inside the model's
// directory.

import Foundation
import ONNXProto
import TensorCore

/// An initializer or `Constant` value as stored in the file.
enum StoredConstant: Sendable {
  case float(Tensor<Float>)
  case double(Tensor<Double>)
  case integer(IntegerTensor)

  var shape: [Int] {
    switch self {
    case .float(let t): t.shape
    case .double(let t): t.shape
    case .integer(let t): t.shape
    }
  }

  var isFloatingPoint: Bool {
    if case .integer = self { return false }
    return true
  }

  /// The floating-point value in `Scalar`, or nil for integers.
  func real<Scalar: TensorScalar>(as _: Scalar.Type) -> Tensor<Scalar>? {
    switch self {
    case .float(let t): Scalar.self == Float.self ? (t as! Tensor<Scalar>) : Tensor<Scalar>(t)
    case .double(let t): Scalar.self == Double.self ? (t as! Tensor<Scalar>) : Tensor<Scalar>(t)
    case .integer: nil
    }
  }
}

/// ONNX `TensorProto.DataType` numbers HessianKit reads.
enum ONNXDataType: Int32 {
  case float = 1, uint8 = 2, int8 = 3, int32 = 6, int64 = 7, bool = 9, double = 11

  /// The ONNX name of a data type number, for messages.
  static func name(_ raw: Int32) -> String {
    let names: [Int32: String] = [
      0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32",
      7: "INT64", 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64",
      14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16",
    ]
    return names[raw] ?? "type \(raw)"
  }

  var byteWidth: Int {
    switch self {
    case .float, .int32: 4
    case .int64, .double: 8
    case .uint8, .int8, .bool: 1
    }
  }
}

/// Decodes tensors of one model file, resolving external data beside it.
struct ConstantDecoder {
  /// The model file (for messages and external data); nil for bytes in memory.
  let modelURL: URL?

  var path: String { modelURL?.path ?? "<memory>" }

  /// The constant `proto` holds; `what` names it in errors ("initializer \"fc.weight\"").
  func decode(_ proto: Onnx_TensorProto, what: String) throws -> StoredConstant {
    guard let type = ONNXDataType(rawValue: proto.dataType) else {
      throw ONNXImportError(
        path: path,
        "\(what) has data type \(ONNXDataType.name(proto.dataType)); supported are FLOAT, "
          + "DOUBLE, INT64, INT32, INT8, UINT8 and BOOL")
    }
    var shape: [Int] = []
    var count = 1
    for d in proto.dims {
      guard d >= 0, d <= Int64(Int32.max) else {
        throw ONNXImportError(path: path, "\(what) declares dimension \(d) in shape \(proto.dims)")
      }
      shape.append(Int(d))
      let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
      guard !overflow, product <= 1 << 40 else {
        throw ONNXImportError(path: path, "\(what) declares an impossible shape \(proto.dims)")
      }
      count = product
    }
    if proto.hasDataLocation && proto.dataLocation == .external {
      let bytes = try externalBytes(proto, what: what, expected: count * type.byteWidth)
      return try fromRaw(bytes, type: type, shape: shape, what: what)
    }
    if proto.hasRawData {
      guard proto.rawData.count == count * type.byteWidth else {
        throw ONNXImportError(
          path: path,
          "\(what) has \(proto.rawData.count) bytes of raw data; shape \(shape) of "
            + "\(ONNXDataType.name(proto.dataType)) needs \(count * type.byteWidth)")
      }
      return try fromRaw(proto.rawData, type: type, shape: shape, what: what)
    }
    func check(_ found: Int, _ field: String) throws {
      guard found == count else {
        throw ONNXImportError(
          path: path, "\(what) has \(found) values in \(field) for shape \(shape) (\(count))")
      }
    }
    switch type {
    case .float:
      try check(proto.floatData.count, "float_data")
      return .float(Tensor(shape: shape, scalars: proto.floatData))
    case .double:
      try check(proto.doubleData.count, "double_data")
      return .double(Tensor(shape: shape, scalars: proto.doubleData))
    case .int64:
      try check(proto.int64Data.count, "int64_data")
      return .integer(IntegerTensor(shape: shape, values: proto.int64Data.map { Int($0) }))
    case .int32, .int8, .uint8, .bool:
      try check(proto.int32Data.count, "int32_data")
      return .integer(
        IntegerTensor(
          shape: shape, values: proto.int32Data.map { Int($0) }, isBoolean: type == .bool))
    }
  }

  private func fromRaw(
    _ bytes: Data, type: ONNXDataType, shape: [Int], what: String
  ) throws -> StoredConstant {
    let count = shape.reduce(1, *)
    switch type {
    case .float:
      let t = Tensor<Float>(shape: shape) { out in
        bytes.withUnsafeBytes { raw in
          for i in 0..<count {
            out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
          }
        }
      }
      return .float(t)
    case .double:
      let t = Tensor<Double>(shape: shape) { out in
        bytes.withUnsafeBytes { raw in
          for i in 0..<count {
            out[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
          }
        }
      }
      return .double(t)
    case .int64:
      let v = bytes.withUnsafeBytes { raw in
        (0..<count).map { Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
      }
      return .integer(IntegerTensor(shape: shape, values: v))
    case .int32:
      let v = bytes.withUnsafeBytes { raw in
        (0..<count).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
      }
      return .integer(IntegerTensor(shape: shape, values: v))
    case .int8:
      return .integer(IntegerTensor(shape: shape, values: bytes.map { Int(Int8(bitPattern: $0)) }))
    case .uint8:
      return .integer(IntegerTensor(shape: shape, values: bytes.map { Int($0) }))
    case .bool:
      return .integer(
        IntegerTensor(shape: shape, values: bytes.map { $0 == 0 ? 0 : 1 }, isBoolean: true))
    }
  }

  /// The bytes of an initializer stored outside the model file (ONNX external data: a
  /// `location` relative to the model's directory, an optional `offset` and `length`).
  private func externalBytes(_ proto: Onnx_TensorProto, what: String, expected: Int) throws -> Data {
    var entries: [String: String] = [:]
    for e in proto.externalData { entries[e.key] = e.value }
    guard let location = entries["location"], !location.isEmpty else {
      throw ONNXImportError(path: path, "\(what) is stored externally but names no location")
    }
    guard let modelURL else {
      throw ONNXImportError(
        path: path, "\(what) is stored in \"\(location)\"; load the model from its file")
    }
    let components = location.split(separator: "/")
    guard !location.hasPrefix("/"), !components.contains("..") else {
      throw ONNXImportError(
        path: path,
        "\(what) names external data \"\(location)\" outside the model's directory; refused")
    }
    let url = modelURL.deletingLastPathComponent().appendingPathComponent(location)
    func number(_ key: String) throws -> Int? {
      guard let text = entries[key] else { return nil }
      guard let v = Int(text), v >= 0 else {
        throw ONNXImportError(path: path, "\(what) has external-data \(key) \"\(text)\"")
      }
      return v
    }
    let offset = try number("offset") ?? 0
    let length = try number("length") ?? expected
    guard length == expected else {
      throw ONNXImportError(
        path: path, "\(what) has external-data length \(length); its shape needs \(expected) bytes")
    }
    guard let handle = try? FileHandle(forReadingFrom: url) else {
      throw ONNXImportError(
        path: path, "\(what) is stored in \"\(url.path)\", which cannot be read (missing file?)")
    }
    defer { try? handle.close() }
    let size = (try? handle.seekToEnd()).map { Int($0) } ?? 0
    guard offset <= size, length <= size - offset else {
      throw ONNXImportError(
        path: path,
        "\(what) needs bytes \(offset)..<\(offset + length) of \"\(url.lastPathComponent)\", "
          + "which has \(size)")
    }
    try? handle.seek(toOffset: UInt64(offset))
    let data = (try? handle.read(upToCount: length)) ?? Data()
    guard data.count == length else {
      throw ONNXImportError(
        path: path, "\(what): \"\(url.lastPathComponent)\" ended early at offset \(offset)")
    }
    return data
  }
}
