// hessian eigen: the extreme eigenvalues of the Hessian (Lanczos or PyHessian's power
// iteration), each with its residual and converged flag; per layer with --per-layer.

import ArgumentParser
import Foundation
import HessianAnalysis
import MatrixFree
import TensorCore
import TensorIO

enum EigenMethodName: String, ExpressibleByArgument, CaseIterable {
  case lanczos, power
}

struct Eigen: AnalysisCommand {
  static let name = "eigen"
  static let configuration = CommandConfiguration(
    abstract: "The largest or smallest eigenvalues of the Hessian, with residuals.",
    discussion: """
      Lanczos with full reorthogonalization stops when every wanted pair has converged and a \
      deflation check has found no eigenvalue beyond them; each pair is reported with its true residual, a converged flag, \
      and the answer with a verified flag. \(convergenceRuleHelp) --method power is \
      PyHessian's deflated power iteration (largest magnitude), for comparison.

      --per-layer gives each layer's own diagonal block's top eigenvalues, layer by layer \
      (blocks of at most 32 parameters are decomposed densely), and nothing else: each \
      layer's trace is `hessian trace --per-layer`'s.

      JSON: eigenvalues, residuals (||Hv - λv||), relative_residuals, converged, verified, \
      residual_floor, miss_check {checks, found, hvp_count, next_ritz_values}, hvp_count, \
      seconds, seed, scope; with --per-layer a "layers" list of {name, parameter_count, \
      eigenvalues, residuals, converged, verified, eigen_method, hvp_count}.
      """)

  @OptionGroup var options: SharedOptions

  var outputPaths: [String?] { [vectors] }

  @Option(help: "The K largest eigenvalues (default 1 unless --bottom is given).")
  var top: Int?

  @Option(help: "The K smallest (most negative) eigenvalues.")
  var bottom: Int?

  @Option(help: "The eigensolver.")
  var method: EigenMethodName = .lanczos

  @Option(help: "Relative residual ||Hv - λv|| / |λ| at which a pair has converged.")
  var tolerance: Double = 1e-3

  @Option(name: .customLong("max-hvps"), help: "The budget of Hessian-vector products.")
  var maxHVPs: Int = 1000

  @Option(help: "Directions per Lanczos product (block Lanczos when above 1).")
  var blockSize: Int = 1

  @Option(
    help: ArgumentHelp(
      "Save the eigenvectors as a [K, n] .npy array (rows in the order of the eigenvalues).",
      valueName: "file.npy"))
  var vectors: String?

  func validate() throws {
    if let top, top < 1 { throw ValidationError("--top must be at least 1") }
    if let bottom, bottom < 1 { throw ValidationError("--bottom must be at least 1") }
    if top != nil && bottom != nil && top != bottom {
      throw ValidationError("--top and --bottom together need the same count (both ends)")
    }
    if method == .power && bottom != nil {
      throw ValidationError(
        "--method power finds the largest-magnitude eigenvalues only; use lanczos for --bottom")
    }
    guard tolerance > 0 && tolerance < 1 else {
      throw ValidationError("--tolerance must be in (0, 1), got \(tolerance)")
    }
    guard maxHVPs >= 2 else { throw ValidationError("--max-hvps must be at least 2") }
    guard blockSize >= 1 else { throw ValidationError("--block-size must be at least 1") }
    if (options.analysis.perLayer || options.analysis.blocks)
      && (bottom != nil || method == .power || vectors != nil || blockSize != 1)
    {
      let flag = options.analysis.blocks ? "--blocks" : "--per-layer"
      throw ValidationError(
        "\(flag) gives each block's top eigenvalues: use --top, --tolerance and "
          + "--max-hvps only (not --bottom, --method power, --vectors or --block-size)")
    }
  }

  var which: SpectrumEnd {
    switch (top, bottom) {
    case (.some, .some): .bothEnds
    case (nil, .some): .smallest
    default: method == .power ? .largestMagnitude : .largest
    }
  }

  var count: Int { top ?? bottom ?? 1 }

  func execute<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> CommandResult {
    if options.analysis.perLayer {
      let layers = try context.layerHessians(
        workload, checkDeterminism: context.checksDeterminism)
      return try perBlock(layers, scope: "per-layer", key: "layers", context: context) {
        layerJSON($1)
      }
    }
    if options.analysis.blocks {
      let blocks = try context.blockHessians(
        workload, checkDeterminism: context.checksDeterminism)
      return try perBlock(blocks, scope: "blocks", key: "blocks", context: context) {
        merged(blockJSON($0.hessian.base.block), layerJSON($1))
      }
    }
    let hessian = try context.curvature(workload)
    let n = hessian.dimension
    let wanted = which == .bothEnds ? 2 * count : count
    let label = which == .bothEnds ? "\(count) at each end" : "\(which.rawValue) \(count)"
    guard wanted < n || (method == .power && count <= n) else {
      throw CLIError(
        "eigen: \(wanted) eigenvalues requested but the Hessian has only \(n) dimensions; "
          + "Lanczos needs fewer than n (use `hessian dense` for all of them)")
    }
    let minimum = blockSize * ((wanted + blockSize - 1) / blockSize) + wanted
    guard method == .power || (blockSize <= n && maxHVPs >= minimum) else {
      throw CLIError(
        "eigen: --max-hvps \(maxHVPs) is below the \(minimum) products that \(wanted) "
          + "eigenpairs with --block-size \(blockSize) need at least")
    }
    var generator = SeededGenerator(seed: context.seed)
    let observed = ObservedOperator(base: hessian, progress: context.progress)
    context.progress.begin("eigen: \(method.rawValue), \(label) of \(n)", budget: maxHVPs)
    let result =
      switch method {
      case .lanczos:
        try eigenpairs(
          of: observed, count: count, which: which, tolerance: tolerance, maxMatvecs: maxHVPs,
          blockSize: blockSize, using: &generator, progress: context.progress.eigenReporter)
      case .power:
        try deflatedPowerIteration(
          of: observed, count: count, tolerance: tolerance,
          maxIterations: Swift.max(1, maxHVPs / count - 1), residualTolerance: tolerance,
          using: &generator)
      }
    let converged = result.converged.filter { $0 }.count
    context.progress.end(
      "eigen: \(converged)/\(result.eigenvalues.count) converged in \(result.matvecCount) HVPs")
    var files: [(String, Data)] = []
    if let vectors {
      files.append((vectors, try NumPy.encode(StoredTensor(result.eigenvectors))))
    }
    let summary =
      "eigenvalues " + result.eigenvalues.map(format).joined(separator: ", ")
      + " (\(hessian.scope), \(result.matvecCount) HVPs"
      + (result.allConverged ? "" : ", NOT all converged: raise --max-hvps")
      + result.verificationPhrase + ")"
    let fields: JSONDocument = [
        "scope": .string(hessian.scope.description),
        "parameter_count": .integer(n),
        "method": .string(method.rawValue), "which": .string(which.rawValue),
        "eigenvalues": .numbers(result.eigenvalues),
        "residuals": .numbers(result.residuals),
        "relative_residuals": .numbers(result.relativeResiduals),
        "converged": .booleans(result.converged),
        "tolerance": .number(tolerance),
        "hvp_count": .integer(result.matvecCount),
        "block_size": .integer(blockSize),
        "restarts": .integer(result.restarts),
      ]
    return CommandResult(
      fields: fields.adding(result.evidenceFields), files: files, summary: summary)
  }

  /// Each layer's or block's top eigenvalues (diagonal blocks of the Hessian), one progress
  /// phase per block; no product goes to anything else (traces are `hessian trace`'s).
  func perBlock<Operator: CurvatureOperator>(
    _ layers: [ObservedLayer<Operator>], scope: String, key: String, context: RunContext,
    json: (ObservedLayer<Operator>, EigenvalueSummary) -> JSONDocument
  ) throws -> CommandResult {
    var generator = SeededGenerator(seed: context.seed)
    var summaries: [EigenvalueSummary] = []
    for layer in layers {
      context.progress.begin(
        "\(layer.label): top \(count) of \(layer.hessian.dimension) parameters", budget: maxHVPs)
      let summary = try eigenvalueSummary(
        of: layer.hessian, count: count, tolerance: tolerance, maxMatvecs: maxHVPs,
        using: &generator, progress: context.progress.eigenEstimateReporter)
      context.progress.end("\(layer.label): \(eigenvalueLine(summary)), \(summary.hvpCount) HVPs")
      summaries.append(summary)
    }
    let hvps = summaries.reduce(0) { $0 + $1.hvpCount }
    context.progress.note("eigen: \(layers.count) \(key) in \(hvps) HVPs")
    let converged = summaries.allSatisfy { $0.converged.allSatisfy { $0 } }
    let summary = summaries.map { "\($0.name) \(format($0.eigenvalues[0]))" }
      .joined(separator: ", ")
    return CommandResult(
      fields: [
        "scope": .string(scope),
        key: .array(zip(layers, summaries).map(json)),
        "hvp_count": .integer(hvps),
        "tolerance": .number(tolerance),
      ],
      summary: "top eigenvalue per \(key == "layers" ? "layer" : "block"): " + summary
        + (converged ? "" : " (NOT all converged: raise --max-hvps)"))
  }
}

/// One layer's eigenvalues: name, size, eigenvalues with their evidence, and their cost.
func layerJSON(_ s: EigenvalueSummary) -> JSONDocument {
  [
    "name": .string(s.name),
    "parameter_count": .integer(s.parameterCount),
    "parameters": .strings(s.parameterNames),
    "eigenvalues": .numbers(s.eigenvalues),
    "residuals": .numbers(s.residuals),
    "converged": .booleans(s.converged),
    "verified": .bool(s.verified),
    "eigen_method": .string(s.eigenMethod),
    "hvp_count": .integer(s.hvpCount),
  ]
}

/// One layer's eigenvalues and trace (the report's layers).
func layerJSON(_ s: CurvatureSummary) -> JSONDocument {
  layerJSON(s.eigenvalueSummary)
    .adding("trace", .number(s.trace.trace))
    .adding("trace_standard_error", .number(s.trace.standardError))
    .adding("trace_method", .string(s.trace.method.rawValue))
    .adding("hvp_count", .integer(s.hvpCount))
}
