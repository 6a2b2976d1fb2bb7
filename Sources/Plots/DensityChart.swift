// The eigenvalue spectral density (ESD) on a log scale, as PyHessian's `get_esd_plot` draws
// it with `plt.semilogy`: a bulk near zero and a few outliers, with the top eigenvalues marked.

/// A spectral density plot: density against eigenvalue with a logarithmic density axis,
/// the area under the curve shaded, and dashed lines at marked eigenvalues.
///
/// A density is often exactly zero far from the spectrum, which a log axis cannot show: values
/// below `floorRatio × max(density)` (including zeros and negatives) are raised to that floor,
/// so the curve stays continuous and the axis spans at most `-log10(floorRatio)` decades.
/// Non-finite values are skipped.
///
/// ```swift
/// let chart = DensityChart(
///   grid: grid, density: density, markers: Marker.eigenvalues([147.69, 125.35]))
/// try chart.write(to: URL(fileURLWithPath: "density.svg"))
/// ```
public struct DensityChart: Chart {
  /// The eigenvalues at which the density is given, increasing.
  public var grid: [Double]
  /// The density at each grid point, as many as `grid`.
  public var density: [Double]
  /// Marked eigenvalues (see ``Marker/eigenvalues(_:significantDigits:)``).
  public var markers: [Marker]
  /// The title; empty for none.
  public var title: String
  /// The x axis label.
  public var xLabel: String
  /// The y axis label.
  public var yLabel: String
  /// The floor of the plotted density relative to its maximum (default `1e-10`).
  public var floorRatio: Double
  /// The width in pixels.
  public var width: Double
  /// The height in pixels.
  public var height: Double

  /// A spectral density chart.
  ///
  /// ```swift
  /// let chart = DensityChart(grid: [-1, 0, 1, 2], density: [0, 0.8, 0.1, 0], markers: [])
  /// ```
  ///
  /// - Precondition: `grid.count == density.count`, `0 < floorRatio < 1`.
  public init(
    grid: [Double], density: [Double], markers: [Marker] = [],
    title: String = "Eigenvalue spectral density", xLabel: String = "Eigenvalue",
    yLabel: String = "Density (log scale)", floorRatio: Double = 1e-10,
    width: Double = 720, height: Double = 440
  ) {
    precondition(
      grid.count == density.count, "\(grid.count) grid points but \(density.count) densities")
    precondition(
      floorRatio > 0 && floorRatio < 1, "floorRatio must be in (0, 1), got \(floorRatio)")
    self.grid = grid
    self.density = density
    self.markers = markers
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.floorRatio = floorRatio
    self.width = width
    self.height = height
  }

  /// The plotted densities: non-finite values kept as `nil`, the rest raised to the floor.
  /// `nil` throughout if there is no positive finite density.
  func flooredDensity() -> [Double?] {
    let peak = density.filter(\.isFinite).max() ?? 0
    guard peak > 0 else { return density.map { _ in nil } }
    let floor = peak * floorRatio
    return density.map { $0.isFinite ? max($0, floor) : nil }
  }

  /// The chart as a standalone SVG document; without a positive finite density, an empty
  /// frame that says so.
  ///
  /// ```swift
  /// let svg = DensityChart(grid: grid, density: density).svg()
  /// ```
  public func svg() -> String {
    let values = flooredDensity()
    let xAxis = Axis.fitting(grid + markers.map(\.value), scale: .linear, extendsToTicks: false)
    let yAxis = Axis.fitting(values.compactMap { $0 }, scale: .logarithmic)
    let frame = CartesianFrame(
      width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
      xAxis: xAxis, yAxis: yAxis)
    var svg = SVGWriter(
      width: width, height: height, title: title.isEmpty ? "Spectral density" : title)
    frame.drawGrid(&svg)

    let color = Palette.color(0).hex
    let points: [SVGPoint?] = zip(grid, values).map { x, y in
      guard let y, x.isFinite else { return nil }
      return SVGPoint(x: frame.x(x), y: frame.y(y))
    }
    let runs = contiguousRuns(points)
    if !runs.isEmpty {
      svg.open("g", [("class", "series")])
      svg.element("title", [], text: "density")
      for run in runs {
        // The shaded area down to the axis, then the curve over it.
        guard let first = run.first, let last = run.last else { continue }
        let area =
          run + [SVGPoint(x: last.x, y: frame.plot.maxY), SVGPoint(x: first.x, y: frame.plot.maxY)]
        svg.element(
          "polygon",
          [("points", SVGWriter.pointList(area)), ("fill", color), ("fill-opacity", "0.15")])
      }
      for run in runs {
        if run.count > 1 {
          svg.polyline(run, stroke: color, width: Theme.lineWidth - 0.25)
        } else {
          MarkerShape.circle.draw(&svg, at: run[0], color: color)
        }
      }
      svg.close()
    }
    frame.drawMarkers(markers, color: Palette.color(1).hex, &svg)
    frame.drawFurniture(&svg)
    if runs.isEmpty { frame.drawMessage("No positive density to plot", &svg) }
    return svg.document()
  }
}
