// INFLATE: every broken stream is an InflateError that names the byte where the problem is.

import Foundation
import Testing

@testable import TensorIO

@Suite struct InflateErrorTests {
  func failure(_ stream: [UInt8], limit: Int = .max) -> InflateError? {
    do {
      _ = try stream.withUnsafeBytes { try Inflate.decompress($0, capacity: 0, limit: limit) }
      Issue.record("expected an InflateError")
    } catch let error as InflateError {
      return error
    } catch {
      Issue.record("expected an InflateError, got \(error)")
    }
    return nil
  }

  /// A final dynamic block header: `literals` and `distances` code counts, the code-length
  /// code's lengths by symbol, then the code-length symbols given (each with its extra bits).
  func dynamicHeader(
    literals: Int = 257, distances: Int = 1, codeLengthLengths: [Int: Int],
    symbols: [(symbol: Int, extra: Int)]
  ) -> BitWriter {
    var writer = BitWriter()
    writer.write(1, bits: 1)
    writer.write(2, bits: 2)
    writer.write(literals - 257, bits: 5)
    writer.write(distances - 1, bits: 5)
    writer.write(19 - 4, bits: 4)
    let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
    for symbol in order { writer.write(codeLengthLengths[symbol] ?? 0, bits: 3) }
    let code = CanonicalCode(lengths: (0..<19).map { codeLengthLengths[$0] ?? 0 })
    let extraBits = [16: 2, 17: 3, 18: 7]
    for (symbol, extra) in symbols {
      code.write(symbol, to: &writer)
      if let bits = extraBits[symbol] { writer.write(extra, bits: bits) }
    }
    return writer
  }

  /// Code-length symbols that set `lengths` one by one (a 4-bit code for each of 0-15).
  static let fourBitCodes = Dictionary(uniqueKeysWithValues: (0..<16).map { ($0, 4) })
  func lengthSymbols(_ lengths: [Int]) -> [(symbol: Int, extra: Int)] {
    lengths.map { ($0, 0) }
  }

  @Test func invalidBlockType() {
    #expect(failure([0x07]) == InflateError(offset: 0, reason: "invalid block type 3"))
  }

  @Test func storedBlockLengthsDisagree() {
    #expect(failure([0x01, 0x05, 0x00, 0x00, 0x00]) == InflateError(
      offset: 1, reason: "stored block length 5 does not match its complement 0x0"))
  }

  @Test func truncatedStreams() throws {
    let truncated = InflateError(offset: 6, reason: "the compressed data end unexpectedly")
    #expect(failure([0x01, 0x05, 0x00, 0xFA, 0xFF, 0x61]) == truncated)
    #expect(failure([]) == InflateError(offset: 0, reason: "the compressed data end unexpectedly"))
    let stream = Array(base64Block(InflateFixtures.text64k))
    for cut in [1, 2, 100, stream.count / 2, stream.count - 1] {
      #expect(failure(Array(stream.prefix(cut))) == InflateError(
        offset: cut, reason: "the compressed data end unexpectedly"), "\(cut)")
    }
  }

  @Test func invalidLiteralLengthAndDistanceCodes() {
    // Fixed codes: symbol 286 (8 bits, 0xC6) never occurs.
    var literal = BitWriter()
    literal.write(1, bits: 1)
    literal.write(1, bits: 2)
    CanonicalCode.fixedLiteralLength.write(286, to: &literal)
    #expect(failure(literal.finish()) == InflateError(offset: 0, reason: "invalid literal/length code"))
    // A literal, length symbol 257, then distance symbol 30, which never occurs: the distance
    // code starts at bit 3 + 8 + 7 = 18, in byte 2.
    var distance = BitWriter()
    distance.write(1, bits: 1)
    distance.write(1, bits: 2)
    CanonicalCode.fixedLiteralLength.write(65, to: &distance)
    CanonicalCode.fixedLiteralLength.write(257, to: &distance)
    distance.writeCode(30, bits: 5)
    #expect(failure(distance.finish()) == InflateError(offset: 2, reason: "invalid distance code"))
  }

  @Test func distanceBeforeTheStart() {
    var writer = BitWriter()
    writer.write(1, bits: 1)
    writer.write(1, bits: 2)
    DeflateEncoder.writeTokens(
      [.literal(65), .literal(66), .match(length: 3, distance: 3)],
      literalLength: .fixedLiteralLength, distance: .fixedDistance, to: &writer)
    // The match's length code starts at bit 3 + 8 + 8 = 19, in byte 2.
    #expect(failure(writer.finish()) == InflateError(
      offset: 2,
      reason: "match distance 3 reaches before the start of the output (2 bytes so far)"))
  }

  @Test func badHuffmanCodeLengths() {
    // Four code-length codes of one bit each: oversubscribed.
    let oversubscribed = dynamicHeader(
      codeLengthLengths: [16: 1, 17: 1, 18: 1, 0: 1], symbols: [])
    #expect(failure(oversubscribed.bytes + [0, 0]) == InflateError(
      offset: 0, reason: "invalid code-length code (oversubscribed)"))
    // 257 literal/length codes of 9 bits leave half the patterns unused: incomplete.
    var incomplete = dynamicHeader(
      codeLengthLengths: Self.fourBitCodes, symbols: lengthSymbols([Int](repeating: 9, count: 257) + [1]))
    #expect(failure(incomplete.finish() + [0, 0, 0]) == InflateError(
      offset: 0, reason: "invalid literal/length code lengths (incomplete)"))
    // Three one-bit distance codes: oversubscribed.
    let literals = CanonicalCode.randomLengths(symbols: 257, seed: 3)
    var distances = dynamicHeader(
      distances: 3, codeLengthLengths: Self.fourBitCodes, symbols: lengthSymbols(literals + [1, 1, 1]))
    #expect(failure(distances.finish() + [0, 0, 0]) == InflateError(
      offset: 0, reason: "invalid distance code lengths (oversubscribed)"))
    // No code for end of block (symbol 256).
    var noEnd = dynamicHeader(
      codeLengthLengths: Self.fourBitCodes,
      symbols: lengthSymbols([Int](repeating: 8, count: 256) + [0, 1]))
    #expect(failure(noEnd.finish() + [0, 0, 0]) == InflateError(
      offset: 0, reason: "the literal/length code has no end-of-block code"))
  }

  @Test func badCodeLengthSequences() {
    // Repeat (16) of the previous length with no previous length; the symbol is at bit 3 + 14
    // + 57 = 74, in byte 9.
    var noPrevious = dynamicHeader(codeLengthLengths: [16: 1, 0: 1], symbols: [(16, 0)])
    #expect(failure(noPrevious.finish() + [0, 0]) == InflateError(
      offset: 9, reason: "code-length repeat (16) with no previous length"))
    // 138 + 138 zeros (18) where only 257 + 1 lengths are declared; the second repeat is at
    // bit 74 + 1 + 7 = 82, in byte 10.
    var pastEnd = dynamicHeader(codeLengthLengths: [18: 1, 1: 1], symbols: [(18, 127), (18, 127)])
    #expect(failure(pastEnd.finish() + [0, 0]) == InflateError(
      offset: 10, reason: "code lengths repeat past the 258 lengths the header declares"))
    // A lone one-bit code-length code: the unused pattern (bit 1) is invalid.
    var unused = dynamicHeader(codeLengthLengths: [8: 1], symbols: [])
    unused.write(1, bits: 1)
    #expect(failure(unused.finish() + [0, 0]) == InflateError(
      offset: 9, reason: "invalid code-length code"))
    // HLIT = 30 declares 287 literal/length codes; at most 286 exist.
    let tooMany = dynamicHeader(literals: 287, codeLengthLengths: [:], symbols: [])
    #expect(failure(tooMany.bytes + [0, 0]) == InflateError(
      offset: 0,
      reason: "dynamic block header declares 287 literal/length and 1 distance codes (at most"
        + " 286 and 30)"))
  }

  @Test func outputBeyondTheLimit() {
    let hello = Array(base64Block(InflateFixtures.hello))
    #expect(failure(hello, limit: 10)?.reason == "the data decompress to more than the expected 10 bytes")
    var stored = BitWriter()
    DeflateEncoder.storedBlock(ArraySlice([UInt8](repeating: 1, count: 20)), final: true, to: &stored)
    #expect(failure(stored.finish(), limit: 19) == InflateError(
      offset: 5, reason: "the data decompress to more than the expected 19 bytes"))
  }
}
