// Bars per category: per-layer results (top eigenvalue and trace of each layer). Layer names
// are long (`features.stage3.unit2.body.conv1.conv`) and there can be sixty of them, so the
// default is horizontal bars with the names written on the left, one row per layer.

/// A bar chart of one or more series over named categories.
///
/// Layouts: ``Layout/panels`` gives each series its own panel and value axis (quantities of
/// different scales side by side, such as top eigenvalue and trace), ``Layout/grouped`` puts
/// all series in one panel with a legend. Bars start at zero, values may be negative (a dark
/// zero line separates the two sides), and a missing (NaN) value shows as "n/a".
///
/// ```swift
/// let chart = BarChart(
///   title: "Per-layer curvature",
///   categories: ["conv1", "layer1.0.conv1", "fc"],
///   series: [
///     .init(name: "Top eigenvalue", values: [12.5, 3.1, -0.4]),
///     .init(name: "Trace", values: [210, 95.2, 12]),
///   ])
/// try chart.write(to: URL(fileURLWithPath: "layers.svg"))
/// ```
public struct BarChart: Chart {
  /// One value per category.
  public struct Series: Sendable, Equatable {
    /// The panel title or legend entry.
    public var name: String
    /// The values, one per category, in the order of the categories.
    public var values: [Double]

    /// A named series.
    ///
    /// ```swift
    /// BarChart.Series(name: "Trace", values: [210, 95.2, 12])
    /// ```
    public init(name: String, values: [Double]) {
      self.name = name
      self.values = values
    }
  }

  /// How several series share the chart.
  ///
  /// ```swift
  /// BarChart(categories: names, series: [eigenvalues, traces], layout: .grouped)
  /// ```
  public enum Layout: Sendable, Equatable {
    /// One panel per series, each with its own value axis, sharing the category labels.
    case panels
    /// All series in one panel, bars side by side within each category, with a legend.
    case grouped
  }

  /// The direction of the bars.
  ///
  /// ```swift
  /// BarChart(categories: ["conv1", "fc"], series: [traces], orientation: .vertical)
  /// ```
  public enum Orientation: Sendable, Equatable {
    /// Bars grow to the right; category names on the left, readable however many or long.
    case horizontal
    /// Bars grow upward; category names below, turned 45°. Suits a few short names.
    case vertical
  }

  /// The title; empty for none.
  public var title: String
  /// The category names (layer names), one row (or column) each.
  public var categories: [String]
  /// The series, each with one value per category.
  public var series: [Series]
  /// Panels or grouped bars.
  public var layout: Layout
  /// Horizontal or vertical bars.
  public var orientation: Orientation
  /// The label of the value axis; empty for none (panel titles already name the quantity).
  public var valueLabel: String
  /// Whether each bar carries its value as text (horizontal bars, or vertical ones wide
  /// enough for the text).
  public var showsValues: Bool
  /// The width in pixels.
  public var width: Double
  /// The height in pixels; `nil` to fit the number of categories.
  public var height: Double?

  /// A bar chart.
  ///
  /// ```swift
  /// let chart = BarChart(categories: names, series: [.init(name: "Trace", values: traces)])
  /// ```
  ///
  /// - Precondition: every series has one value per category.
  public init(
    title: String = "", categories: [String], series: [Series], layout: Layout = .panels,
    orientation: Orientation = .horizontal, valueLabel: String = "", showsValues: Bool = true,
    width: Double = 760, height: Double? = nil
  ) {
    for item in series {
      precondition(
        item.values.count == categories.count,
        "series \(item.name): \(item.values.count) values for \(categories.count) categories")
    }
    self.title = title
    self.categories = categories
    self.series = series
    self.layout = layout
    self.orientation = orientation
    self.valueLabel = valueLabel
    self.showsValues = showsValues
    self.width = width
    self.height = height
  }

  /// The chart as a standalone SVG document; without categories or series, an empty chart
  /// that says "No data to plot".
  ///
  /// ```swift
  /// let svg = chart.svg()
  /// ```
  public func svg() -> String {
    if categories.isEmpty || series.isEmpty {
      let height = self.height ?? 200
      var svg = SVGWriter(width: width, height: height, title: title.isEmpty ? "Bar chart" : title)
      if !title.isEmpty {
        svg.text(
          title, x: width / 2, y: Theme.outerPadding + Theme.titleSize * 0.85,
          size: Theme.titleSize,
          anchor: "middle", weight: "600")
      }
      svg.text(
        "No data to plot", x: width / 2, y: height / 2, size: Theme.labelSize, anchor: "middle",
        fill: Theme.mutedText)
      return svg.document()
    }
    return BarRenderer(chart: self).render()
  }

  /// The panels to draw: for each, its title and the indices of its series.
  var panels: [(title: String, members: [Int])] {
    switch layout {
    case .panels: series.indices.map { (series[$0].name, [$0]) }
    case .grouped: [("", Array(series.indices))]
    }
  }

  /// Whether a legend is needed (grouped bars of several series).
  var hasLegend: Bool { layout == .grouped && series.count > 1 }
}
