// Layout and drawing of bar charts. Both orientations share one description: a category
// ("band") direction and a value direction. Horizontal bars: bands run down, values right.
// Vertical bars: bands run right, values up.

import Foundation

struct BarRenderer {
  let chart: BarChart
  let horizontal: Bool
  /// Category names as shown, shortened in the middle when too long.
  let names: [String]
  let nameWidth: Double
  /// One value axis per panel.
  let axes: [Axis]

  init(chart: BarChart) {
    self.chart = chart
    horizontal = chart.orientation == .horizontal
    let maxName = horizontal ? min(chart.width * 0.4, 300) : 200
    names = chart.categories.map {
      TextMetrics.truncated($0, maxWidth: maxName, size: Theme.tickSize)
    }
    nameWidth = names.map { TextMetrics.width($0, size: Theme.tickSize) }.max() ?? 0
    axes = chart.panels.map { panel in
      Self.valueAxis(panel.members.flatMap { chart.series[$0].values })
    }
  }

  /// A value axis from zero to the data, 3% wider on each side away from zero, with nice ticks
  /// inside: a loose axis would waste up to a whole tick step (half a panel for -40 next to
  /// 11000).
  static func valueAxis(_ values: [Double]) -> Axis {
    let finite = values.filter(\.isFinite)
    let low = min(finite.min() ?? 0, 0)
    let high = max(finite.max() ?? 0, 0)
    guard high > low else { return Axis.fitting([0, 1], scale: .linear) }
    let margin = (high - low) * 0.03
    let ticks = NiceNumbers.linear(
      from: low < 0 ? low - margin : 0, to: high > 0 ? high + margin : 0, extendsToTicks: false)
    return Axis(scale: .linear, ticks: ticks)
  }

  /// One panel placed on the page.
  struct Placement {
    var axis: Axis
    var members: [Int]
    var title: String
    /// Pixel coordinates of the axis' lower and upper ends along the value direction.
    var valueStart: Double
    var valueEnd: Double
    /// Pixel coordinate where category 0's band starts along the band direction.
    var bandOrigin: Double
    var bandSize: Double
  }

  private var header: Double {
    Theme.outerPadding + (chart.title.isEmpty ? 0 : Theme.titleSize + 10)
      + (chart.hasLegend ? 22 : 0)
  }
  private var panelTitleHeight: Double { chart.layout == .panels ? 22 : 0 }
  private static let bottomAxisDepth = Theme.tickLength + 6 + Theme.tickSize

  func render() -> String {
    let n = Double(chart.categories.count)
    let panels = chart.panels
    let width = chart.width
    var placements: [Placement] = []
    let height: Double
    let left: Double
    let right = Theme.outerPadding

    if horizontal {
      let top = header + panelTitleHeight
      let bottom =
        Theme.outerPadding + Self.bottomAxisDepth
        + (chart.valueLabel.isEmpty ? 0 : Theme.labelSize + 8)
      let groups = chart.layout == .grouped ? Double(chart.series.count) : 1
      var rowHeight = max(chart.categories.count > 30 ? 16 : 22, groups * 8 + 8)
      height = chart.height ?? (top + rowHeight * n + bottom)
      if chart.height != nil { rowHeight = max(1, (height - top - bottom) / n) }
      left = Theme.outerPadding + nameWidth + 10
      // Gaps wide enough that the end tick labels of neighbouring panels never touch.
      let gaps = (0..<max(0, panels.count - 1)).map { p in
        max(
          28, halfWidth(axes[p].ticks.labels.last) + halfWidth(axes[p + 1].ticks.labels.first) + 12)
      }
      let panelWidth = (width - left - right - gaps.reduce(0, +)) / Double(panels.count)
      var x = left
      for (p, panel) in panels.enumerated() {
        let (negative, positive) = valueLabelReserve(panel.members, limit: panelWidth * 0.3)
        placements.append(
          Placement(
            axis: axes[p], members: panel.members, title: panel.title, valueStart: x + negative,
            valueEnd: x + panelWidth - positive, bandOrigin: top, bandSize: rowHeight))
        x += panelWidth + (p < gaps.count ? gaps[p] : 0)
      }
    } else {
      let depth = nameWidth * 0.7071 + Theme.tickSize
      let bottom = Theme.outerPadding + Theme.tickLength + 6 + depth
      let tickWidth =
        axes.flatMap(\.ticks.labels).map { TextMetrics.width($0, size: Theme.tickSize) }.max() ?? 0
      let firstName = names.first.map { TextMetrics.width($0, size: Theme.tickSize) } ?? 0
      left = max(
        Theme.outerPadding + (chart.valueLabel.isEmpty ? 0 : Theme.labelSize + 10) + tickWidth
          + Theme.tickLength + 5,
        Theme.outerPadding + firstName * 0.7071 - 8)
      let gap = 18.0
      let k = Double(panels.count)
      var panelHeight = 200.0
      height =
        chart.height ?? (header + k * (panelTitleHeight + panelHeight) + (k - 1) * gap + bottom)
      if chart.height != nil {
        panelHeight = max(20, (height - header - bottom - (k - 1) * gap) / k - panelTitleHeight)
      }
      let band = (width - left - right) / n
      let reserve = chart.showsValues ? Theme.smallSize + 6 : 0
      var y = header
      for (p, panel) in panels.enumerated() {
        y += panelTitleHeight
        let hasNegative = panel.members.contains { chart.series[$0].values.contains { $0 < 0 } }
        placements.append(
          Placement(
            axis: axes[p], members: panel.members, title: panel.title,
            valueStart: y + panelHeight - (hasNegative ? reserve : 0), valueEnd: y + reserve,
            bandOrigin: left, bandSize: band))
        y += panelHeight + gap
      }
    }

    var svg = SVGWriter(
      width: width, height: height, title: chart.title.isEmpty ? "Bar chart" : chart.title)
    if horizontal {
      for i in stride(from: 1, to: chart.categories.count, by: 2) {  // zebra rows guide the eye
        let y = placements[0].bandOrigin + Double(i) * placements[0].bandSize
        svg.rect(
          x: Theme.outerPadding, y: y, width: width - 2 * Theme.outerPadding,
          height: placements[0].bandSize, fill: "#f4f5f7")
      }
    }
    for placement in placements { drawPanel(placement, &svg) }
    drawCategoryNames(placements, &svg)
    drawHeader(plotLeft: left, plotRight: width - right, &svg)
    if !chart.valueLabel.isEmpty {
      if horizontal {
        svg.text(
          chart.valueLabel, x: (left + width - right) / 2, y: height - Theme.outerPadding,
          size: Theme.labelSize, anchor: "middle")
      } else {
        let middle = (placements[0].valueEnd + placements[placements.count - 1].valueStart) / 2
        svg.text(
          chart.valueLabel, x: Theme.outerPadding + Theme.labelSize * 0.8, y: middle,
          size: Theme.labelSize, anchor: "middle", rotate: -90)
      }
    }
    return svg.document()
  }

  private func halfWidth(_ label: String?) -> Double {
    (label.map { TextMetrics.width($0, size: Theme.tickSize) } ?? 0) / 2
  }

  /// Room beside the bars for their value labels: (negative side, positive side).
  private func valueLabelReserve(_ members: [Int], limit: Double) -> (Double, Double) {
    guard chart.showsValues else { return (0, 0) }
    let values = members.flatMap { chart.series[$0].values }
    func reserve(_ selected: [Double]) -> Double {
      let widest =
        selected.map { TextMetrics.width(valueText($0), size: Theme.smallSize) }.max() ?? 0
      return widest > 0 ? min(widest + 5, limit) : 0
    }
    return (reserve(values.filter { $0 < 0 }), reserve(values.filter { !($0 < 0) }))
  }

  private func valueText(_ value: Double) -> String {
    value.isFinite ? NumberFormat.compact(value, significantDigits: 3) : "n/a"
  }

  /// A point from band and value coordinates.
  private func point(band: Double, value: Double) -> (x: Double, y: Double) {
    horizontal ? (value, band) : (band, value)
  }

  private func drawPanel(_ placement: Placement, _ svg: inout SVGWriter) {
    let scale = placement.axis.mapped(from: placement.valueStart, to: placement.valueEnd)
    let bandStart = placement.bandOrigin
    let bandEnd = bandStart + Double(chart.categories.count) * placement.bandSize
    func segment(_ value: Double, from b0: Double, to b1: Double) -> [(String, String)] {
      let (p, q) = (point(band: b0, value: scale(value)), point(band: b1, value: scale(value)))
      return CartesianFrame.lineAttributes(p.x, p.y, q.x, q.y)
    }

    svg.open("g", [("stroke", Theme.grid), ("stroke-width", "1")])
    for tick in placement.axis.ticks.values {
      svg.element("line", segment(tick, from: bandStart, to: bandEnd))
    }
    svg.close()

    let groups = Double(placement.members.count)
    for (i, category) in chart.categories.enumerated() {
      let band = bandStart + Double(i) * placement.bandSize
      for (g, member) in placement.members.enumerated() {
        let series = chart.series[member]
        let value = series.values[i]
        let slot = placement.bandSize * 0.8 / groups
        let thickness = groups > 1 ? slot * 0.9 : placement.bandSize * 0.68
        let b0 =
          groups > 1
          ? band + placement.bandSize * 0.1 + Double(g) * slot + slot * 0.05
          : band + (placement.bandSize - thickness) / 2
        let center = b0 + thickness / 2
        let color = Palette.color(member).hex
        guard value.isFinite else {
          let at = point(band: center, value: scale(0) + (horizontal ? 3 : -3))
          svg.text(
            "n/a", x: at.x, y: at.y, size: Theme.smallSize, anchor: horizontal ? "start" : "middle",
            fill: Theme.mutedText, baseline: horizontal ? .middle : .alphabetic)
          continue
        }
        var (v0, v1) = (scale(0), scale(value))
        if value != 0 && abs(v1 - v0) < 1 { v1 = v0 + (v1 < v0 ? -1 : 1) }  // tiny values stay visible
        let (p, q) = (
          point(band: b0, value: min(v0, v1)), point(band: b0 + thickness, value: max(v0, v1))
        )
        if value != 0 {
          svg.open(
            "rect",
            [
              ("class", "bar"), ("x", svgNumber(min(p.x, q.x))), ("y", svgNumber(min(p.y, q.y))),
              ("width", svgNumber(abs(q.x - p.x))), ("height", svgNumber(abs(q.y - p.y))),
              ("fill", color),
            ])
          svg.element(
            "title", [],
            text:
              "\(category) · \(series.name): \(NumberFormat.compact(value, significantDigits: 6))")
          svg.close()
        }
        guard chart.showsValues else { continue }
        let text = valueText(value)
        if horizontal {
          let at = point(band: center, value: value < 0 ? v1 - 3 : v1 + 3)
          svg.text(
            text, x: at.x, y: at.y, size: Theme.smallSize, anchor: value < 0 ? "end" : "start",
            fill: Theme.mutedText, baseline: .middle)
        } else if TextMetrics.width(text, size: Theme.smallSize) <= placement.bandSize * 1.1 {
          let at = point(band: center, value: value < 0 ? v1 + 3 : v1 - 3)
          svg.text(
            text, x: at.x, y: at.y, size: Theme.smallSize, anchor: "middle", fill: Theme.mutedText,
            baseline: value < 0 ? .hanging : .alphabetic)
        }
      }
    }

    // The zero line, the value axis with its ticks and labels, and the panel title.
    svg.element(
      "line",
      segment(0, from: bandStart, to: bandEnd) + [
        ("stroke", Theme.zeroLine), ("stroke-width", "1.25"),
      ])
    let axisBand = horizontal ? bandEnd : bandStart
    let outward = horizontal ? Theme.tickLength : -Theme.tickLength
    let (a, b) = (
      point(band: axisBand, value: placement.valueStart),
      point(band: axisBand, value: placement.valueEnd)
    )
    svg.line(a.x, a.y, b.x, b.y, stroke: Theme.axis)
    svg.open("g", [("stroke", Theme.axis), ("stroke-width", "1")])
    for tick in placement.axis.ticks.values {
      svg.element("line", segment(tick, from: axisBand, to: axisBand + outward))
    }
    svg.close()
    svg.open("g", [("font-size", svgNumber(Theme.tickSize)), ("fill", Theme.mutedText)])
    for (tick, label) in zip(placement.axis.ticks.values, placement.axis.ticks.labels) {
      let at = point(band: axisBand + outward + (horizontal ? 3 : -4), value: scale(tick))
      svg.element(
        "text",
        [
          ("x", svgNumber(at.x)), ("y", svgNumber(at.y)),
          ("dy", horizontal ? TextBaseline.hanging.dy : TextBaseline.middle.dy),
          ("text-anchor", horizontal ? "middle" : "end"),
        ], text: label)
    }
    svg.close()
    if !placement.title.isEmpty {
      if horizontal {
        svg.text(
          placement.title, x: (placement.valueStart + placement.valueEnd) / 2, y: bandStart - 9,
          size: Theme.labelSize, anchor: "middle", weight: "600")
      } else {
        svg.text(
          placement.title, x: bandStart, y: placement.valueEnd - 9, size: Theme.labelSize,
          weight: "600")
      }
    }
  }
}
