// The report's parameter-block page (`hessian report --blocks`): each block's top eigenvalue,
// trace and spectral density, all densities on one page, and the Jensen-Shannon distances
// between the blocks' spectra (Zhang et al. 2024's heterogeneity measure).

import Foundation
import HessianAnalysis
import MatrixFree
import Plots
import TensorCore
import TensorIO

/// Each block's summary and density, and the distances between the densities.
struct BlockReport {
  var blocks: [ParameterBlock]
  var summaries: [CurvatureSummary]
  var densities: [SpectralDensity]
  var heterogeneity: SpectralHeterogeneity

  var hvpCount: Int {
    summaries.reduce(0) { $0 + $1.hvpCount } + densities.reduce(0) { $0 + $1.matvecCount }
  }

  /// `blocks-heterogeneity.svg`, the one file of the section (the densities are inline).
  var files: [(name: String, svg: String)] {
    [("blocks-heterogeneity.svg", Charts.heterogeneity(heterogeneity, names: blocks.map(\.name)).svg())]
  }

  var json: JSONDocument {
    [
      "blocks": .array(
        zip(blocks, zip(summaries, densities)).map { block, pair in
          merged(blockJSON(block), layerJSON(pair.0))
            .adding("density", densityJSON(pair.1, scope: "block \(block.name)"))
        }),
      "heterogeneity": heterogeneityJSON(heterogeneity, names: blocks.map(\.name)),
    ]
  }

  /// The page section.
  var section: HTMLReport.Section {
    let rows: [[HTMLReport.Value]] = zip(blocks, summaries).enumerated().map { i, pair in
      [
        .integer(i), .text(pair.0.name), .text(pair.0.kind.rawValue),
        .integer(pair.0.parameterCount), .number(pair.1.eigenvalues.first ?? .nan),
        .number(pair.1.trace.trace), .number(pair.1.trace.standardError),
      ]
    }
    var content: [HTMLReport.Block] = [
      .paragraph(
        "Parameter blocks as the transformer block-heterogeneity studies draw them: each "
          + "module's diagonal block of the Hessian, a fused attention projection (c_attn, qkv, "
          + "in_proj) split by rows into query, key and value. Top eigenvalue by Lanczos (dense "
          + "for blocks of at most 256 parameters), trace by Hutch++ with its standard error, "
          + "density by stochastic Lanczos quadrature."),
      .table(
        .init(
          header: ["#", "block", "kind", "parameters", "top eigenvalue", "trace", "± s.e."],
          rows: rows)),
      .figure(
        .inline(
          files[0].svg,
          caption: "Jensen-Shannon distance between the blocks' spectra (block numbers as in "
            + "the table; mean over pairs "
            + NumberFormat.compact(heterogeneity.meanDistance, significantDigits: 3) + "). "
            + "Method: every block's quadrature smoothed again with one Gaussian width ("
            + NumberFormat.compact(heterogeneity.kernelWidth, significantDigits: 3)
            + ", Papyan's rule on the pooled nodes) on one grid; the distance is the square "
            + "root of the Jensen-Shannon divergence in bits, 0 for equal spectra and 1 for "
            + "spectra that do not overlap.",
          linkedPath: files[0].name)),
    ]
    for (i, (block, density)) in zip(blocks, densities).enumerated() {
      let chart = DensityChart(
        grid: density.grid, density: density.density, title: "\(i) \(block.name) (\(block.kind.rawValue))",
        width: 480, height: 240)
      content.append(
        .figure(
          .inline(
            chart.svg(),
            caption: "Block \(i): \(density.probeCount) probe(s) × \(density.lanczosSteps) "
              + "Lanczos steps over \(block.parameterCount) parameters.")))
    }
    return .init("Parameter blocks", content)
  }
}

extension Report {
  /// Each block's top eigenvalue and trace (as the per-layer summaries) and its density, one
  /// progress phase per block, and their heterogeneity.
  func blocks<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> BlockReport {
    let operators = try context.blockHessians(workload, checkDeterminism: false)
    var generator = SeededGenerator(seed: context.seed)
    var summaries: [CurvatureSummary] = []
    var densities: [SpectralDensity] = []
    for op in operators {
      context.progress.begin(
        "report blocks \(op.label): top eigenvalue, trace and density of "
          + "\(op.hessian.dimension) parameters")
      summaries.append(
        try curvatureSummary(
          of: op.hessian, eigenvalueCount: 1, tolerance: tolerance,
          traceTargetRelativeError: targetError, traceMaxMatvecs: maxProbes, denseThreshold: 256,
          using: &generator, eigenProgress: context.progress.eigenEstimateReporter,
          traceProgress: context.progress.traceEstimateReporter))
      densities.append(
        try spectralDensity(
          of: op.hessian, lanczosSteps: Swift.min(steps, op.hessian.dimension),
          probeCount: probes, using: &generator))
      context.progress.end("report blocks \(op.label): \(eigenvalueLine(summaries.last!.eigenvalueSummary))")
    }
    return BlockReport(
      blocks: operators.map(\.hessian.base.block), summaries: summaries, densities: densities,
      heterogeneity: SpectralHeterogeneity(densities))
  }
}
