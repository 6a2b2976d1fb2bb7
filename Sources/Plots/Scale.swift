// How data values map to positions: an axis is a scale (linear or logarithmic), a range of
// values and its ticks; mapping it onto a pixel interval gives screen coordinates.

import Foundation

/// Whether an axis (or a colour scale) is linear or logarithmic.
///
/// ```swift
/// var chart = LineChart(title: "Loss", series: [series])
/// chart.yScale = .logarithmic
/// ```
public enum AxisScale: Sendable, Equatable {
  /// Equal distances for equal differences.
  case linear
  /// Equal distances for equal ratios (base 10). Values that are not positive are left out
  /// (or raised to a floor where the chart says so).
  case logarithmic
}

/// A value axis: its scale, the range it covers and its ticks.
struct Axis {
  var scale: AxisScale
  var ticks: Ticks

  var lower: Double { ticks.lower }
  var upper: Double { ticks.upper }

  /// An axis covering the finite values (positive ones for a log scale) of `values`.
  ///
  /// - Parameters:
  ///   - includeZero: widen a linear axis to contain 0 (bars start at zero).
  ///   - extendsToTicks: loose labelling (the axis ends on ticks) or tight (ends at the data).
  static func fitting(
    _ values: [Double], scale: AxisScale, includeZero: Bool = false, extendsToTicks: Bool = true,
    targetTicks: Int = 5
  ) -> Axis {
    let usable = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
    switch scale {
    case .linear:
      var low = usable.min() ?? 0
      var high = usable.max() ?? 1
      if includeZero { (low, high) = (min(low, 0), max(high, 0)) }
      if usable.isEmpty && !includeZero { (low, high) = (0, 1) }
      return Axis(
        scale: scale,
        ticks: NiceNumbers.linear(
          from: low, to: high, targetCount: targetTicks, extendsToTicks: extendsToTicks))
    case .logarithmic:
      let low = usable.min() ?? 1
      let high = usable.max() ?? 10
      return Axis(
        scale: scale,
        ticks: NiceNumbers.logarithmic(from: low, to: high, extendsToTicks: extendsToTicks))
    }
  }

  /// Whether `value` can be placed on this axis (finite, and positive on a log axis).
  func accepts(_ value: Double) -> Bool {
    value.isFinite && (scale == .linear || value > 0)
  }

  /// The position of `value` as a fraction of the axis: 0 at `lower`, 1 at `upper`; values
  /// outside the range give fractions outside `0...1`. Call only with accepted values.
  func fraction(_ value: Double) -> Double {
    switch scale {
    case .linear:
      let span = upper - lower
      return span > 0 ? (value - lower) / span : 0.5
    case .logarithmic:
      let low = log10(lower)
      let span = log10(upper) - low
      return span > 0 ? (log10(value) - low) / span : 0.5
    }
  }

  /// Maps this axis onto the pixel interval from `start` (at `lower`) to `end` (at `upper`);
  /// `end < start` for a vertical axis, whose values grow upward.
  func mapped(from start: Double, to end: Double) -> ScreenScale {
    ScreenScale(axis: self, start: start, end: end)
  }
}

/// An axis placed on screen: converts values to pixel coordinates.
struct ScreenScale {
  let axis: Axis
  let start: Double
  let end: Double

  /// The pixel coordinate of `value`, clamped to a little outside the axis so a stray value
  /// never produces a huge coordinate.
  func callAsFunction(_ value: Double) -> Double {
    let t = min(max(axis.fraction(value), -0.05), 1.05)
    return start + (end - start) * t
  }
}

/// A rectangle in SVG user units.
struct Rect {
  var x: Double
  var y: Double
  var width: Double
  var height: Double

  var maxX: Double { x + width }
  var maxY: Double { y + height }
  var midX: Double { x + width / 2 }
  var midY: Double { y + height / 2 }
}
