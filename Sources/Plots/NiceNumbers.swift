// Axis ticks at "nice" values: Heckbert's nice numbers (Graphics Gems, 1990) for linear axes,
// powers of ten (or 1-2-5 within a decade or two) for logarithmic ones. Tick values are built
// from integers and a power of ten ("6e-1"), so they are the doubles nearest the decimals
// they stand for and their labels never show 0.30000000000000004.

import Foundation

/// The ticks of one axis: where they are, what they read, and the range the axis covers.
///
/// ```swift
/// let ticks = NiceNumbers.linear(from: 0, to: 97)
/// ticks.values  // [0, 20, 40, 60, 80, 100]
/// ticks.labels  // ["0", "20", "40", "60", "80", "100"]
/// ```
public struct Ticks: Sendable, Equatable {
  /// Positions of the labelled (major) ticks, increasing.
  public var values: [Double]
  /// One label per major tick.
  public var labels: [String]
  /// Positions of unlabelled minor ticks (logarithmic axes), increasing.
  public var minor: [Double]
  /// The low end of the axis: the first tick when the axis extends to ticks.
  public var lower: Double
  /// The high end of the axis: the last tick when the axis extends to ticks.
  public var upper: Double
}

/// Nice tick values for chart axes.
///
/// ```swift
/// NiceNumbers.linear(from: 0, to: 1).values          // [0, 0.2, 0.4, 0.6, 0.8, 1]
/// NiceNumbers.logarithmic(from: 1e-6, to: 1e2).labels  // ["1e-6", "1e-5", …, "1e2"]
/// ```
public enum NiceNumbers {
  /// Heckbert's nice number near `x > 0`: 1, 2, 5 or 10 times a power of ten. Rounded to the
  /// nearest (`rounding: true`) or the smallest nice number not below `x`.
  ///
  /// ```swift
  /// NiceNumbers.nice(0.25, rounding: true)   // 0.2
  /// NiceNumbers.nice(97, rounding: false)    // 100
  /// ```
  public static func nice(_ x: Double, rounding: Bool) -> Double {
    let (mantissa, exponent) = niceParts(x, rounding: rounding)
    return decimal(mantissa, exponent)
  }

  /// About `targetCount` ticks at multiples of a 1-2-5 step covering `lower...upper`.
  ///
  /// With `extendsToTicks` (Heckbert's loose labelling) the axis range grows to the ticks just
  /// outside the data; without it the range stays `lower...upper` and only the ticks inside
  /// are kept. Non-finite bounds give `0...1`; equal bounds are widened by 10% each way (to
  /// `-1...1` for zero), so a constant series still gets a proper axis.
  ///
  /// ```swift
  /// NiceNumbers.linear(from: -0.5, to: 0.5).labels  // ["-0.6", "-0.4", …, "0.6"]
  /// NiceNumbers.linear(from: 3, to: 3).values       // [2.6, 2.8, 3, 3.2, 3.4]
  /// ```
  public static func linear(
    from lower: Double, to upper: Double, targetCount: Int = 5, extendsToTicks: Bool = true
  ) -> Ticks {
    var (low, high) =
      lower.isFinite && upper.isFinite ? (min(lower, upper), max(lower, upper)) : (0, 1)
    if high - low <= max(abs(low), abs(high)) * 1e-12 {
      let half = low == 0 ? 1 : abs(low) * 0.1
      (low, high) = (low - half, high + half)
    }
    // Heckbert rounds the range up to a nice number before dividing, which suits loose axes
    // (0...97 gets 0, 20, ..., 100); a tight axis divides its own range (-1.04...1.04 gets
    // steps of 0.5, not 1).
    let range = extendsToTicks ? nice(high - low, rounding: false) : high - low
    var (mantissa, exponent) = niceParts(range / Double(max(2, targetCount) - 1), rounding: true)
    var (step, values) = multiples(mantissa, exponent, low, high, outward: extendsToTicks)
    // Tight ticks can leave too few inside (-41...96 with a step of 50: only 0 and 50): take
    // the next smaller 1-2-5 step until there are at least three.
    while !extendsToTicks && values.count < min(3, max(2, targetCount)) {
      (mantissa, exponent) = mantissa == 1 ? (5, exponent - 1) : (mantissa == 5 ? 2 : 1, exponent)
      (step, values) = multiples(mantissa, exponent, low, high, outward: false)
    }
    let axisLow = extendsToTicks ? values.first ?? low : low
    let axisHigh = extendsToTicks ? values.last ?? high : high
    return Ticks(
      values: values, labels: NumberFormat.tickLabels(values, step: step), minor: [],
      lower: axisLow, upper: axisHigh)
  }

  /// Ticks for a logarithmic axis over `lower...upper` (both positive).
  ///
  /// Over more than two decades the ticks are powers of ten, every `s`-th decade with the
  /// smallest `s` in 1, 2, 3, 4, 5, 10, … that keeps at most `maxCount` ticks, and minor ticks
  /// in between. Over two decades or less they are 1, 2 and 5 times powers of ten. Bounds that
  /// are not positive and finite give `1...10`; equal bounds are widened by a factor of 2.
  ///
  /// ```swift
  /// NiceNumbers.logarithmic(from: 1e-6, to: 1e2).values.count  // 9 (every decade)
  /// NiceNumbers.logarithmic(from: 2, to: 8).labels             // ["2", "5", "10"]
  /// ```
  public static func logarithmic(
    from lower: Double, to upper: Double, maxCount: Int = 10, extendsToTicks: Bool = true
  ) -> Ticks {
    let valid = lower > 0 && upper > 0 && lower.isFinite && upper.isFinite
    var (low, high) = valid ? (min(lower, upper), max(lower, upper)) : (1, 10)
    if high <= low * (1 + 1e-12) { (low, high) = (low / 2, high * 2) }
    let firstDecade = Int(floor(log10(low) + 1e-9))
    let lastDecade = Int(ceil(log10(high) - 1e-9))
    if lastDecade - firstDecade <= 2 {
      return oneTwoFive(low, high, firstDecade, lastDecade, extendsToTicks: extendsToTicks)
    }
    let maxTicks = max(2, maxCount)
    let steps = [1, 2, 3, 4, 5, 10, 20, 25, 50, 100, 200, 500]
    var step = steps.last!
    for candidate in steps {
      let from = floorDiv(firstDecade, candidate) * candidate
      let to = -floorDiv(-lastDecade, candidate) * candidate
      if (to - from) / candidate + 1 <= maxTicks { step = candidate; break }
    }
    let alignedFirst = floorDiv(firstDecade, step) * step
    let alignedLast = -floorDiv(-lastDecade, step) * step
    let axisLow = extendsToTicks ? decimal(1, alignedFirst) : low
    let axisHigh = extendsToTicks ? decimal(1, alignedLast) : high
    let inside = { (v: Double) in v >= axisLow * (1 - 1e-9) && v <= axisHigh * (1 + 1e-9) }
    let exponents = stride(from: alignedFirst, through: alignedLast, by: step).filter {
      inside(decimal(1, $0))
    }
    var minor: [Double] = []
    for decade in alignedFirst..<alignedLast {
      if step == 1 {
        minor += (2...9).map { decimal($0, decade) }.filter(inside)
      } else if floorDiv(decade, step) * step != decade, inside(decimal(1, decade)) {
        minor.append(decimal(1, decade))
      }
    }
    return Ticks(
      values: exponents.map { decimal(1, $0) }, labels: NumberFormat.decadeLabels(exponents),
      minor: minor, lower: axisLow, upper: axisHigh)
  }

  /// 1-2-5 ticks on a log axis spanning at most two decades.
  private static func oneTwoFive(
    _ low: Double, _ high: Double, _ firstDecade: Int, _ lastDecade: Int, extendsToTicks: Bool
  ) -> Ticks {
    var candidates: [Double] = []
    for decade in (firstDecade - 1)...lastDecade {
      candidates += [1, 2, 5].map { decimal($0, decade) }
    }
    candidates.append(decimal(1, lastDecade + 1))
    let tolerance = 1e-9
    let axisLow = extendsToTicks ? candidates.last { $0 <= low * (1 + tolerance) } ?? low : low
    let axisHigh = extendsToTicks ? candidates.first { $0 >= high * (1 - tolerance) } ?? high : high
    let inside = { (v: Double) in v >= axisLow * (1 - tolerance) && v <= axisHigh * (1 + tolerance)
    }
    let values = candidates.filter(inside)
    if values.count < 2 {
      // A sliver of one decade (say 3.1 to 4.6): linear ticks read better, placed on the log axis.
      var ticks = linear(from: low, to: high, targetCount: 4, extendsToTicks: false)
      (ticks.lower, ticks.upper) = (low, high)
      return ticks
    }
    var minor: [Double] = []
    for decade in (firstDecade - 1)...lastDecade {
      minor += (1...9).map { decimal($0, decade) }.filter { inside($0) && !values.contains($0) }
    }
    return Ticks(
      values: values, labels: values.map { NumberFormat.compact($0, significantDigits: 3) },
      minor: minor, lower: axisLow, upper: axisHigh)
  }

  /// The multiples of `mantissa × 10^exponent` just covering (`outward`) or inside `low...high`.
  private static func multiples(
    _ mantissa: Int, _ exponent: Int, _ low: Double, _ high: Double, outward: Bool
  ) -> (step: Double, values: [Double]) {
    let step = decimal(mantissa, exponent)
    let epsilon = 1e-9
    let first = outward ? floor(low / step + epsilon) : ceil(low / step - epsilon)
    let last = outward ? ceil(high / step - epsilon) : floor(high / step + epsilon)
    guard first <= last else { return (step, []) }
    return (step, (Int(first)...Int(last)).map { decimal($0 * mantissa, exponent) })
  }

  /// Heckbert's nice number as (mantissa in 1, 2, 5; decimal exponent).
  static func niceParts(_ x: Double, rounding: Bool) -> (Int, Int) {
    guard x > 0, x.isFinite else { return (1, 0) }
    let exponent = NumberFormat.decimalExponent(x)
    let fraction = x / decimal(1, exponent)
    let mantissa: Int
    if rounding {
      mantissa = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
    } else {
      mantissa = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
    }
    return mantissa == 10 ? (1, exponent + 1) : (mantissa, exponent)
  }

  /// `mantissa × 10^exponent` as the double nearest that decimal.
  static func decimal(_ mantissa: Int, _ exponent: Int) -> Double {
    Double("\(mantissa)e\(exponent)") ?? 0
  }

  private static func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }
}
