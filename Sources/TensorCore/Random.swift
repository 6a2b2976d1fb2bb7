// A seeded, portable random number generator and random tensors.

import RealModule

/// A fast, seeded pseudo-random generator: xoshiro256** (Blackman and Vigna 2018) seeded through
/// SplitMix64, so that any 64-bit seed gives a well-mixed state.
///
/// Every random choice in HessianKit takes a generator like this one; there is no hidden global
/// random state. The same seed gives the same sequence on every platform.
///
/// ```swift
/// var g = SeededGenerator(seed: 42)
/// let v = Tensor<Double>(randomNormal: [3], using: &g)
/// ```
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  @usableFromInline var state: (UInt64, UInt64, UInt64, UInt64)

  /// Creates a generator from a seed.
  public init(seed: UInt64) {
    var s = seed
    func splitMix() -> UInt64 {
      s &+= 0x9E37_79B9_7F4A_7C15
      var z = s
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  /// The next 64 random bits.
  @inlinable
  public mutating func next() -> UInt64 {
    let result = rotate(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotate(state.3, 45)
    return result
  }

  @inlinable
  func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

extension RandomNumberGenerator {
  /// A uniform double in [0, 1) with 53 random bits.
  @inlinable
  mutating func nextUnitDouble() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// A standard normal double (Box-Muller, one value per call).
  @inlinable
  mutating func nextStandardNormal() -> Double {
    var u = nextUnitDouble()
    while u == 0 { u = nextUnitDouble() }
    let v = nextUnitDouble()
    return (-2 * Double.log(u)).squareRoot() * Double.cos(2 * .pi * v)
  }
}

extension Tensor {
  /// A tensor of independent standard normal samples (PyTorch `torch.randn`), scaled by
  /// `standardDeviation` and shifted by `mean`.
  @inlinable
  public init(
    randomNormal shape: [Int], mean: Scalar = 0, standardDeviation: Scalar = 1,
    using generator: inout some RandomNumberGenerator
  ) {
    self.init(uninitializedShape: shape)
    for i in 0..<count {
      (buffer.pointer + i).initialize(
        to: mean + standardDeviation * Scalar(generator.nextStandardNormal()))
    }
  }

  /// A tensor of independent samples uniform in `[lower, upper)` (PyTorch `torch.rand` scaled,
  /// or `nn.init.uniform_`).
  @inlinable
  public init(
    randomUniform shape: [Int], lower: Scalar = 0, upper: Scalar = 1,
    using generator: inout some RandomNumberGenerator
  ) {
    self.init(uninitializedShape: shape)
    let width = Double(upper - lower)
    for i in 0..<count {
      (buffer.pointer + i).initialize(
        to: lower + Scalar(width * generator.nextUnitDouble()))
    }
  }

  /// A tensor of independent Rademacher samples, each +1 or -1 with probability one half.
  @inlinable
  public init(rademacher shape: [Int], using generator: inout some RandomNumberGenerator) {
    self.init(uninitializedShape: shape)
    var bits: UInt64 = 0
    for i in 0..<count {
      if i % 64 == 0 { bits = generator.next() }
      (buffer.pointer + i).initialize(to: (bits >> UInt64(i % 64)) & 1 == 1 ? 1 : -1)
    }
  }
}
