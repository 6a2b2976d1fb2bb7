// A 2-D loss landscape: loss on a grid of (α, β) perturbations along two directions, shown as
// a heat map in a perceptual colormap with a colour bar and contour lines at nice levels.

/// A heat map of gridded values with contour lines and a colour bar.
///
/// The grid is `z[i][j]`, the value at `(x[i], y[j])`: the first index runs along x. Each value
/// colours the cell around its grid point (cell edges halfway between neighbouring
/// coordinates). Non-finite values are drawn grey and left out of the colour range and the
/// contours; on a logarithmic colour scale, values that are not positive take the colour of
/// the smallest positive one.
///
/// ```swift
/// let alphas = (0...20).map { -1 + Double($0) * 0.1 }
/// let loss = alphas.map { a in alphas.map { b in 0.2 + 3 * a * a + 0.5 * b * b } }
/// let chart = HeatMap(
///   x: alphas, y: alphas, z: loss, title: "Loss landscape", xLabel: "α (top eigenvector)",
///   yLabel: "β (second eigenvector)", colorLabel: "Loss",
///   markedPoint: .init(x: 0, y: 0, label: "trained"))
/// try chart.write(to: URL(fileURLWithPath: "landscape-2d.svg"))
/// ```
public struct HeatMap: Chart {
  /// Which contour lines to draw.
  ///
  /// ```swift
  /// HeatMap(x: xs, y: ys, z: loss, contours: .values([0.5, 1, 2]))
  /// ```
  public enum ContourLevels: Sendable, Equatable {
    /// No contour lines.
    case none
    /// About `count` levels at nice values inside the data range (decades or 1-2-5 values
    /// on a logarithmic colour scale).
    case automatic(count: Int)
    /// Exactly these levels.
    case values([Double])
  }

  /// A labelled point on the map, such as the trained weights at `(0, 0)`.
  public struct MarkedPoint: Sendable, Equatable {
    /// The x coordinate.
    public var x: Double
    /// The y coordinate.
    public var y: Double
    /// The text beside the point.
    public var label: String

    /// A marked point.
    ///
    /// ```swift
    /// HeatMap.MarkedPoint(x: 0, y: 0, label: "trained")
    /// ```
    public init(x: Double, y: Double, label: String) {
      self.x = x
      self.y = y
      self.label = label
    }
  }

  /// The x coordinates of the grid, strictly increasing.
  public var x: [Double]
  /// The y coordinates of the grid, strictly increasing.
  public var y: [Double]
  /// The values: `z[i][j]` at `(x[i], y[j])`.
  public var z: [[Double]]
  /// The title; empty for none.
  public var title: String
  /// The x axis label.
  public var xLabel: String
  /// The y axis label.
  public var yLabel: String
  /// The label of the colour bar.
  public var colorLabel: String
  /// Linear or logarithmic mapping of values to colours.
  public var colorScale: AxisScale
  /// The colour scale (default viridis).
  public var colormap: Colormap
  /// The contour lines.
  public var contours: ContourLevels
  /// An optional labelled point.
  public var markedPoint: MarkedPoint?
  /// The width in pixels.
  public var width: Double
  /// The height in pixels.
  public var height: Double

  /// A heat map.
  ///
  /// ```swift
  /// let chart = HeatMap(x: [0, 1, 2], y: [0, 1], z: [[1, 2], [2, 3], [3, 4]], colorLabel: "Loss")
  /// ```
  ///
  /// - Precondition: `x` and `y` are finite and strictly increasing, `z.count == x.count` and
  ///   `z[i].count == y.count` for every `i`.
  public init(
    x: [Double], y: [Double], z: [[Double]], title: String = "", xLabel: String = "",
    yLabel: String = "", colorLabel: String = "", colorScale: AxisScale = .linear,
    colormap: Colormap = .viridis, contours: ContourLevels = .automatic(count: 8),
    markedPoint: MarkedPoint? = nil, width: Double = 640, height: Double = 540
  ) {
    for (name, coordinates) in [("x", x), ("y", y)] {
      precondition(
        coordinates.allSatisfy(\.isFinite)
          && zip(coordinates, coordinates.dropFirst()).allSatisfy { $0 < $1 },
        "\(name) coordinates must be finite and strictly increasing")
    }
    precondition(z.count == x.count, "z has \(z.count) rows for \(x.count) x values")
    precondition(z.allSatisfy { $0.count == y.count }, "every row of z needs \(y.count) values")
    self.x = x
    self.y = y
    self.z = z
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.colorLabel = colorLabel
    self.colorScale = colorScale
    self.colormap = colormap
    self.contours = contours
    self.markedPoint = markedPoint
    self.width = width
    self.height = height
  }

  /// The chart as a standalone SVG document; without any finite value (or an empty grid), an
  /// empty frame that says "No data to plot".
  ///
  /// ```swift
  /// let svg = chart.svg()
  /// ```
  public func svg() -> String {
    HeatMapRenderer(map: self).render()
  }

  /// The contour levels to draw, increasing, strictly inside the range of the values.
  ///
  /// ```swift
  /// HeatMap(x: [0, 1], y: [0, 1], z: [[0, 1], [1, 2]], contours: .automatic(count: 4))
  ///   .contourLevels()  // [0.5, 1, 1.5]
  /// ```
  public func contourLevels() -> [Double] {
    let finite = z.flatMap { $0 }.filter { $0.isFinite && (colorScale == .linear || $0 > 0) }
    guard let low = finite.min(), let high = finite.max(), high > low else { return [] }
    switch contours {
    case .none:
      return []
    case .values(let levels):
      return levels.filter { $0.isFinite && $0 > low && $0 < high }.sorted()
    case .automatic(let count):
      let ticks =
        colorScale == .linear
        ? NiceNumbers.linear(
          from: low, to: high, targetCount: max(2, count) + 1, extendsToTicks: false)
        : NiceNumbers.logarithmic(
          from: low, to: high, maxCount: max(2, count) + 1, extendsToTicks: false)
      var levels = ticks.values
      if colorScale == .logarithmic && levels.count < 3 { levels = (levels + ticks.minor).sorted() }
      return levels.filter { $0 > low && $0 < high }
    }
  }
}
