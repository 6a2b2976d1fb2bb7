// Result structures: every number labeled with its scope, its cost in products and its seed.

import MatrixFree

/// A trace with the evidence of its accuracy.
public struct TraceResult: Codable, Sendable, Equatable {
  /// How the trace was computed.
  public enum Method: String, Codable, Sendable, CaseIterable {
    /// Exactly, from `n` products with the unit vectors (`standardError` 0).
    case exact
    /// Hutchinson's estimator (Hutchinson 1989) with its stop rule on the standard error.
    case hutchinson
    /// Hutch++ (Meyer, Musco, Musco & Woodruff 2021).
    case hutchPlusPlus = "hutch++"
    /// The samples `z_lᵀ (H z)_l` of one Hutchinson run on the full Hessian, split by layer
    /// (unbiased for each layer's block; see
    /// ``perLayerTraceEstimates(of:targetRelativeError:minimumSampleCount:maxMatvecs:blockSize:seed:)``).
    case hutchinsonSplit = "hutchinson-split"
    /// Stratified Hutchinson: each layer's block sampled on its own operator, the trace their
    /// sum (see
    /// ``stratifiedLayerTraces(of:targetRelativeError:pilotSampleCount:maxMatvecs:distribution:blockSize:seed:progress:)``).
    case stratified
  }

  /// The trace (estimate).
  public var trace: Double
  /// Its standard error (0 when exact).
  public var standardError: Double
  /// Products spent, in vectors.
  public var hvpCount: Int
  /// Random samples averaged (0 when exact).
  public var sampleCount: Int
  /// Whether the target standard error was met (true when exact).
  public var converged: Bool
  /// The method.
  public var method: Method

  /// Creates a result.
  public init(
    trace: Double, standardError: Double, hvpCount: Int, sampleCount: Int, converged: Bool,
    method: Method
  ) {
    self.trace = trace
    self.standardError = standardError
    self.hvpCount = hvpCount
    self.sampleCount = sampleCount
    self.converged = converged
    self.method = method
  }

  /// A result from MatrixFree's Hutchinson or Hutch++ estimate.
  public init(_ estimate: TraceEstimate) {
    self.init(
      trace: estimate.estimate, standardError: estimate.standardError,
      hvpCount: estimate.matvecCount, sampleCount: estimate.sampleCount,
      converged: estimate.converged,
      method: estimate.lowRankDimension > 0 ? .hutchPlusPlus : .hutchinson)
  }
}

/// The top eigenvalues of one Hessian (full, one layer's block, ...) with the evidence of
/// their accuracy, labeled: what `hessian eigen --per-layer` reports per layer.
///
/// Encoded (with snake-case keys) as `{"scope": {"kind": "per-layer", "name": "0"}, "name": "0",
/// "parameter_count": 4, "eigenvalues": [20.0], "residuals": [0.0], "converged": [true],
/// "eigen_method": "dense", "hvp_count": 4, ...}`.
public struct EigenvalueSummary: Codable, Sendable, Equatable {
  /// Which Hessian: ``CurvatureScope/full`` or `per-layer <name>`.
  public var scope: CurvatureScope
  /// The layer's name (`full` for the full Hessian).
  public var name: String
  /// The parameters it covers, in order.
  public var parameterNames: [String]
  /// Its dimension `n`.
  public var parameterCount: Int
  /// The largest eigenvalues, descending (at most `n` of them).
  public var eigenvalues: [Double]
  /// Their residuals `||H y - lambda y||` (0 for a dense decomposition).
  public var residuals: [Double]
  /// Whether each meets the relative tolerance `||H y - lambda y|| <= tolerance |lambda|`.
  public var converged: [Bool]
  /// `lanczos`, or `dense` for blocks small enough to decompose exactly.
  public var eigenMethod: String
  /// The products the eigenvalues cost: Lanczos' count, or `n` for a dense block.
  public var hvpCount: Int
  /// True when no eigenvalue above the reported ones can have been missed: Lanczos' deflation
  /// check found none (``MissCheckReport/verified``), or the block was decomposed densely.
  public var verified: Bool

  /// Creates a summary.
  public init(
    scope: CurvatureScope, name: String, parameterNames: [String], parameterCount: Int,
    eigenvalues: [Double], residuals: [Double], converged: [Bool], eigenMethod: String,
    hvpCount: Int, verified: Bool
  ) {
    self.verified = verified
    self.scope = scope
    self.name = name
    self.parameterNames = parameterNames
    self.parameterCount = parameterCount
    self.eigenvalues = eigenvalues
    self.residuals = residuals
    self.converged = converged
    self.eigenMethod = eigenMethod
    self.hvpCount = hvpCount
  }
}

/// The top eigenvalues and the trace of one Hessian (full, one layer's block, ...), labeled.
///
/// Encoded (with snake-case keys, as the `hessian` tool writes it) as
/// `{"scope": {"kind": "per-layer", "name": "0"}, "name": "0", "parameter_count": 4,
/// "eigenvalues": [20.0], "trace": {"trace": 20.0, ...}, ...}`.
public struct CurvatureSummary: Codable, Sendable {
  /// Which Hessian: ``CurvatureScope/full`` or `per-layer <name>`.
  public var scope: CurvatureScope
  /// The layer's name (`full` for the full Hessian).
  public var name: String
  /// The parameters it covers, in order.
  public var parameterNames: [String]
  /// Its dimension.
  public var parameterCount: Int
  /// The largest eigenvalues, descending.
  public var eigenvalues: [Double]
  /// Their residuals `||H y - lambda y||`.
  public var residuals: [Double]
  /// Whether each meets the relative tolerance.
  public var converged: [Bool]
  /// `lanczos`, or `dense` for blocks small enough to decompose exactly.
  public var eigenMethod: String
  /// Products the eigenvalues cost.
  public var eigenMatvecCount: Int
  /// Whether no eigenvalue above the reported ones can have been missed
  /// (``EigenvalueSummary/verified``).
  public var verified: Bool
  /// The trace.
  public var trace: TraceResult
  /// All products spent on this Hessian.
  public var hvpCount: Int

  /// The eigenvalue part alone (its ``EigenvalueSummary/hvpCount`` is ``eigenMatvecCount``).
  public var eigenvalueSummary: EigenvalueSummary {
    EigenvalueSummary(
      scope: scope, name: name, parameterNames: parameterNames, parameterCount: parameterCount,
      eigenvalues: eigenvalues, residuals: residuals, converged: converged,
      eigenMethod: eigenMethod, hvpCount: eigenMatvecCount, verified: verified)
  }
}

/// Per-layer curvature: each layer's block, and the full Hessian for comparison.
public struct PerLayerCurvature: Codable, Sendable {
  /// The full Hessian's summary (scope ``CurvatureScope/full``), when requested.
  public var full: CurvatureSummary?
  /// One summary per layer (scope `per-layer <name>`), in model order.
  public var layers: [CurvatureSummary]
  /// The seed of every random choice (Lanczos starts, probes).
  public var seed: UInt64
  /// Exact or finite-difference products.
  public var method: DifferentiationMethod
  /// All products spent on the summaries (the determinism check's two passes not included).
  public var hvpCount: Int
}

/// A trace labeled with the Hessian it belongs to (one layer's parameter block, or one layer's
/// activations).
public struct LabeledTrace: Codable, Sendable {
  /// `per-layer <name>` or `activation <name>`.
  public var scope: CurvatureScope
  /// The layer's name.
  public var name: String
  /// The dimension of the Hessian (parameters of the layer, or activation entries).
  public var dimension: Int
  /// The trace with its standard error and cost.
  public var trace: TraceResult
  /// The seed of the probes.
  public var seed: UInt64

  /// Creates a labeled trace.
  public init(scope: CurvatureScope, name: String, dimension: Int, trace: TraceResult, seed: UInt64)
  {
    self.scope = scope
    self.name = name
    self.dimension = dimension
    self.trace = trace
    self.seed = seed
  }
}
