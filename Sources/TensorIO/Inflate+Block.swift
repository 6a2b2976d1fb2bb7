// The inner loop of INFLATE: the literals and matches of one Huffman-coded block.
//
// The bit buffer and the output cursor live in local variables for the whole block, so that
// stores to the output cannot force them back to memory, and go back to `self` only around the
// rare calls that need them (the byte-by-byte refill at the end of the input, growing the
// output) and on exit.

extension Inflater {
  /// Decodes the symbols of a compressed block with the current tables, through its
  /// end-of-block code.
  mutating func decodeBlock() throws(InflateError) {
    let literalLengths = UnsafePointer(literalLengthTable)
    let distances = UnsafePointer(distanceTable)
    let literalBits = HuffmanAlphabet.literalLength.primaryBits
    let distanceBits = HuffmanAlphabet.distance.primaryBits
    let kindMask = HuffmanEntry.kindMask
    let input = self.input
    let inputCount = self.inputCount

    var bits = bitBuffer
    var bitCount = self.bitCount
    var position = self.position
    var output = self.output
    var count = self.count
    var capacity = self.capacity
    defer {
      bitBuffer = bits
      self.bitCount = bitCount
      self.position = position
      self.count = count
    }

    while true {
      if position &+ 8 <= inputCount {
        bits |=
          UInt64(littleEndian: input.loadUnaligned(fromByteOffset: position, as: UInt64.self))
          &<< UInt64(bitCount)
        position &+= (63 &- bitCount) &>> 3
        bitCount |= 56
      } else {
        (bitBuffer, self.bitCount, self.position) = (bits, bitCount, position)
        try refillSlowly()
        (bits, bitCount, position) = (bitBuffer, self.bitCount, self.position)
      }

      var entry = lookUp(bits, in: literalLengths, primaryBits: literalBits)
      let kind = entry & kindMask
      if kind == HuffmanEntry.literal {
        if capacity &- count < 3 {
          // Near the end of the buffer (which may be the end of the expected output): one
          // literal at a time, growing only for the one.
          if count == capacity {
            self.count = count
            try grow(toFit: 1)
            (output, capacity) = (self.output, self.capacity)
          }
          bits &>>= UInt64(entry & 31)
          bitCount &-= Int(entry & 31)
          output.storeBytes(
            of: UInt8(truncatingIfNeeded: entry &>> 16), toByteOffset: count, as: UInt8.self)
          count &+= 1
          continue
        }
        // The 56 bits in the buffer hold three literal codes (15 bits at most each): decode up
        // to three before refilling.
        bits &>>= UInt64(entry & 31)
        bitCount &-= Int(entry & 31)
        output.storeBytes(
          of: UInt8(truncatingIfNeeded: entry &>> 16), toByteOffset: count, as: UInt8.self)
        count &+= 1
        entry = lookUp(bits, in: literalLengths, primaryBits: literalBits)
        guard entry & kindMask == HuffmanEntry.literal else { continue }
        bits &>>= UInt64(entry & 31)
        bitCount &-= Int(entry & 31)
        output.storeBytes(
          of: UInt8(truncatingIfNeeded: entry &>> 16), toByteOffset: count, as: UInt8.self)
        count &+= 1
        entry = lookUp(bits, in: literalLengths, primaryBits: literalBits)
        guard entry & kindMask == HuffmanEntry.literal else { continue }
        bits &>>= UInt64(entry & 31)
        bitCount &-= Int(entry & 31)
        output.storeBytes(
          of: UInt8(truncatingIfNeeded: entry &>> 16), toByteOffset: count, as: UInt8.self)
        count &+= 1
        continue
      }
      guard kind == HuffmanEntry.base else {
        bits &>>= UInt64(entry & 31)
        bitCount &-= Int(entry & 31)
        if kind == HuffmanEntry.endOfBlock { return }
        throw failure("invalid literal/length code", bitsBack: Int(entry & 31), bitCount, position)
      }

      // A match: the length (code and extra bits), then the distance (code and extra bits).
      var consumed = Int(entry & 31)
      var extra = Int((entry &>> 8) & 31)
      bits &>>= UInt64(consumed)
      let length = Int(entry &>> 16) &+ (Int(truncatingIfNeeded: bits) & ((1 &<< extra) &- 1))
      bits &>>= UInt64(extra)
      consumed &+= extra

      entry = lookUp(bits, in: distances, primaryBits: distanceBits)
      guard entry & kindMask == HuffmanEntry.base else {
        bitCount &-= consumed
        throw failure("invalid distance code", bitsBack: 0, bitCount, position)
      }
      extra = Int((entry &>> 8) & 31)
      bits &>>= UInt64(entry & 31)
      let distance = Int(entry &>> 16) &+ (Int(truncatingIfNeeded: bits) & ((1 &<< extra) &- 1))
      bits &>>= UInt64(extra)
      consumed &+= Int(entry & 31) &+ extra
      bitCount &-= consumed

      guard distance <= count else {
        throw failure(
          "match distance \(distance) reaches before the start of the output (\(count) bytes"
            + " so far)", bitsBack: consumed, bitCount, position)
      }
      if length > capacity &- count {
        self.count = count
        try grow(toFit: length)
        (output, capacity) = (self.output, self.capacity)
      }
      copyMatch(output + count, distance: distance, length: length)
      count &+= length
    }
  }

  /// An error at the byte where a code that ended `bitsBack` bits ago began.
  private func failure(
    _ reason: String, bitsBack: Int, _ bitCount: Int, _ position: Int
  ) -> InflateError {
    InflateError(
      offset: ((position + overread) * 8 - bitCount - bitsBack) / 8, reason: reason)
  }
}

/// The table entry for the code in the low bits of `bits`, through a subtable if it is long.
@inline(__always)
private func lookUp(
  _ bits: UInt64, in table: UnsafePointer<UInt32>, primaryBits: Int
) -> UInt32 {
  let entry = table[Int(truncatingIfNeeded: bits) & ((1 &<< primaryBits) &- 1)]
  guard entry & HuffmanEntry.kindMask == HuffmanEntry.subtable else { return entry }
  let index = Int(truncatingIfNeeded: bits &>> UInt64(primaryBits)) & ((1 &<< Int(entry & 31)) &- 1)
  return table[Int(entry &>> 16) &+ index]
}

/// Copies `length` bytes from `distance` bytes before `destination` to `destination`, where the
/// regions overlap when `distance < length` (the repeated pattern LZ77 means).
///
/// Copies eight bytes at a time when `distance >= 8`, and may then write up to 7 bytes past
/// `destination + length`, into the output buffer's slack.
@inline(__always)
private func copyMatch(_ destination: UnsafeMutableRawPointer, distance: Int, length: Int) {
  let source = UnsafeRawPointer(destination - distance)
  if distance >= 8 {
    var i = 0
    repeat {
      destination.storeBytes(
        of: source.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i,
        as: UInt64.self)
      i &+= 8
    } while i < length
  } else if distance == 1 {
    let word = UInt64(source.load(as: UInt8.self)) &* 0x0101_0101_0101_0101
    var i = 0
    repeat {
      destination.storeBytes(of: word, toByteOffset: i, as: UInt64.self)
      i &+= 8
    } while i < length
  } else {
    for i in 0..<length {
      destination.storeBytes(
        of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
    }
  }
}
