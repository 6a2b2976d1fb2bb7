// hessian density: the eigenvalue spectral density by stochastic Lanczos quadrature, as raw
// nodes and weights and as a Gaussian-smoothed curve, optionally plotted.

import ArgumentParser
import Foundation
import HessianAnalysis
import MatrixFree
import Plots
import TensorCore
import TensorIO

struct Density: AnalysisCommand {
  static let name = "density"
  static let configuration = CommandConfiguration(
    abstract: "The eigenvalue spectral density of the Hessian (stochastic Lanczos quadrature).",
    discussion: """
      Each probe runs --steps Lanczos steps; the Ritz values are the nodes and the squared \
      first components of their vectors the weights (Ghorbani, Krishnan and Xiao 2019). The \
      density is their Gaussian smoothing on a grid, integrating to 1. Each probe's n Σ \
      weight × node is a Hutchinson sample of the trace: trace_estimate is their mean and, \
      with --probes 2 or more, trace_standard_error their standard error (null for one probe).

      JSON: nodes, weights (one list per probe), grid, density, kernel_width, trace_estimate, \
      trace_standard_error, hvp_count.

      With --blocks: one density per parameter block ("blocks", each with its name, kind and \
      the fields above), and "heterogeneity": the Jensen-Shannon distance between every two \
      blocks' spectra (Zhang et al. 2024), after smoothing every block's quadrature with one \
      Gaussian width on one grid; --plot then draws the distances as a heat map.
      """)

  @OptionGroup var options: SharedOptions

  var outputPaths: [String?] { [plot] }

  @Option(help: "Lanczos steps per probe (at most the number of parameters).")
  var steps: Int = 100

  @Option(help: "Random probes (independent Lanczos runs), averaged; 2+ for a trace error bar.")
  var probes: Int = 1

  @Option(help: "Points of the smoothed density's grid.")
  var gridPoints: Int = 1024

  @Option(help: ArgumentHelp("Write the density plot (log scale) as SVG.", valueName: "file.svg"))
  var plot: String?

  func validate() throws {
    guard steps >= 2 else { throw ValidationError("--steps must be at least 2") }
    guard probes >= 1 else { throw ValidationError("--probes must be at least 1") }
    guard gridPoints >= 16 else { throw ValidationError("--grid-points must be at least 16") }
    if options.analysis.perLayer {
      throw ValidationError("--per-layer is not supported by `hessian density` (try --blocks)")
    }
  }

  func execute<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> CommandResult {
    if options.analysis.blocks { return try perBlock(workload, context: context) }
    let hessian = try context.curvature(workload)
    let steps = Swift.min(self.steps, hessian.dimension)
    var generator = SeededGenerator(seed: context.seed)
    context.progress.begin(
      "density: \(probes) probe(s) x \(steps) Lanczos steps", total: probes * steps)
    let density = try spectralDensity(
      of: ObservedOperator(base: hessian, progress: context.progress), lanczosSteps: steps,
      probeCount: probes, gridPoints: gridPoints, using: &generator)
    context.progress.end("density: \(density.matvecCount) HVPs")
    var files: [(String, Data)] = []
    if let plot {
      files.append((plot, Data(Charts.density(density).svg().utf8)))
    }
    let largest = density.nodes.compactMap { $0.max() }.max() ?? .nan
    let smallest = density.nodes.compactMap { $0.min() }.min() ?? .nan
    return CommandResult(
      fields: densityJSON(density, scope: hessian.scope.description), files: files,
      summary: "density over [\(format(smallest)), \(format(largest))] from "
        + "\(density.matvecCount) HVPs; trace estimate \(format(density.traceEstimate))"
        + (density.traceStandardError.map { " ± " + format($0) } ?? " (one probe: no error bar)"))
  }
}

extension Density {
  /// One density per parameter block, and the Jensen-Shannon distances between them.
  func perBlock<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> CommandResult {
    let blocks = try context.blockHessians(workload, checkDeterminism: context.checksDeterminism)
    var generator = SeededGenerator(seed: context.seed)
    var densities: [SpectralDensity] = []
    for block in blocks {
      let steps = Swift.min(self.steps, block.hessian.dimension)
      context.progress.begin(
        "\(block.label): \(probes) probe(s) x \(steps) Lanczos steps", total: probes * steps)
      let density = try spectralDensity(
        of: block.hessian, lanczosSteps: steps, probeCount: probes, gridPoints: gridPoints,
        using: &generator)
      context.progress.end("\(block.label): \(density.matvecCount) HVPs")
      densities.append(density)
    }
    let heterogeneity = SpectralHeterogeneity(densities, gridPoints: gridPoints)
    let names = blocks.map(\.hessian.base.block.name)
    var files: [(String, Data)] = []
    if let plot {
      files.append((plot, Data(Charts.heterogeneity(heterogeneity, names: names).svg().utf8)))
    }
    let hvps = densities.reduce(0) { $0 + $1.matvecCount }
    return CommandResult(
      fields: [
        "scope": "blocks",
        "blocks": .array(
          zip(blocks, densities).map { block, density in
            merged(
              blockJSON(block.hessian.base.block),
              densityJSON(density, scope: block.hessian.scope.description))
          }),
        "heterogeneity": heterogeneityJSON(heterogeneity, names: names),
        "hvp_count": .integer(hvps),
      ], files: files,
      summary: "densities of \(blocks.count) blocks from \(hvps) HVPs; mean Jensen-Shannon "
        + "distance between blocks \(format(heterogeneity.meanDistance))")
  }
}

/// The heterogeneity's JSON: the method in words, the block names and the distance matrix.
func heterogeneityJSON(_ h: SpectralHeterogeneity, names: [String]) -> JSONDocument {
  [
    "method": """
      Jensen-Shannon distance (square root of the divergence, base-2 logarithms, in [0, 1]) \
      between the blocks' SLQ densities, each re-smoothed from its quadrature with one \
      Gaussian width (Papyan's rule on the pooled nodes) on one grid spanning all blocks
      """,
    "kernel_width": .number(h.kernelWidth),
    "names": .strings(names),
    "distances": .array(h.distances.map { .numbers($0) }),
    "mean_distance": .number(h.meanDistance),
  ]
}

/// The density's JSON fields.
func densityJSON(_ d: SpectralDensity, scope: String) -> JSONDocument {
  [
    "scope": .string(scope),
    "parameter_count": .integer(d.dimension),
    "lanczos_steps": .integer(d.lanczosSteps),
    "probe_count": .integer(d.probeCount),
    "hvp_count": .integer(d.matvecCount),
    "kernel_width": .number(d.kernelWidth),
    "trace_estimate": .number(d.traceEstimate),
    "trace_standard_error": d.traceStandardError.map { .number($0) } ?? .null,
    "nodes": .array(d.nodes.map { .numbers($0) }),
    "weights": .array(d.weights.map { .numbers($0) }),
    "grid": .numbers(d.grid),
    "density": .numbers(d.density),
  ]
}
