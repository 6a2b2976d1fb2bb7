// Drawing of heat maps: cells grouped into one path per colour (compact, and
// `shape-rendering="crispEdges"` keeps hairline seams out), contour lines with inline labels,
// the colour bar and the marked point.

import Foundation

struct HeatMapRenderer {
  let map: HeatMap
  /// The colour axis (the colour bar's scale) over the finite values.
  let colorAxis: Axis
  /// Smallest usable value: non-positive values take its colour on a log scale.
  let smallest: Double

  private static let barWidth = 14.0
  private static let barGap = 16.0

  init(map: HeatMap) {
    self.map = map
    let usable = map.z.flatMap { $0 }.filter {
      $0.isFinite && (map.colorScale == .linear || $0 > 0)
    }
    smallest = usable.min() ?? 1
    colorAxis = Axis.fitting(usable, scale: map.colorScale, extendsToTicks: false, targetTicks: 6)
  }

  /// Cell boundaries: halfway between neighbours, half a step beyond the ends (±0.5 for one).
  static func edges(_ coordinates: [Double]) -> [Double] {
    guard coordinates.count > 1 else {
      return coordinates.isEmpty ? [0, 1] : [coordinates[0] - 0.5, coordinates[0] + 0.5]
    }
    let middles = zip(coordinates, coordinates.dropFirst()).map { ($0 + $1) / 2 }
    let first = coordinates[0] - (middles[0] - coordinates[0])
    let last =
      coordinates[coordinates.count - 1]
      + (coordinates[coordinates.count - 1] - middles[middles.count - 1])
    return [first] + middles + [last]
  }

  /// The colour fraction of a value, or nil for a missing one.
  private func fraction(_ value: Double) -> Double? {
    guard value.isFinite else { return nil }
    let usable = map.colorScale == .logarithmic && value <= 0 ? smallest : value
    return min(max(colorAxis.fraction(usable), 0), 1)
  }

  func render() -> String {
    let xEdges = Self.edges(map.x)
    let yEdges = Self.edges(map.y)
    let xAxis = Axis(
      scale: .linear,
      ticks: NiceNumbers.linear(
        from: xEdges[0], to: xEdges[xEdges.count - 1], extendsToTicks: false))
    let yAxis = Axis(
      scale: .linear,
      ticks: NiceNumbers.linear(
        from: yEdges[0], to: yEdges[yEdges.count - 1], extendsToTicks: false))
    let tickWidth =
      colorAxis.ticks.labels.map { TextMetrics.width($0, size: Theme.tickSize) }.max() ?? 0
    let reserve =
      Self.barGap + Self.barWidth + Theme.tickLength + 4 + tickWidth
      + (map.colorLabel.isEmpty ? 0 : Theme.labelSize + 12)
    let frame = CartesianFrame(
      width: map.width, height: map.height, title: map.title, xLabel: map.xLabel,
      yLabel: map.yLabel,
      xAxis: xAxis, yAxis: yAxis, rightReserve: reserve)
    var svg = SVGWriter(
      width: map.width, height: map.height, title: map.title.isEmpty ? "Heat map" : map.title)
    let hasData = map.z.contains { $0.contains { fraction($0) != nil } }
    if hasData {
      drawCells(frame, xEdges, yEdges, &svg)
      svg.rect(
        x: frame.plot.x, y: frame.plot.y, width: frame.plot.width, height: frame.plot.height,
        fill: "none",
        extra: [("stroke", Theme.axis), ("stroke-width", "1")])
      drawContours(frame, &svg)
      drawMarkedPoint(frame, &svg)
      drawColorBar(frame, &svg)
    }
    frame.drawFurniture(&svg)
    if !hasData { frame.drawMessage("No data to plot", &svg) }
    return svg.document()
  }

  /// One `<path>` per colour, each cell a rectangle; runs of equal colour along a row merge.
  private func drawCells(
    _ frame: CartesianFrame, _ xEdges: [Double], _ yEdges: [Double], _ svg: inout SVGWriter
  ) {
    let levels = map.colormap.colors.count
    var paths = [String](repeating: "", count: levels + 1)  // the last one for missing values
    let px = xEdges.map { frame.x($0) }
    let py = yEdges.map { frame.y($0) }
    for j in map.y.indices {
      var i = 0
      while i < map.x.count {
        let bucket =
          fraction(map.z[i][j]).map { Int(($0 * Double(levels - 1)).rounded()) } ?? levels
        var end = i + 1
        while end < map.x.count,
          (fraction(map.z[end][j]).map { Int(($0 * Double(levels - 1)).rounded()) } ?? levels)
            == bucket
        {
          end += 1
        }
        let (x0, x1, y0, y1) = (px[i], px[end], py[j + 1], py[j])  // y grows upward
        paths[bucket] +=
          "M\(svgNumber(x0)) \(svgNumber(y0))h\(svgNumber(x1 - x0))v\(svgNumber(y1 - y0))h\(svgNumber(x0 - x1))z"
        i = end
      }
    }
    svg.open("g", [("class", "cells"), ("shape-rendering", "crispEdges")])
    for (bucket, path) in paths.enumerated() where !path.isEmpty {
      let color = bucket == levels ? Theme.missing : map.colormap.colors[bucket].hex
      svg.element("path", [("d", path), ("fill", color)])
    }
    svg.close()
  }

  /// Contour lines, computed on log10 values for a logarithmic colour scale, each level with a
  /// label on its longest line when that line is long enough to carry one.
  private func drawContours(_ frame: CartesianFrame, _ svg: inout SVGWriter) {
    let logarithmic = map.colorScale == .logarithmic
    let grid =
      logarithmic ? map.z.map { $0.map { $0.isFinite ? log10(max($0, smallest)) : $0 } } : map.z
    let levels = map.contourLevels()
    let labels =
      logarithmic
      ? levels.map { NumberFormat.compact($0, significantDigits: 3) }
      : NumberFormat.tickLabels(levels, step: Self.labelStep(levels))
    for (level, label) in zip(levels, labels) {
      let lines = MarchingSquares.contours(
        x: map.x, y: map.y, z: grid, level: logarithmic ? log10(level) : level
      )
      .map { $0.map { SVGPoint(x: frame.x($0.x), y: frame.y($0.y)) } }
      guard !lines.isEmpty else { continue }
      let background = map.colormap.color(at: colorAxis.fraction(level))
      let ink = background.luminance > 0.4 ? "#1f2328" : "#ffffff"
      svg.open(
        "g", [("class", "contour"), ("stroke", ink), ("stroke-opacity", "0.75"), ("fill", "none")])
      svg.element("title", [], text: "\(map.colorLabel.isEmpty ? "z" : map.colorLabel) = \(label)")
      for line in lines {
        svg.element("polyline", [("points", SVGWriter.pointList(line)), ("stroke-width", "1")])
      }
      svg.close()
      // The label sits on the middle of the longest line, with a halo of the level's colour.
      let longest = lines.max { Self.length($0) < Self.length($1) }!
      let textWidth = TextMetrics.width(label, size: Theme.smallSize)
      guard Self.length(longest) > 4 * textWidth + 40 else { continue }
      let at = longest[longest.count / 2]
      let attributes = [
        ("x", svgNumber(at.x)), ("y", svgNumber(at.y)), ("dy", TextBaseline.middle.dy),
        ("text-anchor", "middle"),
        ("font-size", svgNumber(Theme.smallSize)),
      ]
      svg.element(
        "text",
        attributes + [
          ("fill", background.hex), ("stroke", background.hex), ("stroke-width", "4"),
          ("stroke-linejoin", "round"),
        ], text: label)
      svg.element("text", attributes + [("fill", ink)], text: label)
    }
  }

  /// The spacing that label formatting should assume for these levels.
  private static func labelStep(_ levels: [Double]) -> Double {
    let gaps = zip(levels, levels.dropFirst()).map { abs($1 - $0) }.filter { $0 > 0 }
    return gaps.min() ?? levels.first.map { abs($0) > 0 ? abs($0) : 1 } ?? 1
  }

  private static func length(_ line: [SVGPoint]) -> Double {
    zip(line, line.dropFirst()).reduce(0) { sum, pair in
      sum
        + ((pair.1.x - pair.0.x) * (pair.1.x - pair.0.x) + (pair.1.y - pair.0.y)
          * (pair.1.y - pair.0.y))
        .squareRoot()
    }
  }

  private func drawMarkedPoint(_ frame: CartesianFrame, _ svg: inout SVGWriter) {
    guard let point = map.markedPoint, point.x.isFinite, point.y.isFinite else { return }
    let (cx, cy) = (frame.x(point.x), frame.y(point.y))
    svg.element(
      "circle",
      [
        ("cx", svgNumber(cx)), ("cy", svgNumber(cy)), ("r", "4.5"), ("fill", "#ffffff"),
        ("stroke", "#1f2328"),
        ("stroke-width", "1.5"),
      ])
    guard !point.label.isEmpty else { return }
    let attributes = [
      ("x", svgNumber(cx + 8)), ("y", svgNumber(cy - 8)),
      ("font-size", svgNumber(Theme.smallSize + 0.5)),
      ("font-weight", "600"),
    ]
    svg.element(
      "text",
      attributes + [
        ("fill", "#ffffff"), ("stroke", "#ffffff"), ("stroke-width", "3"),
        ("stroke-linejoin", "round"),
      ],
      text: point.label)
    svg.element("text", attributes + [("fill", "#1f2328")], text: point.label)
  }

  /// The colour bar right of the plot: stacked slices, a frame, ticks, contour levels, label.
  private func drawColorBar(_ frame: CartesianFrame, _ svg: inout SVGWriter) {
    let left = frame.plot.maxX + Self.barGap
    let scale = colorAxis.mapped(from: frame.plot.maxY, to: frame.plot.y)
    let slices = 64
    let sliceHeight = frame.plot.height / Double(slices)
    svg.open("g", [("class", "colorbar"), ("shape-rendering", "crispEdges")])
    for k in 0..<slices {
      let color = map.colormap.color(at: (Double(k) + 0.5) / Double(slices)).hex
      svg.rect(
        x: left, y: frame.plot.maxY - Double(k + 1) * sliceHeight, width: Self.barWidth,
        height: sliceHeight + 0.5, fill: color)
    }
    svg.close()
    for level in map.contourLevels() {
      let ink =
        map.colormap.color(at: colorAxis.fraction(level)).luminance > 0.4 ? "#1f2328" : "#ffffff"
      svg.line(
        left, scale(level), left + Self.barWidth, scale(level), stroke: ink,
        extra: [("stroke-opacity", "0.75")])
    }
    svg.rect(
      x: left, y: frame.plot.y, width: Self.barWidth, height: frame.plot.height, fill: "none",
      extra: [("stroke", Theme.axis), ("stroke-width", "1")])
    let tickStart = left + Self.barWidth
    svg.open("g", [("stroke", Theme.axis), ("stroke-width", "1")])
    for value in colorAxis.ticks.values {
      svg.element(
        "line",
        CartesianFrame.lineAttributes(
          tickStart, scale(value), tickStart + Theme.tickLength, scale(value)))
    }
    svg.close()
    svg.open("g", [("font-size", svgNumber(Theme.tickSize)), ("fill", Theme.mutedText)])
    for (value, label) in zip(colorAxis.ticks.values, colorAxis.ticks.labels) {
      svg.element(
        "text",
        [
          ("x", svgNumber(tickStart + Theme.tickLength + 4)), ("y", svgNumber(scale(value))),
          ("dy", TextBaseline.middle.dy),
        ],
        text: label)
    }
    svg.close()
    if !map.colorLabel.isEmpty {
      let x = map.width - Theme.outerPadding - Theme.labelSize * 0.25
      svg.text(
        map.colorLabel, x: x, y: frame.plot.midY, size: Theme.labelSize, anchor: "middle",
        rotate: -90)
    }
  }
}
