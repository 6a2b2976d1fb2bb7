// binary16 and bfloat16 conversions against NumPy (float16) and PyTorch (bfloat16).

import Testing

@testable import TensorIO

@Suite struct HalfPrecisionTests {
  // Python (NumPy 2.4.6; float64 -> float16 rounds once, directly from the double):
  //   vals = [0.0, -0.0, 2.0**-24, 2.0**-25, ...]
  //   np.array(vals, dtype=np.float64).astype(np.float16).view(np.uint16)
  static let halfOracle: [(Double, UInt16)] = [
    (0x0.0p+0, 0x0000),  // 0
    (-0x0.0p+0, 0x8000),  // -0 keeps its sign
    (0x1.0p-24, 0x0001),  // smallest subnormal
    (0x1.0p-25, 0x0000),  // half the smallest subnormal: tie to even (0)
    (0x1.8p-25, 0x0001),  // above the tie: rounds up
    (0x1.8p-24, 0x0002),  // 1.5 units: tie to even (2)
    (0x1.ff8p-15, 0x03FF),  // largest subnormal
    (0x1.0p-14, 0x0400),  // smallest normal
    (0x1.ffcp+15, 0x7BFF),  // 65504, the largest finite
    (0x1.ffdffae147ae1p+15, 0x7BFF),  // 65519.99 rounds down to 65504
    (0x1.ffep+15, 0x7C00),  // 65520: tie rounds to even, which is infinity
    (0x1.e848p+19, 0x7C00),  // 1e6 overflows
    (.infinity, 0x7C00),
    (-.infinity, 0xFC00),
    (0x1.5555555555555p-2, 0x3555),  // 1/3
    (-0x1.5555555555555p-2, 0xB555),  // -1/3
    (0x1.999999999999ap-4, 0x2E66),  // 0.1
    (0x1.002p+0, 0x3C00),  // 1 + 2^-11: tie to even (1)
    (0x1.006p+0, 0x3C02),  // 1 + 3 * 2^-11: tie to even (1 + 2^-9)
    (0x1.0020000001p+0, 0x3C01),  // 1 + 2^-11 + 2^-40: through Float it would round twice to 1
    (0x1.5798ee2308c3ap-27, 0x0000),  // 1e-8 underflows to 0
    (-0x1.0p-24, 0x8001),
    (0x1.ad7f29abcaf48p-25, 0x0001),  // 5e-8
  ]

  @Test func narrowingToHalfMatchesNumPy() {
    for (value, bits) in Self.halfOracle {
      #expect(HalfPrecision.halfBits(from: value) == bits, "\(value)")
    }
  }

  // Python (PyTorch 2.15; float32 -> bfloat16 rounds to nearest even):
  //   f32 = np.array(vals, dtype=np.float32)
  //   torch.from_numpy(f32).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
  static let bfloat16Oracle: [(Double, UInt16)] = [
    (0x0.0p+0, 0x0000),
    (-0x0.0p+0, 0x8000),
    (0x1.555556p-2, 0x3EAB),  // Float(1/3)
    (0x1.0p-133, 0x0001),  // smallest bfloat16 subnormal
    (0x1.01p-133, 0x0001),
    (0x1.8p-133, 0x0002),  // 1.5 units: tie to even
    (0x1.0p-149, 0x0000),  // smallest Float subnormal underflows
    (0x1.517168p+63, 0x5F29),  // 3^40
    (0x1.fep+127, 0x7F7F),  // the largest finite bfloat16
    (0x1.ff933cp+127, 0x7F80),  // 3.4e38 rounds to infinity
    (.infinity, 0x7F80),
    (-0x1.0p+0, 0xBF80),
    (0x1.01p+0, 0x3F80),  // 1 + 2^-8: tie to even (1)
    (0x1.03p+0, 0x3F82),  // 1 + 3 * 2^-8: tie to even (1 + 2^-6)
    (0x1.ffcp+15, 0x4780),  // 65504
  ]

  @Test func narrowingToBFloat16MatchesPyTorch() {
    for (value, bits) in Self.bfloat16Oracle {
      #expect(HalfPrecision.bfloat16Bits(from: value) == bits, "\(value)")
    }
  }

  @Test func nanStaysNaNWithItsSign() {
    #expect(HalfPrecision.halfBits(from: .nan) == 0x7E00)  // NumPy gives 0x7E00 too
    #expect(HalfPrecision.halfBits(from: -.nan) == 0xFE00)
    #expect(HalfPrecision.bfloat16Bits(from: .nan) == 0x7FC0)
    #expect(HalfPrecision.float(fromHalf: 0x7E00).isNaN)
    #expect(HalfPrecision.float(fromHalf: 0x7C01).isNaN)
    #expect(HalfPrecision.float(fromBFloat16: 0xFFC1).isNaN)
    // A payload only in the low bits must not collapse to infinity.
    let lowPayload = Double(bitPattern: 0x7FF0_0000_0000_0001)
    #expect(HalfPrecision.float(fromHalf: HalfPrecision.halfBits(from: lowPayload)).isNaN)
    #expect(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16Bits(from: lowPayload)).isNaN)
  }

  // Python (NumPy 2.4.6):
  //   h = np.arange(65536, dtype=np.uint32).astype(np.uint16)
  //   f = h.view(np.float16).astype(np.float32); ok = ~np.isnan(f)
  //   bits = f.view(np.uint32).astype(np.uint64); w = np.arange(1, 65537, dtype=np.uint64)
  //   int(np.sum((bits * w)[ok]))   # 5549831980369051648
  @Test func wideningEveryHalfMatchesNumPy() {
    var checksum: UInt64 = 0
    var notRoundTripping: [UInt16] = []
    for pattern in 0...UInt16.max {
      let value = HalfPrecision.float(fromHalf: pattern)
      if value.isNaN { continue }
      checksum &+= UInt64(value.bitPattern) &* (UInt64(pattern) + 1)
      // Widening is exact, so narrowing back gives the same pattern.
      if HalfPrecision.halfBits(from: Double(value)) != pattern { notRoundTripping.append(pattern) }
    }
    #expect(checksum == 5_549_831_980_369_051_648)
    #expect(notRoundTripping.isEmpty)
  }

  @Test func wideningEveryBFloat16RoundTrips() {
    var wrong: [UInt16] = []
    for pattern in 0...UInt16.max {
      let value = HalfPrecision.float(fromBFloat16: pattern)
      if value.isNaN { continue }
      if value.bitPattern != UInt32(pattern) << 16
        || HalfPrecision.bfloat16Bits(from: Double(value)) != pattern
      {
        wrong.append(pattern)
      }
    }
    #expect(wrong.isEmpty)
  }

  /// The i-th value of a deterministic sweep over signs, exponents and 20-bit significands.
  static func sweep(_ i: UInt64, exponents: UInt64, lowest: Int) -> Double {
    let significand = 1 + Double((i * 2_654_435_761) % (1 << 20)) / 0x1p20
    let exponent = Int(i % exponents) + lowest
    let magnitude = significand * Double(sign: .plus, exponent: exponent, significand: 1)
    return i % 3 == 0 ? -magnitude : magnitude
  }

  // Python (NumPy 2.4.6):
  //   i = np.arange(20000, dtype=np.uint64)
  //   m = 1 + ((i * np.uint64(2654435761)) % np.uint64(2**20)).astype(np.float64) / 2**20
  //   e = (i % np.uint64(46)).astype(np.int64) - 30; sgn = np.where(i % np.uint64(3) == 0, -1.0, 1.0)
  //   hb = (sgn * m * np.exp2(e)).astype(np.float16).view(np.uint16).astype(np.uint64)
  //   int(np.sum(hb * (i + np.uint64(1))))   # 4327976989226
  @Test func narrowingASweepToHalfMatchesNumPy() {
    var checksum: UInt64 = 0
    for i in UInt64(0)..<20000 {
      let bits = HalfPrecision.halfBits(from: Self.sweep(i, exponents: 46, lowest: -30))
      checksum &+= UInt64(bits) * (i + 1)
    }
    #expect(checksum == 4_327_976_989_226)
  }

  // Python (PyTorch 2.15), the same sweep with e = i % 254 - 126 as float32:
  //   bb = torch.from_numpy(d2).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
  //   int(np.sum(bb.astype(np.uint64) * (i + np.uint64(1))))   # 5459503477236
  @Test func narrowingASweepToBFloat16MatchesPyTorch() {
    var checksum: UInt64 = 0
    for i in UInt64(0)..<20000 {
      let bits = HalfPrecision.bfloat16Bits(from: Self.sweep(i, exponents: 254, lowest: -126))
      checksum &+= UInt64(bits) * (i + 1)
    }
    #expect(checksum == 5_459_503_477_236)
  }
}
