// The frame around an x-y plot: margins sized to the tick labels, title, legend, grid lines,
// axes with ticks and labels, and vertical markers. Line, density and heat-map charts draw
// their data inside it.

/// A legend entry: a coloured swatch (a line, optionally with a marker) and a name.
struct LegendItem {
  var name: String
  var color: String
  var shape: MarkerShape?
}

/// Shapes that tell series apart without colour.
enum MarkerShape: CaseIterable {
  case circle, square, triangle, diamond

  static func forSeries(_ index: Int) -> MarkerShape { allCases[index % allCases.count] }

  func draw(_ svg: inout SVGWriter, at p: SVGPoint, color: String, size: Double = 3.5) {
    let fill = [("fill", color), ("stroke", "#ffffff"), ("stroke-width", "0.75")]
    switch self {
    case .circle:
      svg.element(
        "circle", [("cx", svgNumber(p.x)), ("cy", svgNumber(p.y)), ("r", svgNumber(size))] + fill)
    case .square:
      let s = size * 0.9
      svg.rect(
        x: p.x - s, y: p.y - s, width: 2 * s, height: 2 * s, fill: color,
        extra: Array(fill.dropFirst()))
    case .triangle, .diamond:
      let r = size * 1.25
      let points =
        self == .triangle
        ? [
          SVGPoint(x: p.x, y: p.y - r), SVGPoint(x: p.x + r, y: p.y + r * 0.75),
          SVGPoint(x: p.x - r, y: p.y + r * 0.75),
        ]
        : [
          SVGPoint(x: p.x, y: p.y - r), SVGPoint(x: p.x + r, y: p.y), SVGPoint(x: p.x, y: p.y + r),
          SVGPoint(x: p.x - r, y: p.y),
        ]
      svg.element("polygon", [("points", SVGWriter.pointList(points))] + fill)
    }
  }
}

struct CartesianFrame {
  let width: Double
  let height: Double
  let title: String
  let xLabel: String
  let yLabel: String
  let xAxis: Axis
  let yAxis: Axis
  let legend: [LegendItem]
  /// The plotting area, inside the axes.
  let plot: Rect
  /// Legend entries with their positions.
  private var legendPlacements: [(item: LegendItem, x: Double, y: Double)] = []

  private static let legendRowHeight = 18.0
  private static let swatchWidth = 22.0

  /// Lays out the frame; `rightReserve` keeps room to the right of the plot (a colour bar).
  init(
    width: Double, height: Double, title: String, xLabel: String, yLabel: String,
    xAxis: Axis, yAxis: Axis, legend: [LegendItem] = [], rightReserve: Double = 0
  ) {
    (self.width, self.height, self.title) = (width, height, title)
    (self.xLabel, self.yLabel, self.xAxis, self.yAxis, self.legend) = (
      xLabel, yLabel, xAxis, yAxis, legend
    )
    let yTickWidth =
      yAxis.ticks.labels.map { TextMetrics.width($0, size: Theme.tickSize) }.max() ?? 0
    let left =
      Theme.outerPadding + (yLabel.isEmpty ? 0 : Theme.labelSize + 10) + yTickWidth
      + Theme.tickLength + 5
    let lastXLabel =
      xAxis.ticks.labels.last.map { TextMetrics.width($0, size: Theme.tickSize) } ?? 0
    let right = max(Theme.outerPadding + 4, lastXLabel / 2 + 6) + rightReserve
    let bottom =
      Theme.outerPadding + (xLabel.isEmpty ? 0 : Theme.labelSize + 8) + Theme.tickSize
      + Theme.tickLength + 6
    var top = Theme.outerPadding + (title.isEmpty ? 0 : Theme.titleSize + 10)

    // The legend sits in rows above the plot, where it never hides data.
    var placements: [(LegendItem, Double, Double)] = []
    if legend.count > 1 || (legend.count == 1 && !legend[0].name.isEmpty) {
      let available = width - left - right
      var x = 0.0
      var row = 0
      for item in legend {
        let itemWidth =
          Self.swatchWidth + 6 + TextMetrics.width(item.name, size: Theme.legendSize) + 18
        if x > 0 && x + itemWidth > available { (x, row) = (0, row + 1) }
        placements.append(
          (item, left + x, top + Double(row) * Self.legendRowHeight + Self.legendRowHeight / 2))
        x += itemWidth
      }
      top += Double(row + 1) * Self.legendRowHeight + 6
    }
    self.legendPlacements = placements.map { (item: $0.0, x: $0.1, y: $0.2) }
    plot = Rect(
      x: left, y: top + 4, width: max(width - left - right, 10),
      height: max(height - top - 4 - bottom, 10))
  }

  var x: ScreenScale { xAxis.mapped(from: plot.x, to: plot.maxX) }
  var y: ScreenScale { yAxis.mapped(from: plot.maxY, to: plot.y) }

  /// Grid lines at the major ticks and the axis lines, drawn under the data (so a constant
  /// series on the bottom of the axis stays visible).
  func drawGrid(_ svg: inout SVGWriter) {
    svg.open("g", [("stroke", Theme.grid), ("stroke-width", "1")])
    for value in yAxis.ticks.values where yAxis.accepts(value) {
      svg.element("line", Self.lineAttributes(plot.x, y(value), plot.maxX, y(value)))
    }
    for value in xAxis.ticks.values where xAxis.accepts(value) {
      svg.element("line", Self.lineAttributes(x(value), plot.y, x(value), plot.maxY))
    }
    svg.close()
    svg.open("g", [("stroke", Theme.axis), ("stroke-width", "1")])
    svg.element("line", Self.lineAttributes(plot.x, plot.maxY, plot.maxX, plot.maxY))
    svg.element("line", Self.lineAttributes(plot.x, plot.y, plot.x, plot.maxY))
    svg.close()
  }

  /// Title, axes, ticks, tick labels, axis labels and legend, drawn over the data.
  func drawFurniture(_ svg: inout SVGWriter) {
    if !title.isEmpty {
      svg.text(
        title, x: plot.midX, y: Theme.outerPadding + Theme.titleSize * 0.85, size: Theme.titleSize,
        anchor: "middle", weight: "600")
    }
    let tick = Theme.tickLength
    svg.open("g", [("stroke", Theme.axis), ("stroke-width", "1")])
    for value in xAxis.ticks.values where xAxis.accepts(value) {
      svg.element("line", Self.lineAttributes(x(value), plot.maxY, x(value), plot.maxY + tick))
    }
    for value in xAxis.ticks.minor where xAxis.accepts(value) {
      svg.element(
        "line", Self.lineAttributes(x(value), plot.maxY, x(value), plot.maxY + tick * 0.6))
    }
    for value in yAxis.ticks.values where yAxis.accepts(value) {
      svg.element("line", Self.lineAttributes(plot.x - tick, y(value), plot.x, y(value)))
    }
    for value in yAxis.ticks.minor where yAxis.accepts(value) {
      svg.element("line", Self.lineAttributes(plot.x - tick * 0.6, y(value), plot.x, y(value)))
    }
    svg.close()

    svg.open("g", [("font-size", svgNumber(Theme.tickSize)), ("fill", Theme.mutedText)])
    for (value, label) in zip(xAxis.ticks.values, xAxis.ticks.labels) where xAxis.accepts(value) {
      svg.element(
        "text",
        [
          ("x", svgNumber(x(value))), ("y", svgNumber(plot.maxY + tick + 3)),
          ("dy", TextBaseline.hanging.dy),
          ("text-anchor", "middle"),
        ], text: label)
    }
    for (value, label) in zip(yAxis.ticks.values, yAxis.ticks.labels) where yAxis.accepts(value) {
      svg.element(
        "text",
        [
          ("x", svgNumber(plot.x - tick - 4)), ("y", svgNumber(y(value))),
          ("dy", TextBaseline.middle.dy),
          ("text-anchor", "end"),
        ], text: label)
    }
    svg.close()

    if !xLabel.isEmpty {
      svg.text(
        xLabel, x: plot.midX, y: height - Theme.outerPadding, size: Theme.labelSize,
        anchor: "middle")
    }
    if !yLabel.isEmpty {
      let labelX = Theme.outerPadding + Theme.labelSize * 0.8
      svg.text(
        yLabel, x: labelX, y: plot.midY, size: Theme.labelSize, anchor: "middle", rotate: -90)
    }
    drawLegend(&svg)
  }

  private func drawLegend(_ svg: inout SVGWriter) {
    guard !legendPlacements.isEmpty else { return }
    svg.open("g", [("font-size", svgNumber(Theme.legendSize)), ("fill", Theme.text)])
    for (item, x, y) in legendPlacements {
      svg.line(x, y, x + Self.swatchWidth, y, stroke: item.color, width: Theme.lineWidth + 0.5)
      item.shape?.draw(&svg, at: SVGPoint(x: x + Self.swatchWidth / 2, y: y), color: item.color)
      svg.element(
        "text",
        [
          ("x", svgNumber(x + Self.swatchWidth + 6)), ("y", svgNumber(y)),
          ("dy", TextBaseline.middle.dy),
        ],
        text: item.name)
    }
    svg.close()
  }

  /// Dashed vertical lines at the markers' x values with rotated labels at the top of the plot,
  /// nudged apart so that close values keep readable labels.
  func drawMarkers(_ markers: [Marker], color: String, _ svg: inout SVGWriter) {
    let visible = markers.filter { xAxis.accepts($0.value) }
      .sorted { $0.value < $1.value }
    guard !visible.isEmpty else { return }
    let size = Theme.smallSize + 0.5
    svg.open("g", [("stroke", color), ("stroke-width", "1.25"), ("stroke-dasharray", "5 3")])
    for marker in visible {
      svg.element("line", Self.lineAttributes(x(marker.value), plot.y, x(marker.value), plot.maxY))
    }
    svg.close()
    // Each label takes a strip of about one font size beside its line: the right side if that
    // strip is clear of other lines and labels, else the left side, else right of the last label.
    let lines = visible.map { x($0.value) }
    var taken: [ClosedRange<Double>] = []
    func isClear(_ strip: ClosedRange<Double>, own: Double) -> Bool {
      strip.lowerBound >= plot.x && strip.upperBound <= plot.maxX
        && !lines.contains { $0 != own && strip.contains($0) }
        && !taken.contains { $0.overlaps(strip) }
    }
    for (marker, lineX) in zip(visible, lines) where !marker.label.isEmpty {
      let right = (lineX + 2)...(lineX + 2 + size)
      let left = (lineX - 3 - size)...(lineX - 3)
      var strip = isClear(right, own: lineX) ? right : left
      if !isClear(strip, own: lineX) {
        // Crowded: the first place right of the line clear of earlier labels and other lines.
        var start = max(lineX + 2, (taken.map(\.upperBound).max() ?? lineX) + 2)
        while let line = lines.first(where: { $0 != lineX && $0 >= start && $0 <= start + size }) {
          start = line + 2
        }
        strip = start...(start + size)
      }
      taken.append(strip)
      let labelX = strip.lowerBound + size * 0.75  // the baseline of text rotated by -90°
      let position = [("x", svgNumber(labelX)), ("y", svgNumber(plot.y + 4))]
      let common = [
        ("font-size", svgNumber(size)), ("text-anchor", "end"),
        ("transform", "rotate(-90 \(svgNumber(labelX)) \(svgNumber(plot.y + 4)))"),
      ]
      // A white halo under the label keeps it readable where it crosses a curve.
      svg.element(
        "text",
        position + common + [
          ("fill", "#ffffff"), ("stroke", "#ffffff"), ("stroke-width", "3"),
          ("stroke-linejoin", "round"),
        ], text: marker.label)
      svg.element("text", position + common + [("fill", color)], text: marker.label)
    }
  }

  /// A centred message in the plot area, for a chart without data.
  func drawMessage(_ message: String, _ svg: inout SVGWriter) {
    svg.text(
      message, x: plot.midX, y: plot.midY, size: Theme.labelSize, anchor: "middle",
      fill: Theme.mutedText)
  }

  static func lineAttributes(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> [(
    String, String
  )] {
    [("x1", svgNumber(x1)), ("y1", svgNumber(y1)), ("x2", svgNumber(x2)), ("y2", svgNumber(y2))]
  }
}
