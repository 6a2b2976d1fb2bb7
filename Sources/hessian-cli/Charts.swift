// The plots the CLI writes, built from library results: spectral density (log scale, top
// eigenvalues marked), per-layer bars, 1-D landscape curves and the 2-D landscape heat map.
// Titles stay short enough to fit; the model is named in the report's subtitle.

import HessianAnalysis
import MatrixFree
import Plots

enum Charts {
  /// The density on a log scale with the top eigenvalues marked (those closer than 4% of the
  /// plotted range to a larger one are left unmarked, so labels do not collide).
  static func density(_ d: SpectralDensity, topEigenvalues: [Double]? = nil) -> DensityChart {
    let candidates = (topEigenvalues ?? Array(d.nodes.flatMap { $0 }.sorted(by: >).prefix(1)))
      .sorted(by: >)
    let range = (d.grid.last ?? 1) - (d.grid.first ?? 0)
    var marked: [Double] = []
    for value in candidates.prefix(5)
    where marked.allSatisfy({ abs($0 - value) >= 0.04 * range }) {
      marked.append(value)
    }
    return DensityChart(
      grid: d.grid, density: d.density, markers: Marker.eigenvalues(marked),
      title: "Hessian eigenvalue density")
  }

  /// Top eigenvalue and trace of each layer's block, one panel each.
  static func layers(_ layers: [CurvatureSummary]) -> BarChart {
    BarChart(
      title: "Per-layer curvature (each layer's diagonal block)",
      categories: layers.map(\.name),
      series: [
        .init(name: "Top eigenvalue", values: layers.map { $0.eigenvalues.first ?? .nan }),
        .init(name: "Trace", values: layers.map(\.trace.trace)),
      ])
  }

  /// The loss along each direction, one curve per direction (its norm in the legend when it
  /// is not a unit vector), the trained weights marked at 0.
  static func landscape1D(_ curves: [LossLandscape]) -> LineChart {
    LineChart(
      title: "Loss along directions", xLabel: "Step α along the direction d", yLabel: "Loss",
      series: curves.map { curve in
        let norm = curve.directionNorms[0]
        let name =
          abs(norm - 1) < 1e-6
          ? curve.directions[0]
          : "\(curve.directions[0]) (‖d‖ = \(NumberFormat.compact(norm, significantDigits: 3)))"
        return .init(name: name, x: curve.alphas, y: curve.losses[0])
      },
      verticalMarkers: [Marker(value: 0, label: "trained")])
  }

  /// The Jensen-Shannon distances between blocks' spectra as a heat map (block index on both
  /// axes; the names are in the JSON and the report's table).
  static func heterogeneity(_ h: SpectralHeterogeneity, names: [String]) -> HeatMap {
    let index = names.indices.map(Double.init)
    return HeatMap(
      x: index, y: index, z: h.distances, title: "Spectral distance between blocks",
      xLabel: "block", yLabel: "block", colorLabel: "Jensen-Shannon distance", contours: .none)
  }

  /// The loss on a plane as a heat map with contours.
  static func landscape2D(_ l: LossLandscape) -> HeatMap {
    // LossLandscape rows are betas; HeatMap wants z[x][y].
    let z = l.alphas.indices.map { i in l.betas.indices.map { j in l.losses[j][i] } }
    return HeatMap(
      x: l.alphas, y: l.betas, z: z, title: "Loss surface", xLabel: "α along \(l.directions[0])",
      yLabel: "β along \(l.directions[1])", colorLabel: "Loss",
      markedPoint: .init(x: 0, y: 0, label: "trained"))
  }
}
