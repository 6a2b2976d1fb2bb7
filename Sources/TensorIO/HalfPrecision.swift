// Bit-exact conversions between binary16 / bfloat16 bit patterns and Float / Double.
//
// Swift's `Float16` is unavailable on x86_64 Linux, so the conversions work on bit patterns.
// Widening (16 bits to Float) is exact for every value, including subnormals, infinities and
// NaN payloads. Narrowing rounds once, directly from the Double, to nearest with ties to even,
// as IEEE 754 `convertFormat` does; rounding a Double through Float first could round twice.

/// Conversions between 16-bit floating-point bit patterns and `Float` / `Double`.
///
/// binary16 has 1 sign, 5 exponent and 10 fraction bits (NumPy `float16`, PyTorch
/// `torch.float16`); bfloat16 has 1 sign, 8 exponent and 7 fraction bits (PyTorch
/// `torch.bfloat16`), the top half of a binary32.
///
/// ```swift
/// HalfPrecision.float(fromHalf: 0x3C00)        // 1.0
/// HalfPrecision.halfBits(from: 1.0 / 3.0)      // 0x3555 (0.333251953125)
/// ```
public enum HalfPrecision {
  /// The exact `Float` value of a binary16 bit pattern; NaN payloads are kept.
  @inlinable
  public static func float(fromHalf bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let fraction = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
      // Zero or subnormal: fraction * 2^-24, exact in Float.
      let magnitude = Float(fraction) * 0x1p-24
      return sign == 0 ? magnitude : -magnitude
    case 0x1F:
      return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13))
    default:
      return Float(bitPattern: sign | ((exponent + 112) << 23) | (fraction << 13))
    }
  }

  /// The exact `Float` value of a bfloat16 bit pattern; NaN payloads are kept.
  @inlinable
  public static func float(fromBFloat16 bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
  }

  /// The binary16 bit pattern nearest to `value` (ties to even).
  ///
  /// Values of magnitude at least 65520 become infinity; values at most 2^-25 in magnitude
  /// become a zero of the same sign. A NaN stays a quiet NaN with its sign and the top bits of
  /// its payload (so `Double.nan` gives `0x7E00`).
  public static func halfBits(from value: Double) -> UInt16 {
    narrow(value, exponentBits: 5, fractionBits: 10)
  }

  /// The bfloat16 bit pattern nearest to `value` (ties to even), with the same rules for
  /// overflow, underflow and NaN as ``halfBits(from:)`` (so `Double.nan` gives `0x7FC0`).
  public static func bfloat16Bits(from value: Double) -> UInt16 {
    narrow(value, exponentBits: 8, fractionBits: 7)
  }

  /// Rounds a Double to a narrower IEEE binary format with the given field widths
  /// (`exponentBits + fractionBits <= 15`) and returns its bit pattern.
  @inline(__always)
  static func narrow(_ value: Double, exponentBits: Int, fractionBits: Int) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16(bits >> 63) << UInt16(exponentBits + fractionBits)
    let exponent = Int((bits >> 52) & 0x7FF)
    let fraction = bits & ((1 << 52) - 1)
    let maxExponent = (1 << exponentBits) - 1
    let infinity = sign | UInt16(maxExponent << fractionBits)
    if exponent == 0x7FF {
      if fraction == 0 { return infinity }
      let payload = UInt16(fraction >> UInt64(52 - fractionBits)) | (1 << (fractionBits - 1))
      return infinity | payload
    }
    // Double zeros and subnormals are far below the smallest 16-bit subnormal.
    if exponent == 0 { return sign }
    let significand = (1 << 52) | fraction  // 53 bits, value = significand * 2^(exponent-1075)
    let bias = (1 << (exponentBits - 1)) - 1
    var target = exponent - 1023 + bias
    if target <= 0 {
      // Subnormal in the target format: the fraction field counts units of 2^(1-bias-fraction).
      let shift = 52 - fractionBits + 1 - target
      return sign | UInt16(roundingShift(significand, by: shift))
    }
    var rounded = roundingShift(significand, by: 52 - fractionBits)
    if rounded == 1 << (fractionBits + 1) {
      rounded >>= 1
      target += 1
    }
    if target >= maxExponent { return infinity }
    let fractionMask: UInt64 = (1 << fractionBits) - 1
    return sign | UInt16(target << fractionBits) | UInt16(rounded & fractionMask)
  }

  /// `value / 2^shift` rounded to nearest, ties to even (`shift >= 1`).
  @inline(__always)
  static func roundingShift(_ value: UInt64, by shift: Int) -> UInt64 {
    // value < 2^53, so for shift > 54 the quotient is 0 and the remainder below one half.
    if shift > 54 { return 0 }
    let quotient = value >> UInt64(shift)
    let remainder = value & ((1 << UInt64(shift)) - 1)
    let half: UInt64 = 1 << UInt64(shift - 1)
    if remainder > half || (remainder == half && quotient & 1 == 1) {
      return quotient + 1
    }
    return quotient
  }
}
