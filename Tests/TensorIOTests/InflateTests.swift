// INFLATE and CRC-32: streams from Python's zlib, round trips through the test encoder that
// reach every symbol and code length, and every kind of broken stream.

import Foundation
import Testing

@testable import TensorIO

@Suite struct InflateTests {
  /// Decompresses `stream`, expecting `capacity` bytes (a hint only).
  func inflate(
    _ stream: [UInt8], capacity: Int = 0, limit: Int = .max
  ) throws -> (data: [UInt8], consumed: Int) {
    let result = try stream.withUnsafeBytes {
      try Inflate.decompress($0, capacity: capacity, limit: limit)
    }
    return (Array(result.data), result.consumed)
  }

  @Test func crc32MatchesZlib() {
    // Python: hex(zlib.crc32(b"123456789")), hex(zlib.crc32(b"")), and the text64k contents.
    #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
    #expect([UInt8]().withUnsafeBytes { CRC32.checksum($0) } == 0)
    let text = InflateFixtures.text(65536, seed: 1)
    #expect(text.withUnsafeBytes { CRC32.checksum($0) } == 0xE3B4_2C50)
    // Updating in pieces of every alignment gives the same value.
    var crc = CRC32()
    var start = 0
    for size in [1, 7, 8, 9, 1000, 3] + [Int](repeating: 4096, count: 20) where start < text.count {
      let end = min(start + size, text.count)
      text[start..<end].withUnsafeBytes { crc.update($0) }
      start = end
    }
    text[start...].withUnsafeBytes { crc.update($0) }
    #expect(crc.checksum == 0xE3B4_2C50)
  }

  @Test func decompressesPythonZlibStreams() throws {
    for (name, stream, contents) in InflateFixtures.all {
      let compressed = Array(base64Block(stream))
      #expect(!compressed.isEmpty, "\(name)")
      // With the exact size allocated and allowed (as for ZIP members: the last literals must
      // fit exactly), and growing from nothing; bytes after the stream are not part of it.
      for (capacity, limit, trailing) in [
        (contents.count, contents.count, []), (0, .max, [0xAB, 0xCD, 0xEF] as [UInt8]),
      ] {
        let (data, consumed) = try inflate(compressed + trailing, capacity: capacity, limit: limit)
        #expect(data == contents, "\(name)")
        #expect(consumed == compressed.count, "\(name)")
      }
    }
  }

  @Test func roundTripsStoredFixedAndDynamicBlocks() throws {
    let contents = InflateFixtures.text(12000, seed: 7) + InflateFixtures.skewed(12000, seed: 8)
      + InflateFixtures.runs(12000, seed: 9)
    let tokens = DeflateEncoder.tokens(contents)

    // One block of each kind, and each kind alone.
    var mixed = BitWriter()
    DeflateEncoder.storedBlock(contents[..<70], final: false, to: &mixed)
    DeflateEncoder.storedBlock([], final: false, to: &mixed)
    DeflateEncoder.fixedBlock(DeflateEncoder.tokens(Array(contents[70..<20000])), final: false, to: &mixed)
    DeflateEncoder.fixedBlock([], final: false, to: &mixed)
    let literalLengths = CanonicalCode.randomLengths(symbols: 286, seed: 1)
    let distanceLengths = CanonicalCode.randomLengths(symbols: 30, seed: 2)
    #expect(literalLengths.max() == 15 && (distanceLengths.max() ?? 0) > 8)
    DeflateEncoder.dynamicBlock(
      DeflateEncoder.tokens(Array(contents[20000...])), literalLengths: literalLengths,
      distanceLengths: distanceLengths, final: true, to: &mixed)
    #expect(try inflate(mixed.finish()).data == contents)

    // Stored blocks of the largest size, 65,535 bytes, and smaller.
    let large = Array((contents + contents).prefix(65535 + 1000))
    var stored = BitWriter()
    DeflateEncoder.storedBlock(large[..<65535], final: false, to: &stored)
    DeflateEncoder.storedBlock(large[65535...], final: true, to: &stored)
    #expect(try inflate(stored.finish()).data == large)

    var fixed = BitWriter()
    DeflateEncoder.fixedBlock(tokens, final: true, to: &fixed)
    #expect(try inflate(fixed.finish(), capacity: contents.count).data == contents)

    // Output ending in one, two, three or four literals, allocated and allowed exactly.
    for literals in 1...4 {
      let tail = Array(contents.prefix(300)) + Array(contents.prefix(300)) + [1, 2, 3, 4].prefix(literals)
      var writer = BitWriter()
      DeflateEncoder.fixedBlock(DeflateEncoder.tokens(tail), final: true, to: &writer)
      #expect(try inflate(writer.finish(), capacity: tail.count, limit: tail.count).data == tail)
      #expect(try inflate(writer.finish(), capacity: 0, limit: tail.count).data == tail)
    }
  }

  @Test func everyLengthAndDistanceSymbolAndLongCodes() throws {
    // A literal prefix of 32768 distinct-ish bytes, then matches of every length 3...258 at
    // distances spread over 1...32768, so every length and distance symbol and extra-bit value
    // class occurs, coded with 15-bit literal/length and distance codes.
    var contents = InflateFixtures.skewed(32768, seed: 11)
    var tokens = contents.map { Token.literal($0) }
    var distance = 1
    for length in 3...258 {
      for _ in 0..<3 {
        tokens.append(.match(length: length, distance: distance))
        let start = contents.count - distance
        for i in 0..<length { contents.append(contents[start + i]) }
        distance = distance * 7 % 32768 + 1
      }
    }
    tokens.append(.match(length: 258, distance: 32768))
    let start = contents.count - 32768
    for i in 0..<258 { contents.append(contents[start + i]) }
    for seed in 0..<2 as Range<UInt64> {
      var writer = BitWriter()
      DeflateEncoder.dynamicBlock(
        tokens, literalLengths: CanonicalCode.randomLengths(symbols: 286, seed: seed),
        distanceLengths: CanonicalCode.randomLengths(symbols: 30, seed: seed + 100), final: true,
        to: &writer)
      #expect(try inflate(writer.finish(), capacity: contents.count / 3).data == contents)
    }
    var writer = BitWriter()
    DeflateEncoder.fixedBlock(tokens, final: true, to: &writer)
    #expect(try inflate(writer.finish()).data == contents)
  }

  @Test func singleDistanceCodeOfOneBit() throws {
    // RFC 1951 allows one distance code of one bit; an incomplete code otherwise is an error.
    var writer = BitWriter()
    let literalLengths = CanonicalCode.randomLengths(symbols: 286, seed: 5)
    DeflateEncoder.dynamicBlock(
      [.literal(7), .match(length: 10, distance: 1)], literalLengths: literalLengths,
      distanceLengths: [1], final: true, to: &writer)
    #expect(try inflate(writer.finish()).data == [UInt8](repeating: 7, count: 11))
  }
}
