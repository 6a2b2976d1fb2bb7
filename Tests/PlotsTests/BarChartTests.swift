import Foundation
import Testing

@testable import Plots

@Suite("Bar chart")
struct BarChartTests {
  /// Layer names as in a CIFAR ResNet-56: 57 of them, up to 36 characters.
  static let layers: [String] = {
    var names = ["features.init_block.conv.conv"]
    for stage in 1...3 {
      for unit in 1...9 {
        for conv in 1...2 {
          names.append("features.stage\(stage).unit\(unit).body.conv\(conv).conv")
        }
      }
    }
    return names + ["output.fc", "output.bias"]
  }()

  static func bars(_ root: Node) -> [Node] {
    root.all("rect").filter { $0.attributes["class"] == "bar" }
  }

  @Test("per-layer panels: a bar per layer and quantity, every layer named")
  func perLayerPanels() throws {
    let eigenvalues = Self.layers.indices.map { 20 * sin(Double($0) + 0.5) }
    let traces = Self.layers.indices.map { Double($0 * $0) - 40 }
    let chart = BarChart(
      title: "Per-layer curvature", categories: Self.layers,
      series: [
        .init(name: "Top eigenvalue", values: eigenvalues), .init(name: "Trace", values: traces),
      ])
    let root = try parseSVG(chart.svg())
    #expect(Self.bars(root).count == 2 * Self.layers.count)
    let labels = Set(texts(root))
    let tooltips = Set(root.all("title").map(\.text))
    for name in Self.layers {
      // Shown in full, or shortened with the full name as its tooltip.
      #expect(labels.contains(name) || tooltips.contains(name), "\(name)")
    }
    #expect(labels.contains("Top eigenvalue") && labels.contains("Trace"))
    #expect(root.number("height")! >= Double(Self.layers.count) * 16)
    // Every bar is inside the drawing.
    let width = root.number("width")!
    #expect(
      Self.bars(root).allSatisfy {
        $0.number("x")! >= 0 && $0.number("x")! + $0.number("width")! <= width
      })
  }

  @Test("negative values extend left of the zero line, positive ones right")
  func negativeValues() throws {
    let chart = BarChart(categories: ["a", "b"], series: [.init(name: "λ", values: [5, -5])])
    let bars = Self.bars(try parseSVG(chart.svg()))
    #expect(bars.count == 2)
    let positiveStart = bars[0].number("x")!
    let negativeEnd = bars[1].number("x")! + bars[1].number("width")!
    #expect(abs(positiveStart - negativeEnd) < 0.02)
    #expect(abs(bars[0].number("width")! - bars[1].number("width")!) < 0.02)
  }

  @Test("a NaN value shows n/a instead of a bar")
  func missingValue() throws {
    let chart = BarChart(
      categories: ["a", "b", "c"], series: [.init(name: "Trace", values: [1, .nan, 3])])
    let root = try parseSVG(chart.svg())
    #expect(Self.bars(root).count == 2)
    #expect(texts(root).contains("n/a"))
  }

  @Test("values are written beside the bars when asked")
  func valueLabels() throws {
    let series = [BarChart.Series(name: "Trace", values: [1234.5, -0.0123])]
    let with = try parseSVG(BarChart(categories: ["a", "b"], series: series).svg())
    #expect(
      texts(with).contains("1.23e3") || texts(with).contains("1235") || texts(with).contains("1234")
    )
    #expect(texts(with).contains("-0.0123"))
    let without = try parseSVG(
      BarChart(categories: ["a", "b"], series: series, showsValues: false).svg())
    #expect(!texts(without).contains("-0.0123"))
  }

  @Test("grouped vertical bars: legend, rotated names, one bar per value")
  func groupedVertical() throws {
    let chart = BarChart(
      categories: ["conv1", "layer1.0.conv1", "fc"],
      series: [
        .init(name: "Top eigenvalue", values: [3, 1, -2]),
        .init(name: "Trace", values: [30, 12, 4]),
      ],
      layout: .grouped, orientation: .vertical, valueLabel: "Value")
    let root = try parseSVG(chart.svg())
    #expect(Self.bars(root).count == 6)
    let labels = texts(root)
    for name in ["conv1", "layer1.0.conv1", "fc", "Top eigenvalue", "Trace", "Value"] {
      #expect(labels.contains(name), "\(name)")
    }
    let rotated = root.all("text").filter {
      $0.attributes["transform"]?.hasPrefix("rotate(-45") == true
    }
    #expect(rotated.count == 3)
    // Bars of one category sit side by side, in series order, coloured by series.
    let bars = Self.bars(root)
    #expect(bars[0].number("x")! < bars[1].number("x")!)
    #expect(
      bars[0].attributes["fill"] == Palette.color(0).hex
        && bars[1].attributes["fill"] == Palette.color(1).hex)
  }

  @Test("vertical panels and a fixed height")
  func verticalPanels() throws {
    let chart = BarChart(
      categories: ["a", "b"],
      series: [.init(name: "x", values: [1, 2]), .init(name: "y", values: [-1, 0])],
      orientation: .vertical, height: 500)
    let root = try parseSVG(chart.svg())
    #expect(root.number("height") == 500)
    #expect(Self.bars(root).count == 3, "a zero value draws no bar")
  }

  @Test("no categories or series gives a chart that says so")
  func empty() throws {
    #expect(
      texts(try parseSVG(BarChart(categories: [], series: []).svg())).contains("No data to plot"))
    #expect(
      texts(try parseSVG(BarChart(categories: ["a"], series: []).svg())).contains("No data to plot")
    )
  }

  @Test("constant and all-zero values still give an axis")
  func constant() throws {
    let zeros = try parseSVG(
      BarChart(categories: ["a", "b"], series: [.init(name: "z", values: [0, 0])]).svg())
    #expect(texts(zeros).contains("0"))
    let same = try parseSVG(
      BarChart(categories: ["a", "b"], series: [.init(name: "s", values: [2, 2])]).svg())
    #expect(Self.bars(same).count == 2)
  }

  @Test("rendering is deterministic")
  func deterministic() {
    let chart = BarChart(
      categories: Self.layers,
      series: [.init(name: "t", values: Self.layers.indices.map(Double.init))])
    #expect(chart.svg() == chart.svg())
  }
}
