// What all charts share: rendering to an SVG string and writing it to a file atomically, so a
// failed or interrupted run never leaves a half-written plot behind.

import Foundation

/// A chart that renders to a standalone SVG document.
///
/// Rendering is deterministic (the same chart gives the same bytes) and the document is valid
/// SVG 1.1 with `xmlns`, `width`, `height` and `viewBox`, no ids and no style sheet, so it
/// can also be placed inline in HTML, several on one page.
///
/// ```swift
/// let chart = LineChart(title: "Loss", series: [.init(name: "loss", x: [0, 1], y: [2, 1])])
/// try chart.write(to: URL(fileURLWithPath: "loss.svg"))
/// ```
public protocol Chart: Sendable {
  /// The chart as an SVG document.
  ///
  /// ```swift
  /// let text = chart.svg()  // "<svg xmlns=\"http://www.w3.org/2000/svg\" …"
  /// ```
  func svg() -> String
}

extension Chart {
  /// Writes ``svg()`` to `url` atomically: to a temporary file in the same directory, then
  /// renamed over `url`, so readers see the old file or the complete new one.
  ///
  /// ```swift
  /// try DensityChart(grid: grid, density: density).write(to: outDir.appendingPathComponent("density.svg"))
  /// ```
  ///
  /// - Throws: the file system's error if the directory is missing or not writable.
  public func write(to url: URL) throws {
    try writeAtomically(svg(), to: url)
  }
}

/// Writes UTF-8 `text` to `url` through a temporary file and a rename.
func writeAtomically(_ text: String, to url: URL) throws {
  try Data(text.utf8).write(to: url, options: .atomic)
}

/// A labelled position on a chart's x axis, drawn as a dashed vertical line: the top
/// eigenvalues on a spectral density, the trained weights (`0`) on a loss landscape.
///
/// ```swift
/// let marker = Marker(value: 147.69, label: "λ1 = 147.7")
/// ```
public struct Marker: Sendable, Equatable {
  /// The x coordinate.
  public var value: Double
  /// The text beside the line; empty for a line without a label.
  public var label: String

  /// A marker at `value` reading `label`.
  ///
  /// ```swift
  /// Marker(value: 0, label: "trained")
  /// ```
  public init(value: Double, label: String) {
    self.value = value
    self.label = label
  }

  /// One marker per eigenvalue, labelled `λ1 = …`, `λ2 = …` in the order given.
  ///
  /// ```swift
  /// Marker.eigenvalues([147.69, 125.35]).map(\.label)  // ["λ1 = 147.7", "λ2 = 125.3"]
  /// ```
  public static func eigenvalues(_ values: [Double], significantDigits: Int = 4) -> [Marker] {
    values.enumerated().map { index, value in
      Marker(
        value: value,
        label:
          "λ\(index + 1) = \(NumberFormat.compact(value, significantDigits: significantDigits))")
    }
  }
}

/// Splits a sequence of optional points into runs of consecutive present points: a missing
/// (non-finite) value breaks a line instead of being drawn at a made-up position.
func contiguousRuns<T>(_ points: [T?]) -> [[T]] {
  var runs: [[T]] = []
  var current: [T] = []
  for point in points {
    if let point {
      current.append(point)
    } else if !current.isEmpty {
      runs.append(current)
      current = []
    }
  }
  if !current.isEmpty { runs.append(current) }
  return runs
}
