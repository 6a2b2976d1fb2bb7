// DEFLATE decompression and CRC-32 through the system zlib, which has been fuzzed for decades:
// the ZIP members of `.npz` files (raw DEFLATE) and the members of gzip files (whose framing,
// headers and trailers Gzip.swift parses, to name the byte at fault).

import CHessianZlib
import Foundation

enum Zlib {
  /// Why a DEFLATE stream could not be decompressed: zlib's message, and the offset in the
  /// stream of the last byte zlib read before it stopped (for corrupt data, the byte holding
  /// the bits at fault), or the stream's length when it ended early.
  struct Failure: Error, Equatable {
    var offset: Int
    var reason: String
  }

  /// Decompresses the raw DEFLATE stream at the start of `input` (Python
  /// `zlib.decompressobj(-15)`), and returns the data and the number of input bytes the stream
  /// occupies; bytes after the stream's end are not read.
  ///
  /// - Parameters:
  ///   - capacity: the expected size of the output, allocated up front (the buffer doubles if
  ///     the data are larger, up to `limit`).
  ///   - limit: the most bytes the output may have; more is an error naming the limit, so a
  ///     decompression bomb stops at the size its container declared.
  static func inflateRaw(
    _ input: UnsafeRawBufferPointer, capacity: Int, limit: Int = .max
  ) throws(Failure) -> (data: Data, consumed: Int) {
    var stream = z_stream()
    guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else { throw Failure(offset: 0, reason: "zlib could not start (out of memory)") }
    defer { inflateEnd(&stream) }
    // Decompressed in place into the Data returned (truncated, not copied, at the end).
    var output = Data(count: Swift.max(Swift.min(capacity, limit), 1))
    var produced = 0
    var consumed = 0
    let total = input.count
    while true {
      if produced == output.count {
        guard output.count < limit else {
          throw Failure(
            offset: consumed, reason: "the data decompress to more than the expected \(limit) bytes")
        }
        output.count = output.count > limit / 2 ? limit : output.count * 2
      }
      let chunkIn = Swift.min(total - consumed, Int(UInt32.max))
      let chunkOut = Swift.min(output.count - produced, Int(UInt32.max))
      let status: Int32 = output.withUnsafeMutableBytes { out in
        stream.next_in = UnsafeMutablePointer(
          mutating: input.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + consumed })
        stream.avail_in = UInt32(chunkIn)
        stream.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self) + produced
        stream.avail_out = UInt32(chunkOut)
        return CHessianZlib.inflate(&stream, Z_NO_FLUSH)
      }
      consumed += chunkIn - Int(stream.avail_in)
      produced += chunkOut - Int(stream.avail_out)
      switch status {
      case Z_STREAM_END:
        output.count = produced
        return (output, consumed)
      case Z_OK:
        continue
      case Z_BUF_ERROR where consumed == total:
        throw Failure(offset: total, reason: "the compressed data end unexpectedly")
      case Z_BUF_ERROR:
        continue  // the output was full: grow it
      case Z_NEED_DICT:
        throw Failure(offset: consumed, reason: "the stream needs a preset dictionary")
      case Z_MEM_ERROR:
        throw Failure(offset: consumed, reason: "zlib ran out of memory")
      default:
        // zlib reads input as it needs it: the last byte it read holds the bits at fault.
        let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
        throw Failure(offset: Swift.max(consumed - 1, 0), reason: message)
      }
    }
  }

  /// The CRC-32 of `bytes` continued from `crc` (Python `zlib.crc32(bytes, crc)`): the checksum
  /// of ZIP and gzip members.
  static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    var value = UInt(crc)
    var offset = 0
    while offset < bytes.count {
      let chunk = Swift.min(bytes.count - offset, Int(UInt32.max))
      value = CHessianZlib.crc32(
        value, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset, UInt32(chunk))
      offset += chunk
    }
    return UInt32(truncatingIfNeeded: value)
  }
}
