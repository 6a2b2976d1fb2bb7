// hessian landscape: the loss along directions from the trained weights (top Hessian
// eigenvector, filter-normalized random, gradient) on a 1-D or 2-D grid, optionally plotted.

import ArgumentParser
import Foundation
import HessianAnalysis
import Plots
import TensorCore
import TensorIO

enum DirectionName: String, ExpressibleByArgument, CaseIterable {
  case eigenvector, random, gradient
}

struct Landscape: AnalysisCommand {
  static let name = "landscape"
  static let configuration = CommandConfiguration(
    abstract: "The loss around the trained weights along one or two directions.",
    discussion: """
      L(θ + α d₁ + β d₂) on a grid of --grid points per axis from -radius to radius. \
      Directions: eigenvector (the Hessian's top eigenvectors, unit length), random \
      (filter-normalized, Li et al. 2018: each filter scaled to its weights' norm; biases and \
      BatchNorm parameters zeroed unless --include-bias-bn), gradient (unit length). \
      Repeat --direction to compare curves in 1-D; --two-d uses the first two (or two of the \
      same kind).

      JSON (1-D): alphas and one {direction, direction_norm, losses} per direction; (2-D): \
      alphas, betas, losses[j][i] at (alphas[i], betas[j]), directions, direction_norms.
      """)

  @OptionGroup var options: SharedOptions

  var outputPaths: [String?] { [plot] }

  @Option(help: "A direction; repeat to compare several (default: eigenvector).")
  var direction: [DirectionName] = []

  @Flag(help: "A 2-D grid over two directions instead of 1-D curves.")
  var twoD = false

  @Option(help: "Grid points per axis.")
  var grid: Int = 21

  @Option(help: "The grid spans -radius...radius along each direction.")
  var radius: Double = 1

  @Flag(help: "Random directions also move biases and BatchNorm parameters.")
  var includeBiasBn = false

  @Option(help: ArgumentHelp("Write the plot as SVG.", valueName: "file.svg"))
  var plot: String?

  func validate() throws {
    guard grid >= 3 && grid <= 401 else { throw ValidationError("--grid must be in 3...401") }
    guard radius > 0 && radius.isFinite else { throw ValidationError("--radius must be positive") }
    try options.reject(perLayerIn: Self.name)
    try options.reject(gaussNewtonIn: Self.name)
    if options.analysis.parameterPattern != nil {
      throw ValidationError("the landscape moves all parameters: --parameters does not apply")
    }
    if twoD && direction.count > 2 {
      throw ValidationError("--two-d takes at most two --direction values")
    }
    if twoD && direction == [.gradient] {
      throw ValidationError("--two-d with the gradient needs a second --direction")
    }
  }

  /// The library directions for `kinds`, eigenvectors numbered in order.
  func directions<Scalar>(_ kinds: [DirectionName]) -> [LandscapeDirection<Scalar>] {
    var eigenvectors = 0
    return kinds.map { kind in
      switch kind {
      case .eigenvector:
        defer { eigenvectors += 1 }
        return .hessianEigenvector(index: eigenvectors)
      case .random: return .filterNormalizedRandom(includeBiasesAndBatchNorm: includeBiasBn)
      case .gradient: return .gradient
      }
    }
  }

  func execute<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> CommandResult {
    let kinds = direction.isEmpty ? [DirectionName.eigenvector] : direction
    let axis = LandscapeGrid(-radius...radius, pointCount: grid)
    if twoD {
      let pair = kinds.count == 2 ? kinds : [kinds[0], kinds[0]]
      let surface = try landscape2D(
        workload, directions: directions(pair), grid: axis, context: context)
      var files: [(String, Data)] = []
      if let plot {
        files.append((plot, Data(Charts.landscape2D(surface).svg().utf8)))
      }
      return CommandResult(
        fields: surfaceJSON(surface), files: files,
        summary: "loss surface on \(grid)x\(grid) points, center \(format(surface.centerLoss))")
    }
    let curves = try landscape1D(
      workload, directions: directions(kinds), grid: axis, context: context)
    var files: [(String, Data)] = []
    if let plot {
      files.append((plot, Data(Charts.landscape1D(curves).svg().utf8)))
    }
    return CommandResult(
      fields: curvesJSON(curves), files: files,
      summary: "loss along \(curves.map { $0.directions[0] }.joined(separator: ", ")) "
        + "(\(grid) points each), center \(format(curves[0].centerLoss))")
  }
}

/// One 1-D landscape per direction (the determinism check runs once).
func landscape1D<Scalar>(
  _ workload: Workload<Scalar>, directions: [LandscapeDirection<Scalar>], grid: LandscapeGrid,
  context: RunContext
) throws -> [LossLandscape] {
  var curves: [LossLandscape] = []
  for (i, d) in directions.enumerated() {
    context.progress.begin(
      "landscape: loss along \(d.label)", total: grid.pointCount, unit: "points")
    curves.append(
      try explained {
        try lossLandscape(
          model: workload.model, loss: workload.loss, data: workload.data, directions: [d],
          grid: grid, seed: context.seed &+ UInt64(i),
          checkDeterminism: i == 0 && context.checksDeterminism
        ) { done, _ in context.progress.update(done: done) }
      })
    context.progress.end("landscape: \(d.label)")
  }
  return curves
}

/// The 2-D landscape over two directions.
func landscape2D<Scalar>(
  _ workload: Workload<Scalar>, directions: [LandscapeDirection<Scalar>], grid: LandscapeGrid,
  context: RunContext
) throws -> LossLandscape {
  let points = grid.pointCount * grid.pointCount
  context.progress.begin(
    "landscape: loss on the plane of \(directions[0].label) and \(directions[1].label)",
    total: points, unit: "points")
  let surface = try explained {
    try lossLandscape(
      model: workload.model, loss: workload.loss, data: workload.data, directions: directions,
      grid: grid, seed: context.seed, checkDeterminism: context.checksDeterminism
    ) { done, _ in context.progress.update(done: done) }
  }
  context.progress.end("landscape: \(points) points")
  return surface
}

func curvesJSON(_ curves: [LossLandscape]) -> JSONDocument {
  [
    "scope": "full",
    "alphas": .numbers(curves.first?.alphas ?? []),
    "center_loss": .number(curves.first?.centerLoss ?? .nan),
    "curves": .array(
      curves.map {
        [
          "direction": .string($0.directions[0]),
          "direction_norm": .number($0.directionNorms[0]),
          "losses": .numbers($0.losses[0]),
          "hvp_count": .integer($0.hvpCount),
        ]
      }),
    "loss_evaluations": .integer(curves.reduce(0) { $0 + $1.lossEvaluations }),
    "hvp_count": .integer(curves.reduce(0) { $0 + $1.hvpCount }),
  ]
}

func surfaceJSON(_ s: LossLandscape) -> JSONDocument {
  [
    "scope": "full",
    "directions": .strings(s.directions),
    "direction_norms": .numbers(s.directionNorms),
    "alphas": .numbers(s.alphas),
    "betas": .numbers(s.betas),
    "losses": .array(s.losses.map { .numbers($0) }),
    "center_loss": .number(s.centerLoss),
    "loss_evaluations": .integer(s.lossEvaluations),
    "hvp_count": .integer(s.hvpCount),
  ]
}
