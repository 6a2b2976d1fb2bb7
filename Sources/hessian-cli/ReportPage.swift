// The report's plots as files and its HTML page: every plot inline (so the page stands alone)
// and linked to its SVG file, with the numbers and their accuracy evidence in tables.

import Foundation
import HessianAnalysis
import MatrixFree
import Plots
import TensorCore
import TensorIO

/// The four plots of a report and their file names.
struct ReportPlots {
  var density: DensityChart
  var layers: BarChart
  var landscape1D: LineChart
  var landscape2D: HeatMap

  /// `(file name, SVG)` for each plot, in report order.
  var files: [(name: String, svg: String)] {
    [
      ("density.svg", density.svg()), ("layers.svg", layers.svg()),
      ("landscape-1d.svg", landscape1D.svg()), ("landscape-2d.svg", landscape2D.svg()),
    ]
  }
}

/// Exact values from the dense Hessian, for small models.
struct ExactCheck {
  /// The largest eigenvalues, descending.
  var eigenvalues: [Double]
  var trace: Double
  var hvpCount: Int
}

/// The HTML page of a report.
struct ReportPage<Scalar: TensorScalar> {
  var workload: String
  var fields: JSONDocument
  var eigen: EigenResult<Scalar>
  var trace: TraceEstimate
  var density: SpectralDensity
  var layers: [CurvatureSummary]
  var curves: [LossLandscape]
  var surface: LossLandscape
  var plots: ReportPlots
  var exact: ExactCheck?
  /// The parameter-block section (`--blocks`), or nil.
  var blocks: BlockReport?
  var seed: UInt64
  var hvpCount: Int

  func html() -> String {
    let svgs = Dictionary(uniqueKeysWithValues: plots.files.map { ($0.name, $0.svg) })
    func figure(_ name: String, _ caption: String) -> HTMLReport.Block {
      .figure(.inline(svgs[name]!, caption: caption, linkedPath: name))
    }
    var model: [HTMLReport.KeyValue] = []
    if case .object(let members) = fields {
      for m in members {
        switch m.value {
        case .string(let s):
          model.append(.init(m.key.replacingOccurrences(of: "_", with: " "), .text(s)))
        case .integer(let i):
          model.append(.init(m.key.replacingOccurrences(of: "_", with: " "), .integer(i)))
        case .number(let x):
          model.append(.init(m.key.replacingOccurrences(of: "_", with: " "), .number(x)))
        case .array(let a):
          let text = a.map { if case .integer(let i) = $0 { String(i) } else { "?" } }
          model.append(.init(m.key, .text(text.joined(separator: ", "))))
        default: continue
        }
      }
    }
    model.append(.init("seed", .text(String(seed))))
    model.append(.init("Hessian-vector products", .integer(hvpCount)))
    let eigenRows: [[HTMLReport.Value]] = eigen.eigenvalues.indices.map { i in
      [
        .integer(i + 1), .number(eigen.eigenvalues[i]), .number(eigen.relativeResiduals[i]),
        .flag(eigen.converged[i]),
      ] + (exact.map { [.number($0.eigenvalues[i])] } ?? [])
    }
    let verificationSentence: String
    if let check = eigen.missCheck {
      let next = check.nextRitzValues.first.map { " The next Ritz value was \(format($0))." } ?? ""
      verificationSentence =
        (check.verified
          ? "Verified: a deflation check (Lanczos from a fresh random start orthogonal to the "
            + "Ritz vectors found) saw no eigenvalue above the reported ones."
          : "NOT verified: the deflation check did not finish within the budget.")
        + (check.found > 0
          ? " It found \(check.found) eigenvalue(s) the first convergence had missed." : "")
        + next
    } else {
      verificationSentence = "No deflation check ran: a missed eigenvalue is not ruled out."
    }
    let exactNote =
      exact == nil
      ? ""
      : " The last column is exact: the dense Hessian, assembled from \(exact!.hvpCount) "
        + "products and decomposed by LAPACK, checks the estimates."
    let layerRows: [[HTMLReport.Value]] = layers.map { s in
      [
        .text(s.name), .integer(s.parameterCount), .number(s.eigenvalues.first ?? .nan),
        .text(s.eigenMethod), .number(s.trace.trace), .number(s.trace.standardError),
      ]
    }
    // Each SLQ probe gives one Hutchinson sample of the trace: an error bar from 2 probes on.
    let densityTrace: [HTMLReport.KeyValue] =
      if let error = density.traceStandardError {
        [
          .init(
            "trace from the density (SLQ, \(density.probeCount) probes)",
            .number(density.traceEstimate)),
          .init("its standard error (across the probes)", .number(error)),
        ]
      } else {
        [
          .init(
            "trace from the density (SLQ, 1 probe: no error bar)", .number(density.traceEstimate))
        ]
      }
    var report = HTMLReport(
      title: "Hessian report",
      subtitle: workload,
      sections: [
        .init("Model and data", [.keyValues(model)]),
        .init(
          "Top eigenvalues of the full Hessian",
          [
            .paragraph(
              "Lanczos with full reorthogonalization; each pair's true residual is computed from "
                + "the products already made. The relative residual is ||Hv − λv|| / |λ|; a pair "
                + "has converged when ||Hv − λv|| is at most "
                + "max(\(NumberFormat.compact(eigen.tolerance, significantDigits: 3)) |λ|, "
                + "\(NumberFormat.compact(eigen.residualFloor, significantDigits: 3))), where "
                + "the second term is the rounding floor 64 ulp ||H|| of "
                + "\(Scalar.self == Float.self ? "float32" : "float64") arithmetic: it decides only "
                + "for |λ| below "
                + "\(NumberFormat.compact(eigen.residualFloor / eigen.tolerance, significantDigits: 3)), "
                + "whose relative residual may then exceed the tolerance. "
                + verificationSentence
                + " \(eigen.matvecCount) Hessian-vector products." + exactNote),
            .table(
              .init(
                header: ["#", "eigenvalue", "relative residual", "converged"]
                  + (exact == nil ? [] : ["exact"]), rows: eigenRows)),
          ]),
        .init(
          "Trace",
          [
            .keyValues(
              [
                .init("trace (Hutch++)", .number(trace.estimate)),
                .init("standard error", .number(trace.standardError)),
                .init("target reached", .flag(trace.converged)),
                .init("sketch dimension", .integer(trace.lowRankDimension)),
                .init("Hessian-vector products", .integer(trace.matvecCount)),
              ] + densityTrace
                + (exact.map { [.init("exact trace (dense Hessian)", .number($0.trace))] } ?? []))
          ]),
        .init(
          "Eigenvalue spectral density",
          [
            figure(
              "density.svg",
              "Stochastic Lanczos quadrature: \(density.probeCount) probe(s) × "
                + "\(density.lanczosSteps) steps, Gaussian width "
                + "\(NumberFormat.compact(density.kernelWidth, significantDigits: 3)); "
                + "dashed lines: the top eigenvalues.")
          ]),
        .init(
          "Per-layer curvature",
          [
            .paragraph(
              "Each layer's own diagonal block of the Hessian. These are not the full "
                + "Hessian's eigenvalues: the full Hessian couples layers through its "
                + "off-diagonal blocks, so its top eigenvalue can exceed every layer's."),
            figure("layers.svg", "Top eigenvalue and trace of each layer's block."),
            .table(
              .init(
                header: ["layer", "parameters", "top eigenvalue", "method", "trace", "± s.e."],
                rows: layerRows)),
          ]),
        .init(
          "Loss landscape",
          [
            figure(
              "landscape-1d.svg",
              "Loss along the top eigenvector, a filter-normalized random direction and the "
                + "gradient; direction norms "
                + curves.map { NumberFormat.compact($0.directionNorms[0], significantDigits: 3) }
                .joined(separator: ", ") + "."),
            figure(
              "landscape-2d.svg",
              "Loss on the plane of the top two eigenvectors (\(surface.alphas.count) × "
                + "\(surface.betas.count) points)."),
          ]),
        .init(
          "Reproduce",
          [.code(CommandLine.arguments.map(shellQuoted).joined(separator: " "))]),
      ])
    if let blocks {
      // After the per-layer section.
      let index = report.sections.firstIndex { $0.heading == "Loss landscape" } ?? report.sections.count
      report.sections.insert(blocks.section, at: index)
    }
    return report.html()
  }
}

/// `argument` quoted for a POSIX shell when it needs it.
func shellQuoted(_ argument: String) -> String {
  let plain = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@".contains($0) }
  return plain && !argument.isEmpty
    ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
