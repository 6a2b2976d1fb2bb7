import Foundation
import Testing

@testable import Plots

@Suite("Heat map")
struct HeatMapTests {
  static let alphas = (0...20).map { -1 + Double($0) * 0.1 }

  static func landscape() -> HeatMap {
    let loss = alphas.map { a in alphas.map { b in 0.2 + 3 * a * a + 0.5 * b * b } }
    return HeatMap(
      x: alphas, y: alphas, z: loss, title: "Loss landscape", xLabel: "α", yLabel: "β",
      colorLabel: "Loss", markedPoint: .init(x: 0, y: 0, label: "trained"))
  }

  static func cells(_ root: Node) -> [Node] {
    root.all("g").filter { $0.attributes["class"] == "cells" }.flatMap { $0.all("path") }
  }

  @Test("cells, contours, colour bar and labels")
  func landscape() throws {
    let map = Self.landscape()
    let root = try parseSVG(map.svg())
    let cells = Self.cells(root)
    #expect(!cells.isEmpty && cells.count <= 256)
    // Every cell is one rectangle in some colour's path: 21 × 21 cells at most.
    let rectangles = cells.map { $0.attributes["d"]!.filter { $0 == "M" }.count }.reduce(0, +)
    #expect(rectangles <= 21 * 21 && rectangles >= 21)
    let levels = map.contourLevels()
    #expect(levels.count >= 4)
    let contours = root.all("g").filter { $0.attributes["class"] == "contour" }
    #expect(contours.count == levels.count)
    #expect(contours.allSatisfy { !$0.all("polyline").isEmpty })
    let colorbar = root.all("g").filter { $0.attributes["class"] == "colorbar" }
    #expect(colorbar.count == 1 && colorbar[0].all("rect").count == 64)
    let labels = texts(root)
    for text in ["Loss landscape", "α", "β", "Loss", "trained"] {
      #expect(labels.contains(text), "\(text)")
    }
  }

  @Test("the first index of z runs along x: low values left, high values right")
  func orientation() throws {
    let z = Self.alphas.map { a in Self.alphas.map { _ in a } }
    let map = HeatMap(x: Self.alphas, y: Self.alphas, z: z, contours: .none)
    let root = try parseSVG(map.svg())
    func firstX(_ fill: String) -> Double? {
      let path = Self.cells(root).first { $0.attributes["fill"] == fill }
      return path.flatMap { Double($0.attributes["d"]!.dropFirst().prefix { $0 != " " }) }
    }
    let dark = try #require(firstX(Colormap.viridis.color(at: 0).hex))
    let bright = try #require(firstX(Colormap.viridis.color(at: 1).hex))
    #expect(dark < bright)
    // Each column has its own colour: one path per column.
    #expect(Self.cells(root).count == 21)
  }

  @Test("contour lines follow the data: the paraboloid's circles")
  func contourGeometry() throws {
    let axis = (0...40).map { -1 + Double($0) * 0.05 }
    let z = axis.map { x in axis.map { y in x * x + y * y } }
    let map = HeatMap(x: axis, y: axis, z: z, contours: .values([0.25]))
    let root = try parseSVG(map.svg())
    let line = try #require(
      root.all("g").first { $0.attributes["class"] == "contour" }?.all("polyline").first)
    let pixels = points(line)
    #expect(pixels.first! == pixels.last!)
    let center = (
      pixels.map(\.x).reduce(0, +) / Double(pixels.count),
      pixels.map(\.y).reduce(0, +) / Double(pixels.count)
    )
    let radii = pixels.map {
      (($0.x - center.0) * ($0.x - center.0) + ($0.y - center.1) * ($0.y - center.1)).squareRoot()
    }
    // A circle in data units is an ellipse on screen only if the axes differ; here the radii
    // spread only by the plot's aspect ratio.
    #expect(radii.min()! > 0.5 * radii.max()!)
  }

  @Test("log colour scale, NaN, Inf and non-positive values")
  func logScaleAndMissing() throws {
    var z = Self.alphas.map { a in Self.alphas.map { b in pow(10, 3 * (a * a + b * b)) } }
    z[3][4] = .nan
    z[4][4] = .infinity
    z[5][5] = 0
    z[6][6] = -1
    let map = HeatMap(x: Self.alphas, y: Self.alphas, z: z, colorScale: .logarithmic)
    let root = try parseSVG(map.svg())
    #expect(Self.cells(root).contains { $0.attributes["fill"] == Theme.missing })
    #expect(!map.contourLevels().isEmpty)
    #expect(texts(root).contains("1e0") && texts(root).contains("1e3"))
  }

  @Test("constant, single-cell, all-NaN and empty grids render")
  func degenerate() throws {
    let constant = HeatMap(x: [0, 1], y: [0, 1], z: [[2, 2], [2, 2]])
    #expect(constant.contourLevels().isEmpty)
    let root = try parseSVG(constant.svg())
    #expect(Self.cells(root).count == 1)
    _ = try parseSVG(HeatMap(x: [0], y: [0], z: [[1]]).svg())
    let missing = try parseSVG(HeatMap(x: [0, 1], y: [0], z: [[.nan], [.nan]]).svg())
    #expect(texts(missing).contains("No data to plot"))
    let empty = try parseSVG(HeatMap(x: [], y: [], z: []).svg())
    #expect(texts(empty).contains("No data to plot"))
  }

  @Test("contour levels: automatic nice values inside the range, or the given ones")
  func levels() {
    let map = Self.landscape()
    let levels = map.contourLevels()
    #expect(levels == levels.sorted())
    #expect(levels.allSatisfy { $0 > 0.2 && $0 < 3.7 })
    var given = map
    given.contours = .values([1, 100, .nan, 0.5])
    #expect(given.contourLevels() == [0.5, 1])
    given.contours = .none
    #expect(given.contourLevels().isEmpty)
  }

  @Test("rendering is deterministic")
  func deterministic() {
    #expect(Self.landscape().svg() == Self.landscape().svg())
  }
}
