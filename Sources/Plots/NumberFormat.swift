// Numbers as people read them on a chart or in a table: "0.2" not "0.20000000000000001",
// "1e-5" not "0.00001", "250k" not "250000", and the same number of decimals on one axis.

import Foundation

/// Compact, human-readable formatting of numbers for tick labels, annotations and reports.
///
/// ```swift
/// NumberFormat.compact(147.69364)         // "147.7"
/// NumberFormat.compact(0.0000123456)      // "1.235e-5"
/// NumberFormat.grouped(272474)            // "272,474"
/// ```
public enum NumberFormat {
  /// `value` with about `significantDigits` significant digits: plain decimals for magnitudes
  /// in `0.001 ..< 1e6` (trailing zeros dropped, integers of up to six digits kept whole),
  /// scientific `1.5e-7` outside, `NaN`, `∞` or `-∞` for non-finite values.
  ///
  /// ```swift
  /// NumberFormat.compact(0.30000000000000004)  // "0.3"
  /// NumberFormat.compact(-2.5e7, significantDigits: 3)  // "-2.5e7"
  /// ```
  public static func compact(_ value: Double, significantDigits: Int = 4) -> String {
    guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞") }
    if value == 0 { return "0" }
    let digits = max(1, significantDigits)
    let magnitude = abs(value)
    if magnitude >= 1e-3 && magnitude < 1e6 {
      let exponent = Int(floor(log10(magnitude)))
      let text = trimmed(String(format: "%.\(max(0, digits - 1 - exponent))f", value))
      // Rounding may carry into the next power of ten ("999.96" -> "1000"): still fine.
      return text
    }
    return scientific(value, fractionDigits: digits - 1)
  }

  /// An integer with thousands separators: `1234567` -> `"1,234,567"`.
  ///
  /// ```swift
  /// NumberFormat.grouped(-1500)  // "-1,500"
  /// ```
  public static func grouped(_ value: Int) -> String {
    let digits = Array(String(value.magnitude))
    var text = ""
    for (index, digit) in digits.enumerated() {
      if index > 0 && (digits.count - index) % 3 == 0 { text += "," }
      text.append(digit)
    }
    return value < 0 ? "-" + text : text
  }

  /// Labels for evenly spaced ticks `values` that are multiples of `step` (such as a 1-2-5
  /// step): every label shows exactly the digits the step needs. Magnitudes in `1e4 ..< 1e9` use the
  /// suffixes `k` and `M`, below `0.001` or from `1e9` scientific notation.
  ///
  /// ```swift
  /// NumberFormat.tickLabels([0, 0.2, 0.4], step: 0.2)        // ["0", "0.2", "0.4"]
  /// NumberFormat.tickLabels([0, 2e-5, 4e-5], step: 2e-5)     // ["0", "2e-5", "4e-5"]
  /// NumberFormat.tickLabels([0, 25000, 50000], step: 25000)  // ["0", "25k", "50k"]
  /// ```
  public static func tickLabels(_ values: [Double], step: Double) -> [String] {
    let maxMagnitude = values.lazy.filter(\.isFinite).map(abs).max() ?? 0
    guard maxMagnitude > 0, step > 0, step.isFinite else {
      return values.map { compact($0) }
    }
    let stepExponent = lastDigitExponent(step)
    return values.map { value in
      guard value.isFinite else { return compact(value) }
      if value == 0 { return "0" }
      if maxMagnitude >= 1e9 || maxMagnitude < 1e-3 {
        return scientific(value, fractionDigits: max(0, decimalExponent(abs(value)) - stepExponent))
      }
      if maxMagnitude >= 1e4 {
        let (divisor, suffix, exponent) = maxMagnitude >= 1e6 ? (1e6, "M", 6) : (1e3, "k", 3)
        let decimals = max(0, exponent - stepExponent)
        return trimmed(String(format: "%.\(decimals)f", value / divisor)) + suffix
      }
      return trimmed(String(format: "%.\(max(0, -stepExponent))f", value))
    }
  }

  /// Labels for powers of ten `10^exponent`: plain (`0.001` … `10000`) when every exponent is
  /// in `-3...4`, otherwise `1e-8`-style for all, so one axis never mixes the two.
  ///
  /// ```swift
  /// NumberFormat.decadeLabels([-2, -1, 0, 1])  // ["0.01", "0.1", "1", "10"]
  /// NumberFormat.decadeLabels([-6, -4, -2, 0])  // ["1e-6", "1e-4", "1e-2", "1e0"]
  /// ```
  public static func decadeLabels(_ exponents: [Int]) -> [String] {
    let plain = exponents.allSatisfy { (-3...4).contains($0) }
    return exponents.map { exponent in
      guard plain else { return "1e\(exponent)" }
      if exponent >= 0 { return "1" + String(repeating: "0", count: exponent) }
      return "0." + String(repeating: "0", count: -exponent - 1) + "1"
    }
  }

  /// The exponent of the last significant decimal digit of `step`: -1 for 0.2, 5 for 2.5e6.
  static func lastDigitExponent(_ step: Double) -> Int {
    let leading = decimalExponent(step)
    var mantissa = step / NiceNumbers.decimal(1, leading)
    for extra in 0..<12 {
      if abs(mantissa - mantissa.rounded()) <= 1e-6 * mantissa { return leading - extra }
      mantissa *= 10
    }
    return leading - 12
  }

  /// The exponent of the leading decimal digit, robust to `log10(1e-5) = -4.999…`.
  static func decimalExponent(_ magnitude: Double) -> Int {
    Int(floor(log10(magnitude) + 1e-9))
  }

  /// `1.50e-05` -> `1.5e-5`: trailing zeros, `+` and leading exponent zeros removed.
  static func scientific(_ value: Double, fractionDigits: Int) -> String {
    let text = String(format: "%.\(max(0, fractionDigits))e", value)
    guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return text }
    let mantissa = trimmed(String(text[..<e]))
    let exponent = Int(text[text.index(after: e)...].replacingOccurrences(of: "+", with: "")) ?? 0
    return "\(mantissa)e\(exponent)"
  }

  /// Drops trailing fractional zeros and a bare point, and turns `-0` into `0`.
  static func trimmed(_ text: String) -> String {
    var text = text
    if text.contains(".") {
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
    }
    return text == "-0" ? "0" : text
  }
}
