// Reading one member of a ZIP archive: its local header, its data stored or deflated, and the
// check of its size and CRC-32.

import Foundation

extension ZipDirectory {
  /// Passes the decompressed, CRC-checked data of `entry` to `body`.
  ///
  /// - Throws: ``TensorIOError`` naming `path`, the member's array name and the byte offset at
  ///   fault, or what `body` throws.
  static func withContents<Result>(
    of entry: ZipEntry, in file: UnsafeRawBufferPointer, path: String,
    _ body: (UnsafeRawBufferPointer) throws -> Result
  ) throws -> Result {
    let reader = ByteReader(file, path: path)
    let key = entry.key
    let header = entry.localHeaderOffset
    guard header <= file.count - 30, reader.u32(header) == 0x0403_4B50 else {
      throw TensorIOError.malformedData(
        path: path, key: key, offset: entry.directoryOffset + 42,
        reason: "the central directory places the local header at byte \(header), where there"
          + " is none (signature PK\\3\\4)")
    }
    let nameLength = Int(reader.u16(header + 26))
    let extraLength = Int(reader.u16(header + 28))
    let dataStart = header + 30 + nameLength + extraLength
    guard dataStart <= file.count,
      file[(header + 30)..<(header + 30 + nameLength)].elementsEqual(entry.rawName)
    else {
      throw TensorIOError.malformedData(
        path: path, key: key, offset: header + 30,
        reason: "the local header's name differs from the central directory's \"\(entry.name)\"")
    }
    guard entry.compressedSize <= file.count - dataStart else {
      throw TensorIOError.truncatedFile(
        path: path,
        what: "the \(entry.compressedSize) bytes of tensor \"\(key)\" at byte \(dataStart)",
        expectedBytes: dataStart + entry.compressedSize, foundBytes: file.count)
    }
    if entry.flags & 0x0001 != 0 {
      throw TensorIOError.unsupportedCompression(
        path: path, key: key, offset: entry.directoryOffset + 8, method: Int(entry.method),
        reason: "the member is encrypted")
    }
    let stored = UnsafeRawBufferPointer(
      rebasing: file[dataStart..<(dataStart + entry.compressedSize)])
    switch entry.method {
    case 0:
      guard entry.compressedSize == entry.uncompressedSize else {
        throw TensorIOError.malformedData(
          path: path, key: key, offset: entry.directoryOffset + 20,
          reason: "a stored member's compressed size \(entry.compressedSize) differs from its"
            + " size \(entry.uncompressedSize)")
      }
      try checkCRC(of: stored, entry, path: path)
      return try body(stored)
    case 8:
      let data = try inflate(stored, entry, dataStart: dataStart, path: path)
      return try data.withUnsafeBytes { data in
        try checkCRC(of: data, entry, path: path)
        return try body(data)
      }
    default:
      let names = [12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "XZ", 99: "AES encryption"]
      throw TensorIOError.unsupportedCompression(
        path: path, key: key, offset: entry.directoryOffset + 10, method: Int(entry.method),
        reason: (names[Int(entry.method)].map { "\($0); " } ?? "")
          + "only 0 (stored, numpy.savez) and 8 (deflate, numpy.savez_compressed) are supported")
    }
  }

  private static func inflate(
    _ stored: UnsafeRawBufferPointer, _ entry: ZipEntry, dataStart: Int, path: String
  ) throws -> Data {
    // DEFLATE expands at most 1032 times (a 258-byte match per 2 bits): a larger size is a lie
    // that must not become an allocation.
    guard entry.uncompressedSize / 1032 <= entry.compressedSize else {
      throw TensorIOError.malformedData(
        path: path, key: entry.key, offset: entry.directoryOffset + 24,
        reason: "the size \(entry.uncompressedSize) is more than \(entry.compressedSize)"
          + " deflated bytes can hold")
    }
    let data: Data
    do throws(Zlib.Failure) {
      // Allocate the recorded size only up to what the data plausibly hold: a corrupt size
      // must not become a huge allocation. The buffer grows if the data really are larger.
      let capacity = min(entry.uncompressedSize, max(4 * entry.compressedSize, 1 << 24))
      data = try Zlib.inflateRaw(stored, capacity: capacity, limit: entry.uncompressedSize).data
    } catch {
      throw TensorIOError.malformedData(
        path: path, key: entry.key, offset: dataStart + error.offset,
        reason: "corrupt compressed data: \(error.reason)")
    }
    guard data.count == entry.uncompressedSize else {
      throw TensorIOError.malformedData(
        path: path, key: entry.key, offset: dataStart,
        reason: "the data decompress to \(data.count) bytes but the central directory records"
          + " \(entry.uncompressedSize)")
    }
    return data
  }

  private static func checkCRC(of data: UnsafeRawBufferPointer, _ entry: ZipEntry, path: String)
    throws
  {
    let computed = Zlib.crc32(data)
    guard computed == entry.crc32 else {
      throw TensorIOError.checksumMismatch(
        path: path, key: entry.key, offset: entry.directoryOffset + 16, what: "CRC-32",
        recorded: entry.crc32, computed: computed)
    }
  }
}
