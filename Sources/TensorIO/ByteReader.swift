// Reading fixed-width integers at byte offsets of a file held in memory.

/// Little-endian (ZIP, gzip) and big-endian (IDX) integers at offsets of `bytes`, which the
/// caller has checked lie within the file; an offset outside it stops the program rather than
/// reading stray memory.
struct ByteReader {
  let bytes: UnsafeRawBufferPointer
  /// The file's name for error messages.
  let path: String

  init(_ bytes: UnsafeRawBufferPointer, path: String) {
    self.bytes = bytes
    self.path = path
  }

  @inline(__always)
  private func load<Integer: FixedWidthInteger>(_ offset: Int, as type: Integer.Type) -> Integer {
    precondition(
      offset >= 0 && offset <= bytes.count - MemoryLayout<Integer>.size,
      "ByteReader: offset \(offset) outside the \(bytes.count)-byte file")
    return bytes.loadUnaligned(fromByteOffset: offset, as: Integer.self)
  }

  /// The little-endian `UInt16` at `offset`.
  func u16(_ offset: Int) -> UInt16 { UInt16(littleEndian: load(offset, as: UInt16.self)) }
  /// The little-endian `UInt32` at `offset`.
  func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: load(offset, as: UInt32.self)) }
  /// The little-endian `UInt64` at `offset`.
  func u64(_ offset: Int) -> UInt64 { UInt64(littleEndian: load(offset, as: UInt64.self)) }
  /// The big-endian `UInt32` at `offset`.
  func bigEndianU32(_ offset: Int) -> UInt32 { UInt32(bigEndian: load(offset, as: UInt32.self)) }

  /// A 64-bit size or offset read from the file at `offset`, as an `Int`.
  ///
  /// - Throws: ``TensorIOError/malformedData(path:key:offset:reason:)`` when it exceeds
  ///   `Int.max`, which no file can reach.
  func offset(_ value: UInt64, field: String, at offset: Int) throws -> Int {
    guard let converted = Int(exactly: value) else {
      throw TensorIOError.malformedData(
        path: path, key: nil, offset: offset,
        reason: "the \(field) \(value) is beyond any file's size")
    }
    return converted
  }
}
