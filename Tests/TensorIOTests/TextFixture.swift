// The text the gzip fixtures compress: a word salad from a linear congruential generator, the
// same in Python (where the fixtures were made) and here, so that a test can compare the
// decompressed bytes with the original without storing it.

enum TextFixture {
  static func lcg(_ x: Int) -> Int { (x &* 1_103_515_245 &+ 12345) & 0x7FFF_FFFF }

  static let words = [
    "hessian", "eigenvalue", "lanczos", "trace", "density", "the", "of", "a", "network",
    "curvature", "spectrum", "gradient", "loss", "layer", "batch", "\n",
  ].map { Array($0.utf8) }

  /// Python:
  /// ```
  /// def text(n, seed):
  ///     x, out = seed, b""
  ///     while len(out) < n:
  ///         x = (x * 1103515245 + 12345) & 0x7FFFFFFF
  ///         out += str((x >> 4) % 100000).encode() if (x >> 8) & 7 == 0 else WORDS[(x >> 16) % 16]
  ///         out += b" "
  ///     return out[:n]
  /// ```
  static func text(_ n: Int, seed: Int) -> [UInt8] {
    var x = seed
    var out: [UInt8] = []
    while out.count < n {
      x = lcg(x)
      out += (x >> 8) & 7 == 0 ? Array(String((x >> 4) % 100_000).utf8) : words[(x >> 16) % 16]
      out.append(0x20)
    }
    return Array(out.prefix(n))
  }
}
