import Foundation
import Testing

@testable import Plots

@Suite("Spectral density chart")
struct DensityChartTests {
  static let grid = (0...400).map { -20 + Double($0) * 0.45 }

  static func density() -> [Double] {
    func gaussian(_ x: Double, _ mean: Double, _ sigma: Double) -> Double {
      exp(-(x - mean) * (x - mean) / (2 * sigma * sigma)) / (sigma * (2 * Double.pi).squareRoot())
    }
    return grid.map {
      0.95 * gaussian($0, 0, 0.8) + 0.03 * gaussian($0, 147.7, 0.9) + 0.02
        * gaussian($0, 125.35, 0.9)
    }
  }

  @Test("the curve has one point per grid value and the top eigenvalues are marked")
  func curveAndMarkers() throws {
    let chart = DensityChart(
      grid: Self.grid, density: Self.density(), markers: Marker.eigenvalues([147.6936, 125.35]))
    let root = try parseSVG(chart.svg())
    let series = root.all("g").filter { $0.attributes["class"] == "series" }
    #expect(series.count == 1)
    #expect(series[0].all("polyline").map { points($0).count } == [Self.grid.count])
    let labels = texts(root)
    #expect(labels.contains("λ1 = 147.7"))
    #expect(labels.contains("λ2 = 125.3"))
    #expect(labels.contains("Density (log scale)"))
    #expect(labels.contains("Eigenvalue"))
    // Dashed marker lines at the two eigenvalues.
    let dashed = root.all("g").filter { $0.attributes["stroke-dasharray"] != nil }.flatMap {
      $0.all("line")
    }
    #expect(dashed.count == 2)
  }

  @Test("log density axis: decade labels, zeros raised to the floor")
  func floor() throws {
    let chart = DensityChart(grid: Self.grid, density: Self.density())
    let floored = chart.flooredDensity().compactMap { $0 }
    let peak = Self.density().max()!
    #expect(floored.count == Self.grid.count)
    #expect(floored.min()! >= peak * 1e-10 * (1 - 1e-12))
    let root = try parseSVG(chart.svg())
    #expect(texts(root).contains("1e-10"))
    #expect(texts(root).contains("1e0"))
    let curve = points(root.all("polyline")[0])
    #expect(curve.allSatisfy { $0.y.isFinite })
  }

  @Test("labels of close eigenvalues do not overlap")
  func closeMarkers() throws {
    let chart = DensityChart(
      grid: Self.grid, density: Self.density(), markers: Marker.eigenvalues([147.7, 146.9, 146.2]))
    let root = try parseSVG(chart.svg())
    let labelXs = root.all("text").filter {
      $0.allText.hasPrefix("λ") && $0.attributes["stroke"] == nil
    }
    .compactMap { $0.number("x") }.sorted()
    #expect(labelXs.count == 3)
    #expect(zip(labelXs, labelXs.dropFirst()).allSatisfy { $1 - $0 >= 11 })
  }

  @Test("NaN densities break the curve; no positive density gives a message")
  func degenerate() throws {
    var density = Self.density()
    density[100] = .nan
    let root = try parseSVG(DensityChart(grid: Self.grid, density: density).svg())
    #expect(root.all("polyline").map { points($0).count } == [100, 300])

    let zeros = try parseSVG(DensityChart(grid: [0, 1, 2], density: [0, 0, 0]).svg())
    #expect(texts(zeros).contains("No positive density to plot"))
    let empty = try parseSVG(DensityChart(grid: [], density: []).svg())
    #expect(texts(empty).contains("No positive density to plot"))
    let single = try parseSVG(
      DensityChart(grid: [1], density: [0.5], markers: Marker.eigenvalues([1])).svg())
    #expect(single.all("circle").count == 1)
  }

  @Test("rendering is deterministic")
  func deterministic() {
    let chart = DensityChart(
      grid: Self.grid, density: Self.density(), markers: Marker.eigenvalues([147.7]))
    #expect(chart.svg() == chart.svg())
  }
}
