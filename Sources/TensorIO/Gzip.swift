// gzip (RFC 1952): the compression of MNIST's `.gz` downloads. The framing is parsed here, to
// name the byte at fault; the DEFLATE data and the CRC-32 go to zlib (Zlib.swift).
//
// A gzip file is one or more members, each a 10-byte header (magic 1f 8b, method 8, flags,
// modification time, extra flags, OS), the optional extra field, file name, comment and header
// CRC-16 that the flags announce, a DEFLATE stream, and an 8-byte trailer: the CRC-32 and the
// size modulo 2^32 of the member's decompressed data.

import Foundation

enum Gzip {
  /// Whether `bytes` start with the gzip magic number 1f 8b.
  static func isCompressed(_ bytes: UnsafeRawBufferPointer) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
  }

  /// The decompressed contents of all the members of the gzip file `file` (Python
  /// `gzip.decompress`), each member's CRC-32 and size checked. Zero bytes after the last
  /// member are ignored, as Python's `gzip` does; anything else there is an error.
  ///
  /// - Throws: ``TensorIOError`` naming `path` and the byte offset at fault.
  static func decompress(_ file: UnsafeRawBufferPointer, path: String) throws -> Data {
    var output = Data()
    var start = 0
    repeat {
      let (member, end) = try decompressMember(file, at: start, path: path)
      if start == 0 { output = member } else { output.append(member) }
      start = end
      while start < file.count && file[start] == 0 { start += 1 }
    } while start < file.count
    return output
  }

  /// The member that starts at `start`, and the offset where it ends.
  private static func decompressMember(
    _ file: UnsafeRawBufferPointer, at start: Int, path: String
  ) throws -> (Data, end: Int) {
    let headerEnd = try parseHeader(file, at: start, path: path)
    let stream = UnsafeRawBufferPointer(rebasing: file[headerEnd...])
    // The last member's trailer gives the likely size (modulo 2^32), a hint only: the
    // allocation grows if it is wrong, and DEFLATE cannot expand data more than 1032 times.
    var hint = 0
    if file.count - headerEnd >= 8 {
      hint = Int(
        UInt32(littleEndian: file.loadUnaligned(fromByteOffset: file.count - 4, as: UInt32.self)))
    }
    let data: Data
    let consumed: Int
    do throws(Zlib.Failure) {
      (data, consumed) = try Zlib.inflateRaw(
        stream, capacity: min(hint, stream.count &* 1032 &+ 1024))
    } catch {
      throw TensorIOError.malformedData(
        path: path, key: nil, offset: headerEnd + error.offset,
        reason: "corrupt compressed data: \(error.reason)")
    }
    let trailer = headerEnd + consumed
    guard file.count - trailer >= 8 else {
      throw TensorIOError.truncatedFile(
        path: path, what: "the gzip trailer (CRC-32 and size) at byte \(trailer)",
        expectedBytes: trailer + 8, foundBytes: file.count)
    }
    let recordedCRC = UInt32(
      littleEndian: file.loadUnaligned(fromByteOffset: trailer, as: UInt32.self))
    let computedCRC = data.withUnsafeBytes { Zlib.crc32($0) }
    guard recordedCRC == computedCRC else {
      throw TensorIOError.checksumMismatch(
        path: path, key: nil, offset: trailer, what: "CRC-32 of the decompressed data",
        recorded: recordedCRC, computed: computedCRC)
    }
    let recordedSize = UInt32(
      littleEndian: file.loadUnaligned(fromByteOffset: trailer + 4, as: UInt32.self))
    guard recordedSize == UInt32(truncatingIfNeeded: data.count) else {
      throw TensorIOError.malformedData(
        path: path, key: nil, offset: trailer + 4,
        reason: "the gzip trailer records a size of \(recordedSize) bytes (modulo 2^32) but the"
          + " data decompress to \(data.count)")
    }
    return (data, trailer + 8)
  }

  /// Checks the member header at `start` and returns the offset where its DEFLATE data begin.
  private static func parseHeader(
    _ file: UnsafeRawBufferPointer, at start: Int, path: String
  ) throws -> Int {
    func need(_ end: Int, _ what: String) throws {
      guard end <= file.count else {
        throw TensorIOError.truncatedFile(
          path: path, what: what, expectedBytes: end, foundBytes: file.count)
      }
    }
    let magic = file[start..<min(start + 2, file.count)]
    guard [0x1F, 0x8B].starts(with: magic) else {
      let found = magic.map { String(format: "%02x", $0) }.joined(separator: " ")
      throw TensorIOError.malformedHeader(
        path: path, offset: start,
        reason: "expected the gzip magic number 1f 8b, found \(found)"
          + (start == 0 ? "" : " after the previous member"))
    }
    try need(start + 10, "the 10-byte gzip header at byte \(start)")
    guard file[start + 2] == 8 else {
      throw TensorIOError.unsupportedCompression(
        path: path, key: nil, offset: start + 2, method: Int(file[start + 2]),
        reason: "gzip defines only method 8 (deflate)")
    }
    let flags = file[start + 3]
    guard flags & 0xE0 == 0 else {
      throw TensorIOError.malformedHeader(
        path: path, offset: start + 3,
        reason: "reserved gzip flag bits are set (flags 0x\(String(flags, radix: 16)))")
    }
    var end = start + 10
    if flags & 0x04 != 0 {  // FEXTRA: a 2-byte length, then that many bytes
      try need(end + 2, "the gzip extra field length at byte \(end)")
      let length = Int(file[end]) | Int(file[end + 1]) << 8
      try need(end + 2 + length, "the \(length)-byte gzip extra field at byte \(end + 2)")
      end += 2 + length
    }
    for (flag, field) in [(UInt8(0x08), "file name"), (0x10, "comment")] where flags & flag != 0 {
      // FNAME, FCOMMENT: zero-terminated Latin-1 text.
      guard let zero = file[end...].firstIndex(of: 0) else {
        throw TensorIOError.truncatedFile(
          path: path, what: "the zero-terminated gzip \(field) at byte \(end)",
          expectedBytes: file.count + 1, foundBytes: file.count)
      }
      end = zero + 1
    }
    if flags & 0x02 != 0 {  // FHCRC: the low 16 bits of the CRC-32 of the header so far
      try need(end + 2, "the gzip header CRC-16 at byte \(end)")
      let recorded = UInt32(file[end]) | UInt32(file[end + 1]) << 8
      let computed =
        Zlib.crc32(UnsafeRawBufferPointer(rebasing: file[start..<end])) & 0xFFFF
      guard recorded == computed else {
        throw TensorIOError.checksumMismatch(
          path: path, key: nil, offset: end, what: "gzip header CRC-16", recorded: recorded,
          computed: computed)
      }
      end += 2
    }
    return end
  }
}
