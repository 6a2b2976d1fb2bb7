// Per-layer (block-diagonal) curvature: each layer's diagonal block as its own operator, each
// layer's top eigenvalues and trace in one call, and the summary of one operator (eigenvalues
// alone, or with the trace) for callers that walk the layers themselves (to show progress).
//
// Why not all layers' blocks from one pass? A single direction v = (v_1, ..., v_L) gives H v,
// whose layer-l part is sum_m H_lm v_m: the cross-layer blocks mix in. L k directions, each zero
// outside its layer, would give every layer's k block products from one pass, exactly, but the
// tangent work of a pass grows with the number of directions, so this saves only the L - 1
// primal forward/backward passes while holding L k tangent copies of the activations, and the
// L eigensolvers would have to advance in lockstep. One operator per layer is simpler and
// cheaper than it looks: parameters of other layers are constants, so the pass records nothing
// before the layer and the backward pass stops there (late layers are cheap).
// Traces are the exception: for a full Rademacher probe z, E[z_lᵀ (H z)_l] = tr(H_ll), because
// the cross terms z_lᵀ H_lm z_m (m != l) have mean zero. So one Hutchinson run on the FULL
// Hessian yields every layer's trace, unbiased, with variance increased by the off-diagonal
// blocks: perLayerTraceEstimates(of:...).

import MatrixFree
import NeuralNetworks
import TensorCore

extension HessianOperator {
  /// One operator per layer: each layer's diagonal block of the Hessian, labeled
  /// `per-layer <name>`, with layers grouped by ``LayerGroup`` (a parameter belongs to the
  /// module that registered it: `layer1.0.conv1.weight` to `layer1.0.conv1`, a BatchNorm's
  /// weight and bias together).
  ///
  /// The determinism check runs once, on the full Hessian, not per layer. The layers' primal
  /// values share one budget (`primalCacheLimit` bytes, or the process-wide 2 GiB): used one
  /// after the other, each layer's tapes push out the previous layer's.
  ///
  /// - Throws: as ``init(model:loss:data:parameters:method:checkDeterminism:primalCacheLimit:)``.
  /// - Complexity: each layer's products cost one pass per batch that stops at that layer.
  public static func perLayer(
    model: Model<Scalar>, loss: LossFunction, data: DataSet<Scalar>,
    method: DifferentiationMethod = .exact, checkDeterminism: Bool = true,
    primalCacheLimit: Int? = nil
  ) throws -> [HessianOperator] {
    if checkDeterminism {
      _ = try HessianOperator(
        model: model, loss: loss, data: data, method: method, primalCacheLimit: 0)
    }
    let cache = PrimalCache.forOperator(
      checked: checkDeterminism, method: method, byteLimit: primalCacheLimit)
    return try LayerGroup.layers(of: model.parameters).map { layer in
      let (indices, segments) = try layer.selection.resolve(in: model.parameters)
      return try HessianOperator(
        model: model, loss: loss, data: data, indices: indices, segments: segments,
        scope: .perLayer(layer.name), method: method, checkDeterminism: false, cache: cache)
    }
  }
}

/// Each layer's top eigenvalues and trace, and the full Hessian's, in one call, every result
/// labeled with its scope.
///
/// For each layer (``LayerGroup``) the operator is that layer's diagonal block, summarized by
/// ``curvatureSummary(of:eigenvalueCount:tolerance:maxMatvecs:traceTargetRelativeError:traceMaxMatvecs:denseThreshold:using:eigenProgress:traceProgress:)``:
/// its top `eigenvalueCount` eigenvalues from Lanczos and its trace from Hutch++ (a sketch of
/// `max(4, 2 eigenvalueCount)` directions taken exactly, Hutchinson on the rest, stopping on
/// the standard error: a Hessian's few outlying eigenvalues dominate its trace and
/// Hutchinson's variance alike), except for blocks of at most `denseThreshold` parameters,
/// which are assembled densely from `n` products and decomposed exactly (cheaper than an
/// iterative method and exact). The full Hessian gets the same treatment when `includeFull`
/// is true: the full and per-layer numbers answer different questions (seed notebook 001:
/// full top eigenvalue 122.032250, per-layer 20 and 100).
///
/// For the eigenvalues alone (no trace products), call
/// ``eigenvalueSummary(of:count:tolerance:maxMatvecs:denseThreshold:using:progress:)`` on each
/// operator of ``HessianOperator/perLayer(model:loss:data:method:checkDeterminism:primalCacheLimit:)``; both
/// functions also take progress closures, for a display of each layer's products.
///
/// **Cost.** Each layer's products are passes of their own: one direction `(v_1, ..., v_L)`
/// cannot serve all layers, because the layer-`l` part of `H v` is `sum_m H_lm v_m` and the
/// cross-layer blocks mix in. Directions zero outside one layer would (`L k` directions in one
/// pass), but a pass's tangent work grows with its directions, so that saves only the primal
/// passes while holding `L k` tangent copies of the activations. A layer's pass is cheaper
/// than a full one: the other layers' parameters are constants, so nothing before the layer
/// is recorded. For traces alone,
/// ``perLayerTraceEstimates(of:targetRelativeError:minimumSampleCount:maxMatvecs:blockSize:seed:)``
/// gets every layer's trace from one Hutchinson run on the full Hessian.
///
/// - Parameters:
///   - model, loss, data: as ``HessianOperator``.
///   - eigenvalueCount: top eigenvalues per Hessian (default 1; fewer for smaller blocks).
///   - tolerance: Lanczos' relative residual tolerance (default `1e-3`).
///   - maxMatvecs: Lanczos' budget per Hessian (default 1000).
///   - traceTargetRelativeError: the trace's target relative standard error (default `1e-2`).
///   - traceMaxMatvecs: the trace's budget per Hessian, sketch included (default 1000).
///   - denseThreshold: blocks of at most this many parameters are decomposed densely (default 32).
///   - includeFull: also summarize the full Hessian (default true).
///   - method: exact (default) or finite-difference products.
///   - seed: seeds every random start and probe (echoed in the result).
///   - checkDeterminism: run the two-pass check once (default true).
/// - Returns: the full summary (if asked) and one per layer, in model order.
/// - Throws: errors of the operators and of MatrixFree.
/// - Complexity: per Hessian, at most `maxMatvecs + traceMaxMatvecs` products (or `n` for a
///   dense block).
public func perLayerCurvature<Scalar: TensorScalar>(
  model: Model<Scalar>, loss: LossFunction, data: DataSet<Scalar>, eigenvalueCount: Int = 1,
  tolerance: Double = 1e-3, maxMatvecs: Int = 1000, traceTargetRelativeError: Double = 1e-2,
  traceMaxMatvecs: Int = 1000, denseThreshold: Int = 32, includeFull: Bool = true,
  method: DifferentiationMethod = .exact, seed: UInt64 = 0, checkDeterminism: Bool = true
) throws -> PerLayerCurvature {
  precondition(eigenvalueCount >= 1, "eigenvalueCount must be at least 1, got \(eigenvalueCount)")
  var generator = SeededGenerator(seed: seed)
  let layers = try HessianOperator.perLayer(
    model: model, loss: loss, data: data, method: method, checkDeterminism: checkDeterminism)
  var full: CurvatureSummary?
  if includeFull {
    let hessian = try HessianOperator(
      model: model, loss: loss, data: data, method: method, checkDeterminism: false)
    full = try curvatureSummary(
      of: hessian, eigenvalueCount: eigenvalueCount, tolerance: tolerance,
      maxMatvecs: maxMatvecs, traceTargetRelativeError: traceTargetRelativeError,
      traceMaxMatvecs: traceMaxMatvecs, denseThreshold: denseThreshold, using: &generator)
  }
  var summaries: [CurvatureSummary] = []
  for layer in layers {
    summaries.append(
      try curvatureSummary(
        of: layer, eigenvalueCount: eigenvalueCount, tolerance: tolerance,
        maxMatvecs: maxMatvecs, traceTargetRelativeError: traceTargetRelativeError,
        traceMaxMatvecs: traceMaxMatvecs, denseThreshold: denseThreshold, using: &generator))
  }
  let total = summaries.reduce(full?.hvpCount ?? 0) { $0 + $1.hvpCount }
  return PerLayerCurvature(
    full: full, layers: summaries, seed: seed, method: method, hvpCount: total)
}

/// The top eigenvalues of one curvature operator, with their residuals and converged flags,
/// and nothing else: what `hessian eigen --per-layer` computes for each layer.
///
/// An operator of at most `denseThreshold` dimensions (or with `count >= n`) is assembled
/// densely from `n` products, one per unit vector, and decomposed by LAPACK: at that size
/// cheaper than an iterative method, and exact (residuals 0). A larger one gets its top
/// `count` eigenpairs from thick-restart Lanczos
/// (``eigenpairs(of:count:which:tolerance:maxMatvecs:blockSize:basisSize:startingBlock:missCheck:using:progress:)``,
/// `which: .largest`), each pair flagged converged when
///
/// ```
/// ||H y - lambda y|| <= tolerance |lambda|
/// ```
///
/// For the seed-001 network's blocks (4 and 2 parameters, dense) it returns 20 and 100 for
/// 4 and 2 products.
///
/// - Parameters:
///   - hessian: the operator, labeled by its scope and segments (one layer's block from
///     ``HessianOperator/perLayer(model:loss:data:method:checkDeterminism:primalCacheLimit:)``, the full Hessian,
///     a selection...).
///   - count: the top eigenvalues wanted (default 1; at most `n` for a dense block).
///   - tolerance: Lanczos' relative residual tolerance (default `1e-3`).
///   - maxMatvecs: Lanczos' budget of products (default 1000; raised to `2 count + 1` when lower).
///   - denseThreshold: operators of at most this many dimensions are decomposed densely
///     (default 32).
///   - generator: the source of Lanczos' random start (untouched for a dense block).
///   - progress: called after each Lanczos step with the wanted Ritz values and their largest
///     estimated relative residual (never for a dense block: count the operator's products
///     instead).
/// - Returns: the eigenvalues (descending), residuals, flags, method and products spent.
/// - Throws: errors of the operator and of MatrixFree.
/// - Precondition: `count >= 1`.
/// - Complexity: `n` products for a dense block, else at most `max(maxMatvecs, 2 count + 1)`.
public func eigenvalueSummary<Operator: CurvatureOperator>(
  of hessian: Operator, count: Int = 1, tolerance: Double = 1e-3, maxMatvecs: Int = 1000,
  denseThreshold: Int = 32, using generator: inout some RandomNumberGenerator,
  progress: ((ProgressReport) -> Void)? = nil
) throws -> EigenvalueSummary {
  try topEigenvalues(
    of: hessian, count: count, tolerance: tolerance, maxMatvecs: maxMatvecs,
    denseThreshold: denseThreshold, using: &generator, progress: progress
  ).summary
}

/// The top eigenvalues and the trace of one curvature operator, labeled: one entry of
/// ``perLayerCurvature(model:loss:data:eigenvalueCount:tolerance:maxMatvecs:traceTargetRelativeError:traceMaxMatvecs:denseThreshold:includeFull:method:seed:checkDeterminism:)``.
///
/// The eigenvalues are those of
/// ``eigenvalueSummary(of:count:tolerance:maxMatvecs:denseThreshold:using:progress:)``. The
/// trace of a dense block is its matrix's, exact and free. Otherwise it is Hutch++'s: the
/// trace of a sketch `Q` of `s = min(n - 1, max(4, 2 eigenvalueCount))` directions exactly,
/// and Hutchinson on the rest,
///
/// ```
/// tr(H) = tr(Qᵀ H Q) + E[zᵀ P H P z],   P = I - Q Qᵀ
/// ```
///
/// stopped when the standard error is at most `traceTargetRelativeError |trace|`.
///
/// - Parameters:
///   - hessian: the operator, labeled by its scope and segments.
///   - eigenvalueCount: the top eigenvalues wanted (default 1).
///   - tolerance: Lanczos' relative residual tolerance (default `1e-3`).
///   - maxMatvecs: Lanczos' budget (default 1000).
///   - traceTargetRelativeError: the trace's target relative standard error (default `1e-2`).
///   - traceMaxMatvecs: the trace's budget, sketch included (default 1000; raised to
///     `2 s + 2` when lower).
///   - denseThreshold: operators of at most this many dimensions are decomposed densely
///     (default 32).
///   - generator: the source of Lanczos' start, then of the sketch and the probes.
///   - eigenProgress: called after each Lanczos step (Ritz values, largest relative residual).
///   - traceProgress: called after each block of trace probes (estimate, standard error,
///     expected products).
/// - Returns: the summary; its ``CurvatureSummary/hvpCount`` counts eigenvalues and trace.
/// - Throws: errors of the operator and of MatrixFree.
/// - Precondition: `eigenvalueCount >= 1`.
/// - Complexity: `n` products for a dense block, else at most
///   `max(maxMatvecs, 2 eigenvalueCount + 1) + max(traceMaxMatvecs, 2 s + 2)`.
public func curvatureSummary<Operator: CurvatureOperator>(
  of hessian: Operator, eigenvalueCount: Int = 1, tolerance: Double = 1e-3,
  maxMatvecs: Int = 1000, traceTargetRelativeError: Double = 1e-2, traceMaxMatvecs: Int = 1000,
  denseThreshold: Int = 32, using generator: inout some RandomNumberGenerator,
  eigenProgress: ((ProgressReport) -> Void)? = nil,
  traceProgress: ((ProgressReport) -> Void)? = nil
) throws -> CurvatureSummary {
  let (eigen, denseTrace) = try topEigenvalues(
    of: hessian, count: eigenvalueCount, tolerance: tolerance, maxMatvecs: maxMatvecs,
    denseThreshold: denseThreshold, using: &generator, progress: eigenProgress)
  let trace: TraceResult
  if let denseTrace {
    trace = TraceResult(
      trace: denseTrace, standardError: 0, hvpCount: 0, sampleCount: 0, converged: true,
      method: .exact)
  } else {
    let n = hessian.dimension
    let sketch = Swift.min(n - 1, Swift.max(4, 2 * eigenvalueCount))
    trace = TraceResult(
      try hutchPlusPlusTrace(
        of: hessian, lowRankDimension: sketch, targetRelativeError: traceTargetRelativeError,
        maxMatvecs: Swift.max(traceMaxMatvecs, 2 * sketch + 2), using: &generator,
        progress: traceProgress))
  }
  return CurvatureSummary(
    scope: eigen.scope, name: eigen.name, parameterNames: eigen.parameterNames,
    parameterCount: eigen.parameterCount, eigenvalues: eigen.eigenvalues,
    residuals: eigen.residuals, converged: eigen.converged, eigenMethod: eigen.eigenMethod,
    eigenMatvecCount: eigen.hvpCount, verified: eigen.verified, trace: trace, hvpCount: eigen.hvpCount + trace.hvpCount)
}

/// Top eigenvalues of one operator (dense below the threshold), and the exact trace when the
/// matrix was assembled anyway.
func topEigenvalues<Operator: CurvatureOperator>(
  of hessian: Operator, count: Int, tolerance: Double, maxMatvecs: Int, denseThreshold: Int,
  using generator: inout some RandomNumberGenerator, progress: ((ProgressReport) -> Void)?
) throws -> (summary: EigenvalueSummary, denseTrace: Double?) {
  precondition(count >= 1, "count must be at least 1, got \(count)")
  let n = hessian.dimension
  let name = hessian.scope.name ?? hessian.scope.kind.rawValue
  let eigenvalues: [Double]
  let residuals: [Double]
  let converged: [Bool]
  let eigenMethod: String
  let cost: Int
  let verified: Bool
  var denseTrace: Double?
  if n <= denseThreshold || count >= n {
    let dense = try DenseHessian(of: hessian)
    let values = try dense.eigendecomposition().eigenvalues
    eigenvalues = Array(values.reversed().prefix(count))
    residuals = eigenvalues.map { _ in 0 }
    converged = eigenvalues.map { _ in true }
    eigenMethod = "dense"
    cost = dense.hvpCount
    verified = true
    denseTrace = dense.trace
  } else {
    let result = try eigenpairs(
      of: hessian, count: count, which: .largest, tolerance: tolerance,
      maxMatvecs: Swift.max(maxMatvecs, 2 * count + 1), using: &generator, progress: progress)
    (eigenvalues, residuals, converged) = (result.eigenvalues, result.residuals, result.converged)
    eigenMethod = "lanczos"
    cost = result.matvecCount
    verified = result.verified
  }
  let summary = EigenvalueSummary(
    scope: hessian.scope, name: name, parameterNames: hessian.segments.map(\.name),
    parameterCount: n, eigenvalues: eigenvalues, residuals: residuals, converged: converged,
    eigenMethod: eigenMethod, hvpCount: cost, verified: verified)
  return (summary, denseTrace)
}
