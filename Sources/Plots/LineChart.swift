// Several named series as lines on one chart: 1-D loss landscapes along the top eigenvector,
// a random direction and the gradient, as in PyHessian's tutorial, but on shared axes.

/// A line chart of one or more named series, with a legend when there are several.
///
/// The x axis spans the data; the y axis extends to nice ticks. Points with a non-finite
/// coordinate (or, on a log axis, a y that is not positive) are skipped and break the line.
///
/// ```swift
/// let alphas = (0...20).map { -0.5 + Double($0) * 0.05 }
/// let chart = LineChart(
///   title: "Loss along directions", xLabel: "Perturbation α", yLabel: "Loss",
///   series: [
///     .init(name: "top eigenvector", x: alphas, y: alphas.map { 0.1 + 70 * $0 * $0 }),
///     .init(name: "random", x: alphas, y: alphas.map { 0.1 + 0.5 * $0 * $0 }),
///   ])
/// try chart.write(to: URL(fileURLWithPath: "landscape-1d.svg"))
/// ```
public struct LineChart: Chart {
  /// One named line.
  public struct Series: Sendable, Equatable {
    /// The legend entry.
    public var name: String
    /// The x coordinates.
    public var x: [Double]
    /// The y coordinates, as many as `x`.
    public var y: [Double]

    /// A series of points `(x[i], y[i])`.
    ///
    /// ```swift
    /// LineChart.Series(name: "random", x: [-1, 0, 1], y: [1.2, 1.0, 1.3])
    /// ```
    ///
    /// - Precondition: `x.count == y.count`.
    public init(name: String, x: [Double], y: [Double]) {
      precondition(
        x.count == y.count, "series \(name): \(x.count) x values but \(y.count) y values")
      self.name = name
      self.x = x
      self.y = y
    }
  }

  /// When points get a marker symbol.
  ///
  /// ```swift
  /// LineChart(series: series, markers: .never)
  /// ```
  public enum MarkerMode: Sendable, Equatable {
    /// Markers when every series has at most 40 points.
    case automatic
    /// Always draw markers.
    case always
    /// Never draw markers (isolated single points still get one, or they would be invisible).
    case never
  }

  /// The title above the chart; empty for none.
  public var title: String
  /// The x axis label.
  public var xLabel: String
  /// The y axis label.
  public var yLabel: String
  /// The lines, drawn in order, coloured by ``Palette``.
  public var series: [Series]
  /// Linear or logarithmic y axis.
  public var yScale: AxisScale
  /// When to draw marker symbols (a different shape per series).
  public var markers: MarkerMode
  /// Dashed vertical reference lines, such as `Marker(value: 0, label: "trained")`.
  public var verticalMarkers: [Marker]
  /// The width in pixels.
  public var width: Double
  /// The height in pixels.
  public var height: Double

  /// A line chart.
  ///
  /// ```swift
  /// let chart = LineChart(title: "Loss", xLabel: "α", yLabel: "Loss", series: series, yScale: .logarithmic)
  /// ```
  public init(
    title: String = "", xLabel: String = "", yLabel: String = "", series: [Series],
    yScale: AxisScale = .linear, markers: MarkerMode = .automatic, verticalMarkers: [Marker] = [],
    width: Double = 720, height: Double = 440
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.yScale = yScale
    self.markers = markers
    self.verticalMarkers = verticalMarkers
    self.width = width
    self.height = height
  }

  /// The chart as a standalone SVG document; without any plottable point, an empty frame that
  /// says "No data to plot".
  ///
  /// ```swift
  /// let svg = chart.svg()
  /// ```
  public func svg() -> String {
    let xAxis = Axis.fitting(
      series.flatMap(\.x) + verticalMarkers.map(\.value), scale: .linear, extendsToTicks: false)
    let yAxis = Axis.fitting(series.flatMap(\.y), scale: yScale)
    let showsMarkers: Bool
    switch markers {
    case .automatic: showsMarkers = series.allSatisfy { $0.x.count <= 40 }
    case .always: showsMarkers = true
    case .never: showsMarkers = false
    }
    let legend = series.enumerated().map { index, series in
      LegendItem(
        name: series.name, color: Palette.color(index).hex,
        shape: showsMarkers ? MarkerShape.forSeries(index) : nil)
    }
    let frame = CartesianFrame(
      width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
      xAxis: xAxis, yAxis: yAxis, legend: series.count > 1 ? legend : [])
    var svg = SVGWriter(width: width, height: height, title: title.isEmpty ? "Line chart" : title)
    frame.drawGrid(&svg)
    frame.drawMarkers(verticalMarkers, color: Theme.mutedText, &svg)

    var plotted = 0
    for (index, series) in series.enumerated() {
      let color = Palette.color(index).hex
      let points = zip(series.x, series.y).map { x, y in
        xAxis.accepts(x) && yAxis.accepts(y) ? SVGPoint(x: frame.x(x), y: frame.y(y)) : nil
      }
      let runs = contiguousRuns(points)
      guard !runs.isEmpty else { continue }
      plotted += 1
      svg.open("g", [("class", "series")])
      svg.element("title", [], text: series.name)
      for run in runs where run.count > 1 {
        svg.polyline(run, stroke: color, width: Theme.lineWidth)
      }
      for run in runs where showsMarkers || run.count == 1 {
        for point in run { MarkerShape.forSeries(index).draw(&svg, at: point, color: color) }
      }
      svg.close()
    }
    frame.drawFurniture(&svg)
    if plotted == 0 { frame.drawMessage("No data to plot", &svg) }
    return svg.document()
  }
}
