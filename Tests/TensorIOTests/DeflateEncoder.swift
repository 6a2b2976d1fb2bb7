// A small DEFLATE encoder (RFC 1951) for the INFLATE tests: stored blocks, fixed-code blocks,
// and dynamic blocks with code lengths the test chooses, over greedy LZ77 matches. It makes
// streams no other tool makes on purpose (every length and distance symbol, 15-bit codes,
// 32 KiB distances, overlapping matches, empty blocks), and hand-made broken streams.

/// Bits packed least significant first, Huffman codes most significant bit first.
struct BitWriter {
  var bytes: [UInt8] = []
  private var buffer: UInt64 = 0
  private var count = 0

  /// Appends the low `bits` bits of `value`, least significant first.
  mutating func write(_ value: Int, bits: Int) {
    buffer |= UInt64(value & ((1 << bits) - 1)) << UInt64(count)
    count += bits
    while count >= 8 {
      bytes.append(UInt8(truncatingIfNeeded: buffer))
      buffer >>= 8
      count -= 8
    }
  }

  /// Appends a Huffman code of `bits` bits, most significant bit first.
  mutating func writeCode(_ code: Int, bits: Int) {
    var reversed = 0
    for i in 0..<bits { reversed |= (code >> i & 1) << (bits - 1 - i) }
    write(reversed, bits: bits)
  }

  /// Pads with zero bits to a byte boundary.
  mutating func align() {
    if count > 0 { write(0, bits: 8 - count) }
  }

  /// The bytes written, the last one padded with zeros.
  mutating func finish() -> [UInt8] {
    align()
    return bytes
  }
}

/// One LZ77 token: a literal byte, or a match of `length` bytes `distance` back.
enum Token: Equatable {
  case literal(UInt8)
  case match(length: Int, distance: Int)
}

/// The canonical Huffman code for a list of code lengths (RFC 1951 section 3.2.2).
struct CanonicalCode {
  let lengths: [Int]
  let codes: [Int]

  init(lengths: [Int]) {
    var counts = [Int](repeating: 0, count: 16)
    for length in lengths where length > 0 { counts[length] += 1 }
    var next = [Int](repeating: 0, count: 16)
    var code = 0
    for bits in 1...15 {
      code = (code + counts[bits - 1]) << 1
      next[bits] = code
    }
    var codes = [Int](repeating: 0, count: lengths.count)
    for (symbol, length) in lengths.enumerated() where length > 0 {
      codes[symbol] = next[length]
      next[length] += 1
    }
    self.lengths = lengths
    self.codes = codes
  }

  func write(_ symbol: Int, to writer: inout BitWriter) {
    precondition(lengths[symbol] > 0, "symbol \(symbol) has no code")
    writer.writeCode(codes[symbol], bits: lengths[symbol])
  }

  /// The fixed codes of RFC 1951 section 3.2.6.
  static let fixedLiteralLength = CanonicalCode(
    lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
  static let fixedDistance = CanonicalCode(lengths: [Int](repeating: 5, count: 30))

  /// Complete code lengths (Kraft sum exactly 1) for `symbols` symbols, no longer than 15 bits,
  /// made by splitting leaves of a one-leaf tree chosen by a seeded generator; deep leaves are
  /// preferred so that many codes are long.
  static func randomLengths(symbols: Int, seed: UInt64) -> [Int] {
    var leaves = [0]
    var state = seed
    while leaves.count < symbols {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let candidates = leaves.indices.filter { leaves[$0] < 15 }
      let pick = Int(state >> 33) % candidates.count
      // Half the time, split the deepest candidate: long codes.
      let deepest = candidates.max { leaves[$0] < leaves[$1] } ?? candidates[pick]
      let index = state >> 32 & 1 == 0 ? candidates[pick] : deepest
      let depth = leaves[index] + 1
      leaves[index] = depth
      leaves.append(depth)
    }
    // Shuffle which symbol gets which length.
    for i in stride(from: leaves.count - 1, to: 0, by: -1) {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      leaves.swapAt(i, Int(state >> 33) % (i + 1))
    }
    return leaves
  }
}

enum DeflateEncoder {
  static let lengthBases = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
  ]
  static let lengthExtra = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
  ]
  static let distanceBases = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
  ]
  static let distanceExtra = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
  ]

  /// Greedy LZ77: at each position the longest match (3-258 bytes, up to 32,768 back) among
  /// the last `chain` positions with the same three bytes, else a literal.
  static func tokens(_ data: [UInt8], chain: Int = 16) -> [Token] {
    var head = [Int](repeating: -1, count: 1 << 15)
    var previous = [Int](repeating: -1, count: data.count)
    func hash(_ i: Int) -> Int {
      (Int(data[i]) << 10 ^ Int(data[i + 1]) << 5 ^ Int(data[i + 2])) & 0x7FFF
    }
    func insert(_ i: Int) {
      guard i + 2 < data.count else { return }
      previous[i] = head[hash(i)]
      head[hash(i)] = i
    }
    var tokens: [Token] = []
    var i = 0
    while i < data.count {
      var best = (length: 0, distance: 0)
      if i + 2 < data.count {
        var candidate = head[hash(i)]
        var steps = 0
        while candidate >= 0 && i - candidate <= 32768 && steps < chain {
          var length = 0
          while length < 258 && i + length < data.count
            && data[candidate + length] == data[i + length]
          {
            length += 1
          }
          if length > best.length { best = (length, i - candidate) }
          candidate = previous[candidate]
          steps += 1
        }
      }
      if best.length >= 3 {
        tokens.append(.match(length: best.length, distance: best.distance))
        for j in i..<(i + best.length) { insert(j) }
        i += best.length
      } else {
        tokens.append(.literal(data[i]))
        insert(i)
        i += 1
      }
    }
    return tokens
  }

  /// The symbol and extra bits of a match length or distance.
  static func symbol(_ value: Int, bases: [Int], extra: [Int]) -> (Int, extra: Int, bits: Int) {
    let index = bases.lastIndex { $0 <= value } ?? 0
    return (index, value - bases[index], extra[index])
  }

  /// Writes `tokens` with the given codes, then the end-of-block code.
  static func writeTokens(
    _ tokens: [Token], literalLength: CanonicalCode, distance: CanonicalCode,
    to writer: inout BitWriter
  ) {
    for token in tokens {
      switch token {
      case .literal(let byte):
        literalLength.write(Int(byte), to: &writer)
      case .match(let length, let dist):
        let (lengthSymbol, lengthValue, lengthBits) = symbol(
          length, bases: lengthBases, extra: lengthExtra)
        literalLength.write(257 + lengthSymbol, to: &writer)
        writer.write(lengthValue, bits: lengthBits)
        let (distanceSymbol, distanceValue, distanceBits) = symbol(
          dist, bases: distanceBases, extra: distanceExtra)
        distance.write(distanceSymbol, to: &writer)
        writer.write(distanceValue, bits: distanceBits)
      }
    }
    literalLength.write(256, to: &writer)
  }

  /// A stored block (BTYPE 00) of at most 65,535 bytes.
  static func storedBlock(_ data: ArraySlice<UInt8>, final: Bool, to writer: inout BitWriter) {
    writer.write(final ? 1 : 0, bits: 1)
    writer.write(0, bits: 2)
    writer.align()
    writer.write(data.count, bits: 16)
    writer.write(~data.count & 0xFFFF, bits: 16)
    for byte in data { writer.write(Int(byte), bits: 8) }
  }

  /// A fixed-code block (BTYPE 01) of `tokens`.
  static func fixedBlock(_ tokens: [Token], final: Bool, to writer: inout BitWriter) {
    writer.write(final ? 1 : 0, bits: 1)
    writer.write(1, bits: 2)
    writeTokens(tokens, literalLength: .fixedLiteralLength, distance: .fixedDistance, to: &writer)
  }

  /// A dynamic block (BTYPE 10) of `tokens` with the given code lengths (286 literal/length and
  /// up to 30 distance lengths), whose header encodes every length with a 4-bit code-length code
  /// (symbols 0-15, no repeats).
  static func dynamicBlock(
    _ tokens: [Token], literalLengths: [Int], distanceLengths: [Int], final: Bool,
    to writer: inout BitWriter
  ) {
    writer.write(final ? 1 : 0, bits: 1)
    writer.write(2, bits: 2)
    writer.write(literalLengths.count - 257, bits: 5)
    writer.write(distanceLengths.count - 1, bits: 5)
    writer.write(19 - 4, bits: 4)
    let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
    for symbol in order { writer.write(symbol < 16 ? 4 : 0, bits: 3) }
    let codeLengthCode = CanonicalCode(lengths: (0..<19).map { $0 < 16 ? 4 : 0 })
    for length in literalLengths + distanceLengths { codeLengthCode.write(length, to: &writer) }
    writeTokens(
      tokens, literalLength: CanonicalCode(lengths: literalLengths),
      distance: CanonicalCode(lengths: distanceLengths), to: &writer)
  }
}
