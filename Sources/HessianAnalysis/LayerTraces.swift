// Every layer's trace from one Hutchinson run on the full Hessian: the samples z_lᵀ (H z)_l,
// split by layer, are unbiased for each diagonal block's trace.

import MatrixFree
import NeuralNetworks
import TensorCore

/// Every layer's Hessian trace `tr(H_ll)` from one Hutchinson run on the (full) Hessian.
///
/// ```
/// E[z_lᵀ (H z)_l] = tr(H_ll) + sum_{m != l} E[z_lᵀ H_lm z_m] = tr(H_ll)
/// ```
///
/// for a Rademacher probe `z` split by layer into `z_l`: the cross terms have mean zero because
/// the probes of different layers are independent. One block of `k` probes therefore gives
/// `k` samples for every layer at the cost of `k` products of the full Hessian, where the
/// per-layer operators would cost `L k`. The price is variance:
///
/// ```
/// Var[z_lᵀ (H z)_l] = 2 (||H_ll||_F^2 - sum_i (H_ll)_ii^2) + sum_{m != l} ||H_lm||_F^2
/// ```
///
/// (the first term is Hutchinson's on the block alone; the cross terms are uncorrelated with it
/// and with each other), so layers strongly coupled to others need more samples. Each layer's
/// standard error is measured from its own samples and reported. The run stops when every layer's
/// standard error is below `targetRelativeError` times its estimate, or at `maxMatvecs`.
///
/// - Parameters:
///   - hessian: the operator (normally the full ``HessianOperator``; any selection works, its
///     segments are grouped by ``LayerGroup/layerName(ofParameter:)``; a wrapper that counts
///     the products for a progress display works too).
///   - targetRelativeError: the relative standard error every layer must reach (default 1e-2).
///   - minimumSampleCount: samples before the stop rule applies (default 10).
///   - maxMatvecs: the budget of products (default 1000).
///   - blockSize: probes per product block (default 8).
///   - seed: seeds the probes.
/// - Returns: one ``LabeledTrace`` per layer, scope `per-layer <name>`, method
///   ``TraceResult/Method/hutchinsonSplit``; all share the products (each reports the total).
/// - Throws: errors of the operator.
/// - Complexity: at most `maxMatvecs` products of `hessian`.
public func perLayerTraceEstimates<Operator: CurvatureOperator>(
  of hessian: Operator, targetRelativeError: Double = 1e-2,
  minimumSampleCount: Int = 10, maxMatvecs: Int = 1000, blockSize: Int = 8, seed: UInt64 = 0
) throws -> [LabeledTrace] {
  precondition(maxMatvecs >= 2, "maxMatvecs must be at least 2, got \(maxMatvecs)")
  precondition(
    minimumSampleCount >= 2, "minimumSampleCount must be >= 2, got \(minimumSampleCount)")
  precondition(blockSize >= 1, "blockSize must be at least 1, got \(blockSize)")
  // Layers and their ranges in the operator's vectors.
  var names: [String] = []
  var ranges: [[Range<Int>]] = []
  for segment in hessian.segments {
    let layer = LayerGroup.layerName(ofParameter: segment.name)
    let range = segment.offset..<segment.offset + segment.count
    if names.last == layer {
      ranges[ranges.count - 1].append(range)
    } else {
      names.append(layer)
      ranges.append([range])
    }
  }
  return try splitTraceEstimates(
    of: hessian, groups: names.indices.map { (.perLayer(names[$0]), names[$0], ranges[$0]) },
    targetRelativeError: targetRelativeError, minimumSampleCount: minimumSampleCount,
    maxMatvecs: maxMatvecs, blockSize: blockSize, seed: seed)
}

/// Every parameter block's trace `tr(H_BB)` from one Hutchinson run on the full Hessian, as
/// ``perLayerTraceEstimates(of:targetRelativeError:minimumSampleCount:maxMatvecs:blockSize:seed:)``
/// splits it by layer: the samples `z_Bᵀ (H z)_B` over each block's elements are unbiased for
/// its trace. Blocks that are rows of one tensor (query, key and value of a fused projection)
/// are split the same way.
///
/// - Parameters:
///   - hessian: the FULL parameter Hessian (its vectors are the model's flat parameter vector,
///     which ``ParameterBlock/ranges`` index), or a wrapper of it.
///   - blocks: the blocks (``ParameterBlock/blocks(of:)``).
///   - the others: as the per-layer function.
/// - Returns: one ``LabeledTrace`` per block, scope `block <name>`.
/// - Throws: errors of the operator.
/// - Precondition: every block's ranges lie in `0..<hessian.dimension`.
/// - Complexity: at most `maxMatvecs` products of `hessian`.
public func blockTraceEstimates<Operator: LinearOperator>(
  of hessian: Operator, blocks: [ParameterBlock], targetRelativeError: Double = 1e-2,
  minimumSampleCount: Int = 10, maxMatvecs: Int = 1000, blockSize: Int = 8, seed: UInt64 = 0
) throws -> [LabeledTrace] {
  precondition(
    blocks.allSatisfy { $0.ranges.allSatisfy { $0.upperBound <= hessian.dimension } },
    "a block reaches beyond the operator's \(hessian.dimension) dimensions: pass the full Hessian")
  return try splitTraceEstimates(
    of: hessian, groups: blocks.map { (CurvatureScope(.block, name: $0.name), $0.name, $0.ranges) },
    targetRelativeError: targetRelativeError, minimumSampleCount: minimumSampleCount,
    maxMatvecs: maxMatvecs, blockSize: blockSize, seed: seed)
}

/// One Hutchinson run on `hessian`, its samples split over the groups' ranges.
func splitTraceEstimates<Operator: LinearOperator>(
  of hessian: Operator, groups: [(scope: CurvatureScope, name: String, ranges: [Range<Int>])],
  targetRelativeError: Double, minimumSampleCount: Int, maxMatvecs: Int, blockSize: Int,
  seed: UInt64
) throws -> [LabeledTrace] {
  precondition(maxMatvecs >= 2, "maxMatvecs must be at least 2, got \(maxMatvecs)")
  precondition(
    minimumSampleCount >= 2, "minimumSampleCount must be >= 2, got \(minimumSampleCount)")
  precondition(blockSize >= 1, "blockSize must be at least 1, got \(blockSize)")
  let names = groups.map(\.name)
  let ranges = groups.map(\.ranges)
  let n = hessian.dimension
  var statistics = [RunningStatistics](repeating: RunningStatistics(), count: names.count)
  var generator = SeededGenerator(seed: seed)
  var samples = 0
  var done = false
  while samples < maxMatvecs && !done {
    let k = Swift.min(blockSize, maxMatvecs - samples)
    let z = Tensor<Operator.Scalar>(rademacher: [k, n], using: &generator)
    let hz = try hessian.apply(z)
    let (zs, hs) = (z.scalars, hz.scalars)
    for row in 0..<k {
      for l in names.indices {
        var sample = 0.0
        for range in ranges[l] {
          for i in range { sample += Double(zs[row * n + i]) * Double(hs[row * n + i]) }
        }
        statistics[l].add(sample)
      }
    }
    samples += k
    done =
      samples >= minimumSampleCount
      && statistics.allSatisfy { $0.standardError <= targetRelativeError * Swift.abs($0.mean) }
  }
  return names.indices.map { l in
    LabeledTrace(
      scope: groups[l].scope, name: names[l],
      dimension: ranges[l].reduce(0) { $0 + $1.count },
      trace: TraceResult(
        trace: statistics[l].mean, standardError: statistics[l].standardError,
        hvpCount: samples, sampleCount: samples,
        converged: statistics[l].standardError <= targetRelativeError
          * Swift.abs(statistics[l].mean),
        method: .hutchinsonSplit),
      seed: seed)
  }
}

/// The trace of the loss Hessian with respect to each named layer's output activations
/// (PyHessian's activation-trace tutorial, seed notebook 004), each labeled
/// `activation <name>`.
///
/// Each layer gets its own ``ActivationHessianOperator`` and Hutchinson run
/// (``hutchinsonTrace(of:distribution:targetRelativeError:minimumSampleCount:maxMatvecs:blockSize:using:)``,
/// Rademacher probes, stopping on the standard error). Activation Hessians of different layers
/// act on different spaces, so their probes cannot share a pass.
///
/// - Parameters:
///   - model, loss, data: as ``ActivationHessianOperator``.
///   - layers: layer names (see ``layerOutputNames(of:input:)``).
///   - targetRelativeError: each trace's relative standard error target (default 1e-2).
///   - maxMatvecs: the budget per layer (default 1000).
///   - blockSize: probes per pass (default 8).
///   - method: exact (default) or finite-difference products.
///   - seed: seeds the probes (one generator, advanced layer by layer).
///   - checkDeterminism: run the two-pass check once, on the first layer (default true).
/// - Returns: one ``LabeledTrace`` per layer, in the order given.
/// - Throws: ``HessianAnalysisError/unknownLayer(name:available:)`` and the operators' errors.
/// - Complexity: at most `maxMatvecs` products per layer.
public func activationTraces<Scalar>(
  model: Model<Scalar>, loss: LossFunction, data: DataSet<Scalar>, layers: [String],
  targetRelativeError: Double = 1e-2, maxMatvecs: Int = 1000, blockSize: Int = 8,
  method: DifferentiationMethod = .exact, seed: UInt64 = 0, checkDeterminism: Bool = true
) throws -> [LabeledTrace] {
  var generator = SeededGenerator(seed: seed)
  var results: [LabeledTrace] = []
  for (i, layer) in layers.enumerated() {
    let hessian = try ActivationHessianOperator(
      model: model, loss: loss, data: data, layer: layer, method: method,
      checkDeterminism: checkDeterminism && i == 0)
    let estimate = try hutchinsonTrace(
      of: hessian, targetRelativeError: targetRelativeError, maxMatvecs: maxMatvecs,
      blockSize: blockSize, using: &generator)
    results.append(
      LabeledTrace(
        scope: hessian.scope, name: layer, dimension: hessian.dimension,
        trace: TraceResult(estimate), seed: seed))
  }
  return results
}
