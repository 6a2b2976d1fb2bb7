// The plots the CLI writes, built from library results: spectral density (log scale, top
// eigenvalues marked), per-layer bars, 1-D landscape curves and the 2-D landscape heat map.

import HessianAnalysis
import MatrixFree
import Plots

enum Charts {
  /// The density on a log scale with the largest Ritz values marked.
  static func density(
    _ d: SpectralDensity, title: String, topEigenvalues: [Double]? = nil
  ) -> DensityChart {
    let marked =
      topEigenvalues
      ?? Array(
        d.nodes.flatMap { $0 }.sorted(by: >).prefix(1))
    return DensityChart(
      grid: d.grid, density: d.density, markers: Marker.eigenvalues(Array(marked.prefix(5))),
      title: "Hessian eigenvalue density — \(title)")
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

  /// The loss along each direction, one curve per direction, the trained weights marked at 0.
  static func landscape1D(_ curves: [LossLandscape], title: String) -> LineChart {
    LineChart(
      title: "Loss along directions — \(title)", xLabel: "Step α along the unit direction",
      yLabel: "Loss",
      series: curves.map { .init(name: $0.directions[0], x: $0.alphas, y: $0.losses[0]) },
      verticalMarkers: [Marker(value: 0, label: "trained")])
  }

  /// The loss on a plane as a heat map with contours.
  static func landscape2D(_ l: LossLandscape, title: String) -> HeatMap {
    // LossLandscape rows are betas; HeatMap wants z[x][y].
    let z = l.alphas.indices.map { i in l.betas.indices.map { j in l.losses[j][i] } }
    return HeatMap(
      x: l.alphas, y: l.betas, z: z, title: "Loss surface — \(title)",
      xLabel: "α along \(l.directions[0])", yLabel: "β along \(l.directions[1])",
      colorLabel: "Loss", markedPoint: .init(x: 0, y: 0, label: "trained"))
  }
}
