// INFLATE: decompressing a raw DEFLATE stream (RFC 1951), the compression of ZIP members
// (`numpy.savez_compressed`) and of gzip files (MNIST's `.gz`).
//
// Bits are read through a 64-bit buffer refilled eight bytes at a time, which always holds the
// 48 bits the longest length/distance pair needs, and symbols are decoded with the tables of
// HuffmanTable.swift. Near the end of the input the buffer is refilled byte by byte and then
// with virtual zero bytes, which must never be consumed: that is how a truncated stream is
// detected without a bounds check per symbol.

import Foundation

/// Why a DEFLATE stream could not be decompressed, and the byte offset in the stream where the
/// problem was found.
struct InflateError: Error, Equatable {
  var offset: Int
  var reason: String
}

enum Inflate {
  /// Decompresses the DEFLATE stream at the start of `input` (Python
  /// `zlib.decompressobj(-15)`), and returns the data and the number of input bytes the stream
  /// occupies (the bits after its final block, up to the next byte boundary, are padding).
  ///
  /// - Parameters:
  ///   - capacity: The expected size of the output, allocated up front.
  ///   - limit: The most bytes the output may have; more is an error naming the limit.
  static func decompress(
    _ input: UnsafeRawBufferPointer, capacity: Int, limit: Int = .max
  ) throws(InflateError) -> (data: Data, consumed: Int) {
    var inflater = Inflater(input: input, capacity: min(capacity, limit), limit: limit)
    defer { inflater.tables.deallocate() }
    do throws(InflateError) {
      try inflater.run()
    } catch {
      inflater.output.deallocate()
      throw error
    }
    let output = inflater.output
    let data = Data(
      bytesNoCopy: output, count: inflater.count,
      deallocator: .custom { pointer, _ in pointer.deallocate() })
    return (data, inflater.consumed)
  }
}

/// The state of one decompression: input position and bit buffer, output buffer, tables.
struct Inflater {
  let input: UnsafeRawBufferPointer
  let inputCount: Int
  /// The next input byte to load into `bitBuffer`.
  var position = 0
  /// Input bits not yet consumed, the next one in bit 0, `bitCount` of them valid.
  var bitBuffer: UInt64 = 0
  var bitCount = 0
  /// Zero bytes added to the bit buffer past the end of the input.
  var overread = 0

  /// The output, with room for `capacity` bytes plus `slack` that wide copies may overwrite.
  var output: UnsafeMutableRawPointer
  var count = 0
  var capacity: Int
  let limit: Int
  static let slack = 16

  /// The literal/length, distance and code-length tables, one after the other.
  let tables: UnsafeMutablePointer<UInt32>
  var literalLengthTable: UnsafeMutablePointer<UInt32> { tables }
  var distanceTable: UnsafeMutablePointer<UInt32> {
    tables + HuffmanAlphabet.literalLength.capacity
  }
  var codeLengthTable: UnsafeMutablePointer<UInt32> {
    distanceTable + HuffmanAlphabet.distance.capacity
  }

  init(input: UnsafeRawBufferPointer, capacity: Int, limit: Int) {
    self.input = input
    self.inputCount = input.count
    self.capacity = max(capacity, 0)
    self.limit = limit
    self.output = .allocate(byteCount: self.capacity + Self.slack, alignment: 16)
    self.tables = .allocate(
      capacity: HuffmanAlphabet.literalLength.capacity + HuffmanAlphabet.distance.capacity
        + HuffmanAlphabet.codeLength.capacity)
  }

  /// The input bytes up to the end of the stream: whole bytes still in the bit buffer go back.
  var consumed: Int { position + overread - bitCount / 8 }

  /// The offset of the byte holding the next unconsumed bit.
  var offset: Int { ((position + overread) * 8 - bitCount) / 8 }

  func failure(_ reason: String, at offset: Int? = nil) -> InflateError {
    InflateError(offset: offset ?? self.offset, reason: reason)
  }

  mutating func run() throws(InflateError) {
    var isFinal = false
    while !isFinal {
      try refill()
      isFinal = take(1) == 1
      let blockOffset = offset
      switch take(2) {
      case 0:
        try copyStoredBlock()
      case 1:
        try loadFixedTables()
        try decodeBlock()
      case 2:
        try loadDynamicTables()
        try decodeBlock()
      default:
        throw failure("invalid block type 3", at: blockOffset)
      }
    }
    // The virtual zero bytes must still be in the buffer, unconsumed.
    if overread * 8 > bitCount { throw truncated() }
  }

  func truncated() -> InflateError {
    InflateError(offset: inputCount, reason: "the compressed data end unexpectedly")
  }

  /// Fills the bit buffer to at least 56 bits (with zero bytes past the end of the input).
  @inline(__always)
  mutating func refill() throws(InflateError) {
    if position &+ 8 <= inputCount {
      bitBuffer |=
        UInt64(littleEndian: input.loadUnaligned(fromByteOffset: position, as: UInt64.self))
        &<< UInt64(bitCount)
      position &+= (63 &- bitCount) >> 3
      bitCount |= 56
    } else {
      try refillSlowly()
    }
  }

  @inline(never)
  mutating func refillSlowly() throws(InflateError) {
    if overread * 8 > bitCount { throw truncated() }
    while bitCount <= 56 {
      if position < inputCount {
        bitBuffer |= UInt64(input[position]) &<< UInt64(bitCount)
        position += 1
      } else {
        overread += 1
      }
      bitCount += 8
    }
  }

  /// Consumes and returns the next `bits` bits; the buffer must hold them.
  @inline(__always)
  mutating func take(_ bits: Int) -> Int {
    let value = Int(truncatingIfNeeded: bitBuffer) & ((1 << bits) &- 1)
    bitBuffer >>= UInt64(bits)
    bitCount &-= bits
    return value
  }

  /// Makes room for `needed` more output bytes, doubling the buffer up to `limit`.
  @inline(never)
  mutating func grow(toFit needed: Int) throws(InflateError) {
    guard needed <= limit - count else {
      throw failure("the data decompress to more than the expected \(limit) bytes")
    }
    let doubled = capacity > limit / 2 ? limit : capacity * 2
    let newCapacity = min(max(doubled, count + needed, 4096), limit)
    let newOutput = UnsafeMutableRawPointer.allocate(
      byteCount: newCapacity + Self.slack, alignment: 16)
    copyBytes(
      UnsafeRawBufferPointer(start: output, count: count),
      to: UnsafeMutableRawBufferPointer(start: newOutput, count: newCapacity))
    output.deallocate()
    output = newOutput
    capacity = newCapacity
  }

  /// A stored block (BTYPE 00): skip to a byte boundary, then LEN, NLEN and LEN bytes.
  mutating func copyStoredBlock() throws(InflateError) {
    _ = take(bitCount & 7)
    // Return the whole bytes in the bit buffer to the input, and read the block directly.
    if overread * 8 > bitCount { throw truncated() }
    position -= bitCount / 8 - overread
    (bitBuffer, bitCount, overread) = (0, 0, 0)
    guard inputCount - position >= 4 else { throw truncated() }
    let length = Int(
      UInt16(littleEndian: input.loadUnaligned(fromByteOffset: position, as: UInt16.self)))
    let complement = UInt16(
      littleEndian: input.loadUnaligned(fromByteOffset: position + 2, as: UInt16.self))
    guard complement == ~UInt16(length) else {
      throw failure(
        "stored block length \(length) does not match its complement"
          + " 0x\(String(complement, radix: 16, uppercase: true))", at: position)
    }
    position += 4
    guard inputCount - position >= length else { throw truncated() }
    if length > capacity - count { try grow(toFit: length) }
    copyBytes(
      UnsafeRawBufferPointer(rebasing: input[position..<(position + length)]),
      to: UnsafeMutableRawBufferPointer(start: output + count, count: length))
    count += length
    position += length
  }

  /// The fixed codes of BTYPE 01 (RFC 1951 section 3.2.6).
  mutating func loadFixedTables() throws(InflateError) {
    var lengths = [UInt8](repeating: 8, count: 288)
    for symbol in 144..<256 { lengths[symbol] = 9 }
    for symbol in 256..<280 { lengths[symbol] = 7 }
    _ = HuffmanTable.build(lengths[...], alphabet: .literalLength, into: literalLengthTable)
    let distances = [UInt8](repeating: 5, count: 32)
    _ = HuffmanTable.build(distances[...], alphabet: .distance, into: distanceTable)
  }

  /// The code lengths of a dynamic block (BTYPE 10, RFC 1951 section 3.2.7), and its tables.
  mutating func loadDynamicTables() throws(InflateError) {
    let headerOffset = offset
    try refill()
    let literalCount = take(5) + 257
    let distanceCount = take(5) + 1
    let codeLengthCount = take(4) + 4
    guard literalCount <= 286, distanceCount <= 30 else {
      throw failure(
        "dynamic block header declares \(literalCount) literal/length and \(distanceCount)"
          + " distance codes (at most 286 and 30)", at: headerOffset)
    }
    let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
    var codeLengthLengths = [UInt8](repeating: 0, count: 19)
    for index in 0..<codeLengthCount {
      if bitCount < 3 { try refill() }
      codeLengthLengths[order[index]] = UInt8(take(3))
    }
    if let problem = HuffmanTable.build(
      codeLengthLengths[...], alphabet: .codeLength, into: codeLengthTable)
    {
      throw failure("invalid code-length code (\(problem))", at: headerOffset)
    }

    let total = literalCount + distanceCount
    var lengths = [UInt8](repeating: 0, count: total)
    var index = 0
    while index < total {
      try refill()
      let symbolOffset = offset
      let entry = codeLengthTable[
        Int(truncatingIfNeeded: bitBuffer) & (1 << HuffmanAlphabet.codeLength.primaryBits - 1)]
      guard entry & HuffmanEntry.kindMask == HuffmanEntry.literal else {
        throw failure("invalid code-length code", at: symbolOffset)
      }
      _ = take(Int(entry & 31))
      let symbol = Int(entry >> 16)
      var repeated: UInt8 = 0
      let repeatCount: Int
      switch symbol {
      case 0..<16:
        lengths[index] = UInt8(symbol)
        index += 1
        continue
      case 16:
        guard index > 0 else {
          throw failure("code-length repeat (16) with no previous length", at: symbolOffset)
        }
        repeated = lengths[index - 1]
        repeatCount = 3 + take(2)
      case 17: repeatCount = 3 + take(3)
      default: repeatCount = 11 + take(7)
      }
      guard repeatCount <= total - index else {
        throw failure(
          "code lengths repeat past the \(total) lengths the header declares", at: symbolOffset)
      }
      for _ in 0..<repeatCount {
        lengths[index] = repeated
        index += 1
      }
    }
    guard lengths[256] > 0 else {
      throw failure("the literal/length code has no end-of-block code", at: headerOffset)
    }
    if let problem = HuffmanTable.build(
      lengths[..<literalCount], alphabet: .literalLength, into: literalLengthTable)
    {
      throw failure("invalid literal/length code lengths (\(problem))", at: headerOffset)
    }
    if let problem = HuffmanTable.build(
      lengths[literalCount...], alphabet: .distance, into: distanceTable)
    {
      throw failure("invalid distance code lengths (\(problem))", at: headerOffset)
    }
  }
}
