import Foundation
import Testing

@testable import Plots

@Suite("Line chart")
struct LineChartTests {
  static let alphas = (0...20).map { -0.5 + Double($0) * 0.05 }

  static func landscape() -> LineChart {
    LineChart(
      title: "Loss along directions", xLabel: "Perturbation α", yLabel: "Loss",
      series: [
        .init(name: "top eigenvector", x: alphas, y: alphas.map { 0.1 + 7 * $0 * $0 }),
        .init(name: "random", x: alphas, y: alphas.map { 0.1 + 0.05 * $0 * $0 }),
        .init(name: "gradient", x: alphas, y: alphas.map { 0.1 + 0.3 * $0 + $0 * $0 }),
      ], verticalMarkers: [Marker(value: 0, label: "trained")])
  }

  @Test("three landscapes: one polyline of 21 points per series, legend, markers")
  func landscapes() throws {
    let root = try parseSVG(Self.landscape().svg())
    let series = root.all("g").filter { $0.attributes["class"] == "series" }
    #expect(
      series.map { $0.all("title").first?.text } == ["top eigenvector", "random", "gradient"])
    for group in series {
      let lines = group.all("polyline")
      #expect(lines.count == 1)
      #expect(lines.first.map { points($0).count } == 21)
    }
    // Different marker shapes per series: circles, squares, triangles, 21 each.
    #expect(series[0].all("circle").count == 21)
    #expect(series[1].all("rect").count == 21)
    #expect(series[2].all("polygon").count == 21)
    let labels = texts(root)
    for name in ["top eigenvector", "random", "gradient", "trained", "Loss", "Perturbation α"] {
      #expect(labels.contains(name), "\(name)")
    }
    #expect(labels.contains("Loss along directions"))
  }

  @Test("series colours come from the palette, in order")
  func colors() throws {
    let root = try parseSVG(Self.landscape().svg())
    let strokes = root.all("polyline").compactMap { $0.attributes["stroke"] }
    #expect(strokes == (0..<3).map { Palette.color($0).hex })
  }

  @Test("the curve's extreme points sit on the plot's edges and inside the SVG")
  func geometry() throws {
    let root = try parseSVG(Self.landscape().svg())
    let line = points(root.all("polyline")[0])
    let width = root.number("width")!
    let height = root.number("height")!
    #expect(line.allSatisfy { $0.x > 0 && $0.x < width && $0.y > 0 && $0.y < height })
    #expect(line.first!.y < line[10].y, "the loss at α = ±0.5 is drawn above the minimum")
    #expect(abs(line.first!.y - line.last!.y) < 0.02)
  }

  @Test("NaN and Inf break the line instead of reaching an attribute")
  func nonFinite() throws {
    var y = Self.alphas.map { $0 * $0 }
    y[10] = .nan
    y[15] = .infinity
    let chart = LineChart(series: [.init(name: "loss", x: Self.alphas, y: y)], markers: .never)
    let root = try parseSVG(chart.svg())
    #expect(root.all("polyline").map { points($0).count } == [10, 4, 5])
  }

  @Test("log scale drops non-positive values and labels decades")
  func logScale() throws {
    let x = (0..<10).map(Double.init)
    let y = [0, 1e-3, 1e-2, 0.1, 1, 10, 100, -5, 1e3, 1e4]
    let chart = LineChart(series: [.init(name: "loss", x: x, y: y)], yScale: .logarithmic)
    let root = try parseSVG(chart.svg())
    #expect(root.all("polyline").map { points($0).count } == [6, 2])
    #expect(texts(root).contains("0.001") && texts(root).contains("10000"))
  }

  @Test("empty, single-point and constant data render valid charts")
  func degenerate() throws {
    let empty = try parseSVG(LineChart(title: "Nothing", series: []).svg())
    #expect(texts(empty).contains("No data to plot"))
    let emptySeries = try parseSVG(LineChart(series: [.init(name: "a", x: [], y: [])]).svg())
    #expect(texts(emptySeries).contains("No data to plot"))
    let allNaN = try parseSVG(
      LineChart(series: [.init(name: "a", x: [1, 2], y: [.nan, .nan])]).svg())
    #expect(texts(allNaN).contains("No data to plot"))

    let single = try parseSVG(
      LineChart(series: [.init(name: "a", x: [0.5], y: [2])], markers: .never).svg())
    #expect(single.all("polyline").isEmpty)
    #expect(single.all("circle").count == 1)

    let constant = try parseSVG(
      LineChart(series: [.init(name: "a", x: [0, 1, 2], y: [3, 3, 3])]).svg())
    let line = points(constant.all("polyline")[0])
    #expect(Set(line.map(\.y)).count == 1)
    #expect(texts(constant).contains("3"))
  }

  @Test("text is escaped")
  func escaping() throws {
    let chart = LineChart(
      title: "a < b & \"c\"", yLabel: "<script>",
      series: [.init(name: "x > y", x: [0, 1], y: [0, 1])])
    let svg = chart.svg()
    #expect(!svg.contains("<script>"))
    let root = try parseSVG(svg)
    #expect(texts(root).contains("a < b & \"c\""))
    #expect(texts(root).contains("<script>"))
  }

  @Test("rendering is deterministic")
  func deterministic() {
    #expect(Self.landscape().svg() == Self.landscape().svg())
  }

  @Test("write(to:) writes the SVG atomically and leaves no temporary file")
  func write() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("plots-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("landscape.svg")
    try Self.landscape().write(to: url)
    try Self.landscape().write(to: url)  // replaces the existing file
    #expect(try String(contentsOf: url, encoding: .utf8) == Self.landscape().svg())
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["landscape.svg"])
    #expect(throws: (any Error).self) {
      try Self.landscape().write(to: directory.appendingPathComponent("missing/landscape.svg"))
    }
  }
}
