// Per-layer (block-diagonal) curvature: each layer's diagonal block as its own operator, and
// each layer's top eigenvalues and trace in one call.
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
/// For each layer (``LayerGroup``) the operator is that layer's diagonal block. Its top
/// `eigenvalueCount` eigenvalues come from Lanczos
/// (``eigenpairs(of:count:which:tolerance:maxMatvecs:blockSize:basisSize:startingBlock:using:)``)
/// and its trace from Hutch++ (a sketch of `max(4, 2 eigenvalueCount)` directions taken
/// exactly, Hutchinson on the rest, stopping on the standard error: a Hessian's few outlying
/// eigenvalues dominate its trace and Hutchinson's variance alike), except for blocks of at
/// most `denseThreshold` parameters, which are assembled densely from `n` products and
/// decomposed exactly (cheaper than an iterative method and exact). The full Hessian gets the
/// same treatment when `includeFull` is true: the full and per-layer numbers answer different
/// questions (seed notebook 001: full top eigenvalue 122.032250, per-layer 20 and 100).
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
    full = try summarize(
      hessian, count: eigenvalueCount, tolerance: tolerance, maxMatvecs: maxMatvecs,
      traceTarget: traceTargetRelativeError, traceMaxMatvecs: traceMaxMatvecs,
      denseThreshold: denseThreshold, using: &generator)
  }
  var summaries: [CurvatureSummary] = []
  for layer in layers {
    summaries.append(
      try summarize(
        layer, count: eigenvalueCount, tolerance: tolerance, maxMatvecs: maxMatvecs,
        traceTarget: traceTargetRelativeError, traceMaxMatvecs: traceMaxMatvecs,
        denseThreshold: denseThreshold, using: &generator))
  }
  let total = summaries.reduce(full?.hvpCount ?? 0) { $0 + $1.hvpCount }
  return PerLayerCurvature(
    full: full, layers: summaries, seed: seed, method: method, hvpCount: total)
}

/// Top eigenvalues and trace of one operator (dense below the threshold).
func summarize<Scalar>(
  _ hessian: HessianOperator<Scalar>, count: Int, tolerance: Double, maxMatvecs: Int,
  traceTarget: Double, traceMaxMatvecs: Int, denseThreshold: Int,
  using generator: inout SeededGenerator
) throws -> CurvatureSummary {
  let n = hessian.dimension
  let name = hessian.scope.name ?? hessian.scope.kind.rawValue
  let start = hessian.hvpCount
  let eigenvalues: [Double]
  let residuals: [Double]
  let converged: [Bool]
  let eigenMethod: String
  let eigenCost: Int
  let trace: TraceResult
  if n <= denseThreshold || count >= n {
    let dense = try DenseHessian(of: hessian)
    let values = try dense.eigendecomposition().eigenvalues
    eigenvalues = Array(values.reversed().prefix(count))
    residuals = eigenvalues.map { _ in 0 }
    converged = eigenvalues.map { _ in true }
    eigenMethod = "dense"
    eigenCost = n
    trace = TraceResult(
      trace: dense.trace, standardError: 0, hvpCount: 0, sampleCount: 0, converged: true,
      method: .exact)
  } else {
    let result = try eigenpairs(
      of: hessian, count: count, which: .largest, tolerance: tolerance,
      maxMatvecs: Swift.max(maxMatvecs, 2 * count + 1), using: &generator)
    (eigenvalues, residuals, converged) = (result.eigenvalues, result.residuals, result.converged)
    eigenMethod = "lanczos"
    eigenCost = result.matvecCount
    let sketch = Swift.min(n - 1, Swift.max(4, 2 * count))
    trace = TraceResult(
      try hutchPlusPlusTrace(
        of: hessian, lowRankDimension: sketch, targetRelativeError: traceTarget,
        maxMatvecs: Swift.max(traceMaxMatvecs, 2 * sketch + 2), using: &generator))
  }
  return CurvatureSummary(
    scope: hessian.scope, name: name, parameterNames: hessian.segments.map(\.name),
    parameterCount: n, eigenvalues: eigenvalues, residuals: residuals, converged: converged,
    eigenMethod: eigenMethod, eigenMatvecCount: eigenCost, trace: trace,
    hvpCount: hessian.hvpCount - start)
}
