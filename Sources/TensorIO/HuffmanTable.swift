// Decoding tables for the canonical Huffman codes of DEFLATE (RFC 1951 section 3.2.2).
//
// A table is indexed by the next `primaryBits` bits of the input (DEFLATE packs Huffman codes
// most significant bit first into bytes read least significant bit first, so the table is
// indexed by bit-reversed codes). A code no longer than `primaryBits` fills every entry whose
// low bits are its reversed code; a longer code lives in a subtable that the primary entry for
// its first `primaryBits` bits points to, indexed by the bits that follow. One lookup decodes
// almost every symbol; two decode the rest.

/// One 32-bit table entry: bits 0-4 the number of bits to consume (for a subtable pointer, the
/// number of bits that index the subtable), bits 5-7 the kind, bits 8-12 the number of extra
/// bits that follow the code, bits 16-31 the value (a literal byte, a length or distance base,
/// a code-length symbol, or a subtable's offset).
enum HuffmanEntry {
  static let literal: UInt32 = 0 << 5
  static let base: UInt32 = 1 << 5
  static let endOfBlock: UInt32 = 2 << 5
  static let subtable: UInt32 = 3 << 5
  static let invalid: UInt32 = 4 << 5
  static let kindMask: UInt32 = 7 << 5

  /// An entry of `kind` for a code of `bits` bits.
  @inline(__always)
  static func make(_ kind: UInt32, bits: Int, extra: Int = 0, value: Int = 0) -> UInt32 {
    UInt32(bits) | kind | UInt32(extra) << 8 | UInt32(value) << 16
  }
}

/// The three alphabets of DEFLATE and the meaning of each symbol.
enum HuffmanAlphabet {
  /// Literal bytes 0-255, end of block 256, match lengths 257-285 (286 and 287 never occur).
  case literalLength
  /// Match distances 0-29 (30 and 31 never occur).
  case distance
  /// The code-length code of a dynamic block header: lengths 0-15 and the repeats 16-18.
  case codeLength

  /// Bits resolved by the primary table, and the entries a table of this alphabet can need.
  ///
  /// The capacity bounds the worst case generously: each symbol with a code longer than
  /// `primaryBits` can own at most one subtable of at most 2^(15 - primaryBits) entries.
  var primaryBits: Int {
    switch self {
    case .literalLength: return 10
    case .distance: return 8
    case .codeLength: return 7
    }
  }

  var capacity: Int {
    switch self {
    case .literalLength: return (1 << 10) + 288 << 5
    case .distance: return (1 << 8) + 32 << 7
    case .codeLength: return 1 << 7
    }
  }

  /// The entry for `symbol` decoded from a code of `bits` bits.
  func entry(symbol: Int, bits: Int) -> UInt32 {
    switch self {
    case .codeLength:
      return HuffmanEntry.make(HuffmanEntry.literal, bits: bits, value: symbol)
    case .literalLength:
      if symbol < 256 { return HuffmanEntry.make(HuffmanEntry.literal, bits: bits, value: symbol) }
      if symbol == 256 { return HuffmanEntry.make(HuffmanEntry.endOfBlock, bits: bits) }
      if symbol > 285 { return HuffmanEntry.make(HuffmanEntry.invalid, bits: bits) }
      let index = symbol - 257
      return HuffmanEntry.make(
        HuffmanEntry.base, bits: bits, extra: Int(lengthExtraBits[index]),
        value: Int(lengthBases[index]))
    case .distance:
      if symbol > 29 { return HuffmanEntry.make(HuffmanEntry.invalid, bits: bits) }
      return HuffmanEntry.make(
        HuffmanEntry.base, bits: bits, extra: Int(distanceExtraBits[symbol]),
        value: Int(distanceBases[symbol]))
    }
  }
}

/// Match lengths for symbols 257-285 (RFC 1951 section 3.2.5).
private let lengthBases: [UInt16] = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
  163, 195, 227, 258,
]
private let lengthExtraBits: [UInt8] = [
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
]
/// Match distances for symbols 0-29.
private let distanceBases: [UInt16] = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
  2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
]
private let distanceExtraBits: [UInt8] = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
]

enum HuffmanTable {
  /// Why a list of code lengths defines no usable code.
  enum Failure: Error {
    /// More codes of some length than the shorter codes leave room for (Kraft sum above 1).
    case oversubscribed
    /// Codes that leave bit patterns unused, other than a lone one-bit code, which RFC 1951
    /// allows for a block with a single distance.
    case incomplete
  }

  /// Fills `table` with the decoding table of the canonical code whose code lengths, by symbol,
  /// are `lengths` (0 for an unused symbol; at most 15), and returns `nil`, or the reason the
  /// lengths are invalid. Bit patterns no code uses decode to ``HuffmanEntry/invalid``.
  ///
  /// - Precondition: `table` has room for `alphabet.capacity` entries.
  static func build(
    _ lengths: ArraySlice<UInt8>, alphabet: HuffmanAlphabet,
    into table: UnsafeMutablePointer<UInt32>
  ) -> Failure? {
    var counts = [Int](repeating: 0, count: 16)
    for length in lengths { counts[Int(length)] += 1 }
    counts[0] = 0
    var left = 1
    for length in 1...15 {
      left = left << 1 - counts[length]
      if left < 0 { return .oversubscribed }
    }
    let used = counts.reduce(0, +)
    if left > 0 && used > 0 && !(used == 1 && counts[1] == 1) { return .incomplete }

    // The first code of each length (RFC 1951 section 3.2.2, step 2).
    var next = [Int](repeating: 0, count: 16)
    var code = 0
    for length in 1...15 {
      code = (code + counts[length - 1]) << 1
      next[length] = code
    }

    let primaryBits = alphabet.primaryBits
    let primarySize = 1 << primaryBits
    let invalid = HuffmanEntry.make(HuffmanEntry.invalid, bits: 0)
    table.update(repeating: invalid, count: primarySize)

    // Reversed codes, and the longest code under each primary prefix that needs a subtable.
    var reversed = [Int](repeating: 0, count: lengths.count)
    var longest = [UInt8](repeating: 0, count: primarySize)
    for (symbol, length) in zip(0..., lengths) where length > 0 {
      let bits = Int(length)
      reversed[symbol] = reverse(next[bits], bits: bits)
      next[bits] += 1
      if bits > primaryBits {
        let prefix = reversed[symbol] & (primarySize - 1)
        longest[prefix] = max(longest[prefix], length)
      }
    }
    var end = primarySize
    for prefix in 0..<primarySize where longest[prefix] > 0 {
      let subtableBits = Int(longest[prefix]) - primaryBits
      table[prefix] = HuffmanEntry.make(HuffmanEntry.subtable, bits: subtableBits, value: end)
      (table + end).update(repeating: invalid, count: 1 << subtableBits)
      end += 1 << subtableBits
    }

    for (symbol, length) in zip(0..., lengths) where length > 0 {
      let bits = Int(length)
      let entry = alphabet.entry(symbol: symbol, bits: bits)
      if bits <= primaryBits {
        for index in stride(from: reversed[symbol], to: primarySize, by: 1 << bits) {
          table[index] = entry
        }
      } else {
        let pointer = table[reversed[symbol] & (primarySize - 1)]
        let start = Int(pointer >> 16)
        let subtableSize = 1 << Int(pointer & 31)
        let suffix = reversed[symbol] >> primaryBits
        for index in stride(from: suffix, to: subtableSize, by: 1 << (bits - primaryBits)) {
          table[start + index] = entry
        }
      }
    }
    return nil
  }

  /// The low `bits` bits of `code` in reverse order.
  private static func reverse(_ code: Int, bits: Int) -> Int {
    var result = 0
    var code = code
    for _ in 0..<bits {
      result = result << 1 | code & 1
      code >>= 1
    }
    return result
  }
}
