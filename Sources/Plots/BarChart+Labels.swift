// The text around bar charts: category names (shortened names keep the full one as a
// tooltip), the title and the legend of grouped bars.

extension BarRenderer {
  /// Category names beside the first panel (horizontal) or below the last one (vertical);
  /// a shortened name keeps the full one as a tooltip.
  func drawCategoryNames(_ placements: [Placement], _ svg: inout SVGWriter) {
    let reference = horizontal ? placements[0] : placements[placements.count - 1]
    svg.open("g", [("font-size", svgNumber(Theme.tickSize)), ("fill", Theme.text)])
    for (i, name) in names.enumerated() {
      let center = reference.bandOrigin + (Double(i) + 0.5) * reference.bandSize
      let full = chart.categories[i]
      if name != full { svg.open("g"); svg.element("title", [], text: full) }
      if horizontal {
        svg.element(
          "text",
          [
            ("x", svgNumber(Theme.outerPadding + nameWidth + 2)),
            ("y", svgNumber(center)), ("dy", TextBaseline.middle.dy), ("text-anchor", "end"),
          ], text: name)
      } else {
        let y = reference.valueStart + Theme.tickLength + 6
        svg.element(
          "text",
          [
            ("x", svgNumber(center)), ("y", svgNumber(y)), ("dy", TextBaseline.middle.dy),
            ("text-anchor", "end"),
            ("transform", "rotate(-45 \(svgNumber(center)) \(svgNumber(y)))"),
          ], text: name)
      }
      if name != full { svg.close() }
    }
    svg.close()
  }

  func drawHeader(plotLeft: Double, plotRight: Double, _ svg: inout SVGWriter) {
    var y = Theme.outerPadding
    if !chart.title.isEmpty {
      svg.text(
        chart.title, x: (plotLeft + plotRight) / 2, y: y + Theme.titleSize * 0.85,
        size: Theme.titleSize,
        anchor: "middle", weight: "600")
      y += Theme.titleSize + 10
    }
    guard chart.hasLegend else { return }
    var x = plotLeft
    svg.open("g", [("font-size", svgNumber(Theme.legendSize)), ("fill", Theme.text)])
    for (index, series) in chart.series.enumerated() {
      svg.rect(x: x, y: y + 3, width: 12, height: 12, fill: Palette.color(index).hex)
      svg.element(
        "text",
        [("x", svgNumber(x + 17)), ("y", svgNumber(y + 9)), ("dy", TextBaseline.middle.dy)],
        text: series.name)
      x += 17 + TextMetrics.width(series.name, size: Theme.legendSize) + 18
    }
    svg.close()
  }
}
