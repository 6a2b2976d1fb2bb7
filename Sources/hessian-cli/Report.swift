// hessian report: the standard analysis in one run (top eigenvalues, trace, spectral density,
// per-layer eigenvalues and traces, 1-D and 2-D loss landscapes), written as report.json, one
// SVG per plot and a self-contained report.html into a directory.

import ArgumentParser
import Foundation
import HessianAnalysis
import MatrixFree
import Plots
import TensorCore
import TensorIO

struct Report: AnalysisCommand {
  static let name = "report"
  static let configuration = CommandConfiguration(
    abstract: "The standard analysis, written as JSON, SVG plots and an HTML report.",
    discussion: """
      Runs: the top eigenvalues (Lanczos), the trace (Hutch++), the spectral density \
      (stochastic Lanczos quadrature; its trace gets an error bar across the --probes), each \
      layer's top eigenvalue and trace (dense for layers of at most 256 parameters), the loss \
      along the top eigenvector, a random direction and the gradient, and the loss on the \
      plane of the top two eigenvectors. Nothing is written until all of it has succeeded.

      Writes into --out: report.json, density.svg, layers.svg, landscape-1d.svg, \
      landscape-2d.svg and report.html (the plots inline, so the page stands alone).

      With --blocks, also each parameter block's top eigenvalue, trace and density (a \
      transformer's embeddings, query, key, value, attention output, MLP in and out, norms and \
      head), all densities on the page, and the Jensen-Shannon distances between the blocks' \
      spectra (blocks-heterogeneity.svg; "blocks" in report.json).

      With no model and no data, it trains the built-in MLP on spirals and reports on it.
      """)

  @OptionGroup var options: SharedOptions

  @Option(help: ArgumentHelp("The directory to write the report into.", valueName: "dir"))
  var out: String = "hessian-report"

  @Option(help: "Top eigenvalues of the full Hessian.")
  var top: Int = 5

  @Option(help: "Lanczos' relative residual tolerance.")
  var tolerance: Double = 1e-3

  @Option(help: "The trace's target relative standard error.")
  var targetError: Double = 0.01

  @Option(help: "The trace's budget of Hessian-vector products.")
  var maxProbes: Int = 1000

  @Option(help: "Lanczos steps of the spectral density.")
  var steps: Int = 100

  @Option(
    help: ArgumentHelp(
      "Probes of the spectral density (independent Lanczos runs; from 2 on, the SLQ trace "
        + "gets a standard error across them)."))
  var probes: Int = 4

  @Option(help: "Points of the 1-D landscape curves.")
  var grid: Int = 41

  @Option(name: .customLong("grid-2d"), help: "Points per axis of the 2-D landscape.")
  var grid2D: Int = 21

  @Option(
    help: "The landscapes span -radius...radius along each (unit or filter-normalized) direction.")
  var radius: Double = 1

  @Option(
    help: ArgumentHelp(
      "Models with at most this many parameters also get the dense Hessian, to check the "
        + "estimates against exact values (0 to skip)."))
  var exactCheckLimit: Int = 2000

  var reportDirectory: String? { out }

  func validate() throws {
    guard top >= 2 else {
      throw ValidationError("--top must be at least 2 (the 2-D landscape uses two eigenvectors)")
    }
    guard tolerance > 0 && tolerance < 1 else {
      throw ValidationError("--tolerance must be in (0, 1)")
    }
    guard targetError >= 0 else { throw ValidationError("--target-error must be >= 0") }
    guard maxProbes >= 2 else { throw ValidationError("--max-probes must be at least 2") }
    guard steps >= 2, probes >= 1 else {
      throw ValidationError("--steps must be >= 2 and --probes >= 1")
    }
    guard grid >= 3, grid2D >= 3, grid <= 401, grid2D <= 201 else {
      throw ValidationError("--grid must be in 3...401 and --grid-2d in 3...201")
    }
    guard radius > 0 && radius.isFinite else { throw ValidationError("--radius must be positive") }
    try options.reject(perLayerIn: Self.name)
    try options.reject(gaussNewtonIn: Self.name)
    if options.analysis.parameterPattern != nil {
      throw ValidationError("the report covers all parameters: --parameters does not apply")
    }
  }

  func execute<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> CommandResult {
    let hessian = try context.hessian(workload)
    let n = hessian.dimension
    guard top < n else {
      throw CLIError("report: --top \(top) needs fewer than the model's \(n) parameters")
    }
    var generator = SeededGenerator(seed: context.seed)
    let observed = ObservedOperator(base: hessian, progress: context.progress)

    context.progress.begin("report 1/5: top \(top) eigenvalues (Lanczos)", budget: 1000)
    let eigen = try eigenpairs(
      of: observed, count: top, tolerance: tolerance, maxMatvecs: 1000, using: &generator,
      progress: context.progress.eigenReporter)
    context.progress.end(
      "report 1/5: eigenvalues \(eigen.eigenvalues.map(format).joined(separator: ", ")) "
        + "in \(eigen.matvecCount) HVPs")

    let outputs = try workload.outputsPerSample()
    let sketch = Swift.min(n - 1, Swift.max(top, outputs))
    context.progress.begin("report 2/5: trace (Hutch++, sketch \(sketch))", budget: maxProbes)
    let trace = try hutchPlusPlusTrace(
      of: observed, lowRankDimension: sketch, targetRelativeError: targetError,
      maxMatvecs: Swift.max(maxProbes, 2 * sketch + 2), using: &generator,
      progress: context.progress.traceReporter)
    context.progress.end(
      "report 2/5: trace \(format(trace.estimate)) ± \(format(trace.standardError))")

    let steps = Swift.min(self.steps, n)
    context.progress.begin("report 3/5: spectral density", total: steps * probes)
    let density = try spectralDensity(
      of: observed, lanczosSteps: steps, probeCount: probes, using: &generator)
    context.progress.end(
      "report 3/5: density from \(density.matvecCount) HVPs; SLQ trace "
        + format(density.traceEstimate)
        + (density.traceStandardError.map { " ± " + format($0) } ?? ""))

    var exact: ExactCheck?
    if n <= exactCheckLimit {
      context.progress.begin("report: dense Hessian for the exact check", total: n)
      let dense = try DenseHessian(
        of: observed, segments: hessian.segments, scope: hessian.scope)
      let spectrum = try dense.eigendecomposition().eigenvalues
      exact = ExactCheck(
        eigenvalues: Array(spectrum.reversed().prefix(top)), trace: dense.trace, hvpCount: n)
      context.progress.end("report: exact eigenvalues and trace from \(n) HVPs")
    }

    let layers = try perLayer(workload, context: context)
    let blockReport = options.analysis.blocks ? try blocks(workload, context: context) : nil

    let vector = { (i: Int) -> LandscapeDirection<Scalar> in
      .vector(
        eigen.eigenvectors.slice(i..<i + 1, alongAxis: 0).reshaped(to: [n]),
        label: "eigenvector \(i + 1) (λ = \(format(eigen.eigenvalues[i])))")
    }
    let curves = try landscape1D(
      workload,
      directions: [
        vector(0), .filterNormalizedRandom(includeBiasesAndBatchNorm: false), .gradient,
      ],
      grid: LandscapeGrid(-radius...radius, pointCount: grid), context: context)
    let surface = try landscape2D(
      workload, directions: [vector(0), vector(1)],
      grid: LandscapeGrid(-radius...radius, pointCount: grid2D), context: context)

    let plots = ReportPlots(
      density: Charts.density(density, topEigenvalues: eigen.eigenvalues),
      layers: Charts.layers(layers),
      landscape1D: Charts.landscape1D(curves),
      landscape2D: Charts.landscape2D(surface))
    let hvps =
      eigen.matvecCount + trace.matvecCount + density.matvecCount
      + layers.reduce(0) { $0 + $1.hvpCount } + (exact?.hvpCount ?? 0)
      + (blockReport?.hvpCount ?? 0)
    let html = ReportPage(
      workload: workload.title, fields: workload.fields, eigen: eigen, trace: trace,
      density: density, layers: layers, curves: curves, surface: surface, plots: plots,
      exact: exact, blocks: blockReport,
      seed: context.seed, hvpCount: hvps
    ).html()
    let directory = URL(fileURLWithPath: out)
    var files = (plots.files + (blockReport?.files ?? [])).map {
      (directory.appendingPathComponent($0.name).path, Data($0.svg.utf8))
    }
    files.append((directory.appendingPathComponent("report.html").path, Data(html.utf8)))
    let traceResult = TraceResult(trace)
    return CommandResult(
      fields: [
        "scope": "full",
        "parameter_count": .integer(n),
        "eigen": ([
          "eigenvalues": .numbers(eigen.eigenvalues), "residuals": .numbers(eigen.residuals),
          "relative_residuals": .numbers(eigen.relativeResiduals),
          "converged": .booleans(eigen.converged), "tolerance": .number(tolerance),
          "hvp_count": .integer(eigen.matvecCount),
        ] as JSONDocument).adding(eigen.evidenceFields),
        "trace": [
          "trace": .number(traceResult.trace), "standard_error": .number(traceResult.standardError),
          "converged": .bool(traceResult.converged), "method": .string(traceResult.method.rawValue),
          "hvp_count": .integer(traceResult.hvpCount),
        ],
        "density": densityJSON(density, scope: "full"),
        "exact": exact.map {
          [
            "eigenvalues": .numbers($0.eigenvalues), "trace": .number($0.trace),
            "hvp_count": .integer($0.hvpCount),
          ]
        } ?? .null,
        "layers": .array(layers.map(layerJSON)),
        "blocks": blockReport?.json ?? .null,
        "landscape_1d": curvesJSON(curves),
        "landscape_2d": surfaceJSON(surface),
        "hvp_count": .integer(hvps),
        "files": .strings(
          (plots.files + (blockReport?.files ?? [])).map(\.name) + ["report.html", "report.json"]),
      ],
      files: files,
      summary: "report written to \(out)/report.html (\(hvps) HVPs)")
  }

  /// Each layer's top eigenvalue and trace (dense for layers of at most 256 parameters), one
  /// progress phase per layer. The products are counted as they happen, so the estimators
  /// only show their estimates.
  func perLayer<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> [CurvatureSummary] {
    let layers = try context.layerHessians(workload, checkDeterminism: false)
    var generator = SeededGenerator(seed: context.seed)
    var summaries: [CurvatureSummary] = []
    for layer in layers {
      context.progress.begin(
        "report 4/5 \(layer.label): top eigenvalue and trace of "
          + "\(layer.hessian.dimension) parameters")
      let summary = try curvatureSummary(
        of: layer.hessian, eigenvalueCount: 1, tolerance: tolerance,
        traceTargetRelativeError: targetError, traceMaxMatvecs: maxProbes, denseThreshold: 256,
        using: &generator, eigenProgress: context.progress.eigenEstimateReporter,
        traceProgress: context.progress.traceEstimateReporter)
      let trace = summary.trace
      context.progress.end(
        "report 4/5 \(layer.label): \(eigenvalueLine(summary.eigenvalueSummary)), trace "
          + format(trace.trace)
          + (trace.method == .exact ? " (exact)" : " ± " + format(trace.standardError))
          + ", \(summary.hvpCount) HVPs")
      summaries.append(summary)
    }
    let hvps = summaries.reduce(0) { $0 + $1.hvpCount }
    context.progress.note("report 4/5: \(layers.count) layers in \(hvps) HVPs")
    return summaries
  }
}
