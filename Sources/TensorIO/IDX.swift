// The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/): a 4-byte magic number
// (two zero bytes, a type byte, the number of dimensions), each dimension as a big-endian
// 32-bit size, then the elements big-endian in row-major order.

import Foundation

/// Reads IDX files, the format of MNIST, Fashion-MNIST, KMNIST and EMNIST, plain or
/// gzip-compressed (the `.gz` files those data sets are downloaded as).
///
/// | type byte | element | dtype |
/// | --- | --- | --- |
/// | `0x08` | unsigned byte | ``DType/uint8`` |
/// | `0x09` | signed byte | ``DType/int8`` |
/// | `0x0B` | short (16 bits) | ``DType/int16`` |
/// | `0x0C` | int (32 bits) | ``DType/int32`` |
/// | `0x0D` | float (32 bits) | ``DType/float32`` |
/// | `0x0E` | double (64 bits) | ``DType/float64`` |
///
/// ```swift
/// let images = try IDX.read(contentsOf: URL(fileURLWithPath: "train-images-idx3-ubyte.gz"))
/// print(images.dtype, images.shape)   // uint8 [60000, 28, 28]
/// ```
///
/// For images scaled to [0, 1] and integer labels, use ``MNIST``.
public enum IDX {
  /// Reads an IDX file, decompressing it first when it is gzip-compressed (Python:
  /// `idx2numpy.convert_from_file`, or torchvision's `read_sn3_pascalvincent_tensor`).
  ///
  /// Compression is recognized by the gzip magic number at the start of the file (an IDX file
  /// starts with two zero bytes), not by the name. The file must hold exactly the header and
  /// the elements its dimensions call for.
  ///
  /// - Parameter url: A local file URL.
  /// - Returns: The elements converted to little-endian, with the file's dimensions as shape.
  /// - Throws: ``TensorIOError`` naming the file, and the byte offset at fault, with what was
  ///   expected and what was found. Offsets in a compressed file's IDX data count from the
  ///   start of the decompressed data, and the file is then named `PATH (decompressed)`.
  public static func read(contentsOf url: URL) throws -> StoredTensor {
    try decode(FileAccess.contents(of: url), path: url.path)
  }

  /// Decodes an IDX file held in memory, plain or gzip-compressed, as ``read(contentsOf:)``.
  ///
  /// - Parameters:
  ///   - data: The whole file.
  ///   - path: The name to use in error messages.
  public static func decode(_ data: Data, path: String = "<memory>") throws -> StoredTensor {
    try data.withUnsafeBytes { file in
      if Gzip.isCompressed(file) {
        let decompressed = try Gzip.decompress(file, path: path)
        return try decompressed.withUnsafeBytes { inner in
          try decode(bytes: inner, path: path + " (decompressed)")
        }
      }
      return try decode(bytes: file, path: path)
    }
  }

  static let dtypes: [UInt8: DType] = [
    0x08: .uint8, 0x09: .int8, 0x0B: .int16, 0x0C: .int32, 0x0D: .float32, 0x0E: .float64,
  ]
  private static let typeNames: [DType: String] = [
    .uint8: "ubyte", .int8: "byte", .int16: "short", .int32: "int", .float32: "float",
    .float64: "double",
  ]

  /// The IDX name of `dtype` ("ubyte", "short", ...), for messages.
  static func typeName(_ dtype: DType) -> String { typeNames[dtype] ?? dtype.rawValue }

  /// Decodes an uncompressed IDX file.
  static func decode(bytes file: UnsafeRawBufferPointer, path: String) throws -> StoredTensor {
    guard file.count >= 4 else {
      throw TensorIOError.truncatedFile(
        path: path, what: "the 4-byte IDX magic number", expectedBytes: 4, foundBytes: file.count)
    }
    guard file[0] == 0, file[1] == 0 else {
      let found = file.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")
      throw TensorIOError.malformedHeader(
        path: path, offset: 0,
        reason: "expected an IDX magic number 00 00 TT NN (TT the type, NN the number of"
          + " dimensions), found \(found)")
    }
    guard let dtype = dtypes[file[2]] else {
      throw TensorIOError.unsupportedDType(
        path: path, key: nil, dtype: String(format: "0x%02x", file[2]),
        reason: "byte 2 of an IDX file is its type: 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int,"
          + " 0x0d float or 0x0e double")
    }
    let rank = Int(file[3])
    let dataStart = 4 + 4 * rank
    guard file.count >= dataStart else {
      throw TensorIOError.truncatedFile(
        path: path, what: "the \(rank) dimension sizes of the IDX header", expectedBytes: dataStart,
        foundBytes: file.count)
    }
    let reader = ByteReader(file, path: path)
    let shape = (0..<rank).map { Int(reader.bigEndianU32(4 + 4 * $0)) }
    let description = "\(typeName(dtype)) \(shape) data at byte \(dataStart)"
    guard let needed = StoredTensor.byteCount(dtype: dtype, shape: shape),
      needed <= file.count - dataStart
    else {
      throw TensorIOError.truncatedFile(
        path: path, what: description,
        expectedBytes: StoredTensor.byteCount(dtype: dtype, shape: shape).map { dataStart + $0 }
          ?? Int.max, foundBytes: file.count)
    }
    guard needed == file.count - dataStart else {
      throw TensorIOError.trailingBytes(
        path: path, offset: dataStart + needed, count: file.count - dataStart - needed)
    }
    let data = UnsafeRawBufferPointer(rebasing: file[dataStart...])
    guard dtype.byteCount > 1 else {
      return StoredTensor(unchecked: dtype, shape: shape, copying: data)
    }
    return StoredTensor(
      unchecked: dtype, shape: shape, bytes: swapByteOrder(data, width: dtype.byteCount))
  }

  /// The elements of `data`, each `width` bytes, with their bytes reversed.
  private static func swapByteOrder(_ data: UnsafeRawBufferPointer, width: Int) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: data.count) { buffer, initialized in
      for start in stride(from: 0, to: data.count, by: width) {
        for byte in 0..<width {
          buffer[start + byte] = data[start + width - 1 - byte]
        }
      }
      initialized = data.count
    }
  }
}
