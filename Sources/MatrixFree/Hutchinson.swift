// Hutchinson's trace estimator with a stop rule on the standard error.
//
// A note on PyHessian's stop rule. PyHessian's `trace()` stops when the running mean changes
// by less than `tol` relative: |m_N - m_{N-1}| / |m_{N-1}| < tol. But m_N - m_{N-1} =
// (x_N - m_{N-1}) / N, whose size is about sigma / N, while the error of m_N is about
// sigma / sqrt(N): the rule fires when the standard error is still sqrt(N) times larger than
// `tol`, and, since x_N - m_{N-1} is random, it fires whenever one sample happens to land near
// the running mean (as early as N = 2). On a signed mean near zero the relative test is
// meaningless. Here the stop rule is the standard error itself, after a minimum number of
// samples so that the sample variance is trustworthy.

import TensorCore

/// Hutchinson's stochastic estimate of `tr(A)`, stopped when its standard error is small
/// enough relative to the estimate.
///
/// ```
/// tr(A) ~ (1/N) sum_i z_iᵀ A z_i,   E[z zᵀ] = I,
/// standardError = stddev(z_iᵀ A z_i) / sqrt(N)
/// ```
///
/// Probes are drawn and multiplied in blocks of `blockSize` (one block product each). After
/// each block, once `minimumSampleCount` samples exist, the estimator stops if
/// `standardError <= targetRelativeError * |estimate|`. It also stops when the next block
/// would exceed `maxMatvecs`; then `converged` is false and the standard error says how
/// accurate the estimate is.
///
/// **Why not PyHessian's stop rule.** PyHessian stops when the running mean changes by less
/// than `tol` relative. That change is `(x_N - mean_{N-1}) / N`, of size `sigma / N`, while the
/// error of the mean is `sigma / sqrt(N)`: the rule fires while the error is still `sqrt(N)`
/// times larger than `tol`, and it fires early whenever one sample lands near the running
/// mean (as early as `N = 2`). The standard error is the quantity that bounds the error, so it
/// is what this estimator stops on.
///
/// The variance of one sample is `2 (||A||_F^2 - sum_i a_ii^2)` for Rademacher probes and
/// `2 ||A||_F^2` for Gaussian ones (Hutchinson 1989; Avron & Toledo 2011), so the
/// error falls as `1/sqrt(N)`. When a few eigenvalues dominate `||A||_F` (common for Hessians:
/// a few outliers above a bulk near zero), Hutch++ removes them first and does better:
/// ``hutchPlusPlusTrace(of:matvecCount:distribution:blockSize:using:)``.
///
/// - Parameters:
///   - linearOperator: the symmetric operator `A`.
///   - distribution: the probes (default ``ProbeDistribution/rademacher``, PyHessian's).
///   - targetRelativeError: the standard error to reach, relative to `|estimate|` (default
///     `1e-2`: the benchmark's 1%).
///   - minimumSampleCount: samples before the stop rule applies (default 10).
///   - maxMatvecs: the budget of products (default 1000).
///   - blockSize: probes per block product (default 8).
///   - generator: the source of the probes.
///   - progress: called after each block with the estimate, its standard error and the
///     products expected to reach the target.
/// - Returns: the estimate, its standard error and the cost.
/// - Throws: an error of the operator or ``MatrixFreeError/nonFiniteProduct(matvecCount:)``.
/// - Precondition: `maxMatvecs >= 2`, `minimumSampleCount >= 2`, `blockSize >= 1`,
///   `targetRelativeError >= 0`.
/// - Complexity: at most `maxMatvecs` products; memory `2 blockSize n` scalars.
///
/// Equivalents: PyHessian `hessian.trace(maxIter, tol)` (with the weaker stop rule above);
/// curvlinops `hutchinson_trace(A, num_matvecs, distribution)` (fixed budget);
/// hessian-eigenthings `hutchinson_trace`.
public func hutchinsonTrace<Operator: LinearOperator>(
  of linearOperator: Operator, distribution: ProbeDistribution = .rademacher,
  targetRelativeError: Double = 1e-2, minimumSampleCount: Int = 10, maxMatvecs: Int = 1000,
  blockSize: Int = 8, using generator: inout some RandomNumberGenerator,
  progress: ((ProgressReport) -> Void)? = nil
) throws -> TraceEstimate {
  precondition(maxMatvecs >= 2, "maxMatvecs must be at least 2, got \(maxMatvecs)")
  precondition(
    minimumSampleCount >= 2, "minimumSampleCount must be >= 2, got \(minimumSampleCount)")
  precondition(blockSize >= 1, "blockSize must be at least 1, got \(blockSize)")
  precondition(
    targetRelativeError >= 0, "targetRelativeError must be >= 0, got \(targetRelativeError)")
  let run = try sampleQuadraticForms(
    of: linearOperator, projectingOut: nil, offset: 0, distribution: distribution,
    targetRelativeError: targetRelativeError, minimumSampleCount: minimumSampleCount,
    maxSamples: maxMatvecs, blockSize: blockSize, matvecsSoFar: 0, using: &generator,
    progress: progress)
  return TraceEstimate(
    estimate: run.statistics.mean, standardError: run.statistics.standardError,
    matvecCount: run.statistics.count, sampleCount: run.statistics.count,
    converged: run.converged, distribution: distribution, lowRankDimension: 0, lowRankTrace: 0)
}

/// Samples `zᵀ P A P z` (`P = I - Qᵀ Q` when `basis` holds the orthonormal rows `Q`, else `I`)
/// in blocks until `standardError <= target * |offset + mean|` after the minimum count, or
/// until `maxSamples` samples (one product each). `progress` gets `offset + mean` after each
/// block, with the products expected in all.
func sampleQuadraticForms<Operator: LinearOperator>(
  of linearOperator: Operator, projectingOut basis: (RowBasis<Operator.Scalar>, Int)?,
  offset: Double, distribution: ProbeDistribution, targetRelativeError: Double,
  minimumSampleCount: Int, maxSamples: Int, blockSize: Int, matvecsSoFar: Int,
  using generator: inout some RandomNumberGenerator, progress: ((ProgressReport) -> Void)? = nil
) throws -> (statistics: RunningStatistics, converged: Bool) {
  typealias S = Operator.Scalar
  let n = linearOperator.dimension
  var statistics = RunningStatistics()
  while statistics.count < maxSamples {
    let k = Swift.min(blockSize, maxSamples - statistics.count)
    var z: Tensor<S> = distribution.block(k, dimension: n, using: &generator)
    if let (q, rows) = basis {
      z.withMutableBase {
        GramSchmidt.projectOut($0, count: k, basis: q, basisRows: rows, singlePass: true)
      }
    }
    let az = try linearOperator.checkedApply(z, matvecsSoFar: matvecsSoFar + statistics.count)
    z.withBase { zp in
      az.withBase { ap in
        for i in 0..<k { statistics.add(Kernels.dot(zp + i * n, ap + i * n, count: n)) }
      }
    }
    let target = targetRelativeError * Swift.abs(offset + statistics.mean)
    if let progress {
      // The standard error falls as 1 / sqrt(samples): the count that reaches the target.
      let ratio = statistics.standardError / target
      let needed =
        statistics.count < 2 || !ratio.isFinite
        ? maxSamples
        : Swift.min(
          maxSamples,
          Swift.max(statistics.count, Int((Double(statistics.count) * ratio * ratio).rounded(.up))))
      progress(
        ProgressReport(
          matvecCount: matvecsSoFar + statistics.count, values: [offset + statistics.mean],
          standardError: statistics.standardError,
          expectedMatvecCount: matvecsSoFar + Swift.max(minimumSampleCount, needed)))
    }
    if statistics.count >= minimumSampleCount && statistics.standardError <= target {
      return (statistics, true)
    }
  }
  return (statistics, false)
}
