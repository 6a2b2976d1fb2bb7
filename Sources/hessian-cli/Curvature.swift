// `--curvature`: the matrix a subcommand analyzes, the Hessian or the generalized Gauss-Newton
// matrix, behind one operator type so that eigen, trace, diag, density, dense and hvp serve both.

import ArgumentParser
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore

/// The matrix `--curvature` selects.
enum CurvatureName: String, ExpressibleByArgument, CaseIterable {
  case hessian
  case ggn
}

/// The workload's Hessian or its generalized Gauss-Newton matrix, as one operator.
enum WorkloadCurvature<Scalar: TensorScalar>: CurvatureOperator {
  case hessian(HessianOperator<Scalar>)
  /// The GGN, with the parameter selection it was built on (for the loss and gradient).
  case gaussNewton(GaussNewtonOperator<Scalar>, selection: ParameterSelection)

  private var base: any CurvatureOperator {
    switch self {
    case .hessian(let h): h
    case .gaussNewton(let g, _): g
    }
  }

  var dimension: Int { base.dimension }
  var segments: [VectorSegment] { base.segments }
  var scope: CurvatureScope { base.scope }
  var method: DifferentiationMethod { base.method }
  var hvpCount: Int { base.hvpCount }
  var primalCacheBytes: Int { base.primalCacheBytes }
  func releasePrimalCache() { base.releasePrimalCache() }

  func apply(_ block: Tensor<Scalar>) throws -> Tensor<Scalar> {
    switch self {
    case .hessian(let h): try h.apply(block)
    case .gaussNewton(let g, _): try g.apply(block)
    }
  }

  /// The data-set loss and its gradient over the selected parameters (the same for both
  /// matrices; for the GGN from a Hessian operator that takes no product).
  func lossAndGradient() throws -> (loss: Double, gradient: Tensor<Scalar>) {
    switch self {
    case .hessian(let h):
      return try h.lossAndGradient()
    case .gaussNewton(let g, let selection):
      return try HessianOperator(
        model: g.model, loss: g.loss, data: g.data, parameters: selection,
        checkDeterminism: false
      ).lossAndGradient()
    }
  }
}

extension RunContext {
  /// The matrix `--curvature` names over the workload (restricted by --parameters), checked
  /// for determinism unless --skip-determinism-check.
  func curvature<Scalar>(_ workload: Workload<Scalar>) throws -> WorkloadCurvature<Scalar> {
    switch options.analysis.curvature {
    case .hessian:
      return .hessian(try hessian(workload))
    case .ggn:
      if checksDeterminism {
        progress.note("checking that two gradient passes agree (determinism)")
      }
      let ggn = try explained {
        try GaussNewtonOperator(
          model: workload.model, loss: workload.loss, data: workload.data, parameters: selection,
          method: method, checkDeterminism: checksDeterminism)
      }
      return .gaussNewton(ggn, selection: selection)
    }
  }
}

extension SharedOptions {
  /// A refusal of `--curvature ggn` for a subcommand that analyzes the Hessian only.
  func reject(gaussNewtonIn command: String) throws {
    if analysis.curvature == .ggn {
      throw ValidationError(
        "--curvature ggn is not supported by `hessian \(command)` (eigen, trace, diag, density, "
          + "dense and hvp take it)")
    }
  }
}
