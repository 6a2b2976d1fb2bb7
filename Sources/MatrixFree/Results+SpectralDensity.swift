// The result of stochastic Lanczos quadrature: raw nodes and weights per probe, and the
// Gaussian-smoothed density on a grid.

/// An estimate of the eigenvalue density `phi(t) = (1/n) sum_i delta(t - lambda_i)` of `A` by
/// stochastic Lanczos quadrature, raw and smoothed.
///
/// For each probe `p`, ``nodes``[p] are the eigenvalues `theta_j` of the Lanczos tridiagonal
/// matrix `T` started from the unit probe, and ``weights``[p] the squares `tau_j^2` of the
/// first components of `T`'s unit eigenvectors: the Gauss quadrature rule for the probe's
/// spectral measure, `sum_j tau_j^2 f(theta_j) ~ uᵀ f(A) u`. Each probe's weights sum to 1.
/// The smoothed ``density`` is
///
/// ```
/// density(t) = (1/P) sum_p sum_j tau_pj^2 exp(-(t - theta_pj)^2 / (2 sigma^2)) / (sqrt(2 pi) sigma)
/// ```
///
/// on ``grid``, divided by its trapezoid-rule integral over the grid so that it integrates to 1
/// NUMERICALLY (the divisor is ``massBeforeNormalization``; a value far from 1 means the kernel
/// is too narrow for the grid spacing or mass fell outside the grid). `sigma` is
/// ``kernelWidth``, chosen by ``kernelWidthRule``.
public struct SpectralDensity: Codable, Sendable {
  /// Ritz values per probe, ascending (fewer than `lanczosSteps` when the Krylov space of the
  /// probe became invariant: then the quadrature is exact for that probe).
  public var nodes: [[Double]]
  /// Quadrature weights per probe, matching ``nodes``; each probe's weights sum to 1.
  public var weights: [[Double]]
  /// Evenly spaced grid points.
  public var grid: [Double]
  /// The smoothed density on ``grid``, integrating to 1 by the trapezoid rule.
  public var density: [Double]
  /// The standard deviation `sigma` of the Gaussian kernel.
  public var kernelWidth: Double
  /// The rule that chose ``kernelWidth``.
  public var kernelWidthRule: KernelWidth
  /// The trapezoid integral of the smoothed density before normalization.
  public var massBeforeNormalization: Double
  /// The operator's dimension `n`.
  public var dimension: Int
  /// Lanczos steps requested per probe.
  public var lanczosSteps: Int
  /// The number of probes `P`.
  public var probeCount: Int
  /// Operator products spent, in vectors.
  public var matvecCount: Int
  /// The probe distribution (probes are normalized to unit length).
  public var distribution: ProbeDistribution

  /// The quadrature estimate of the normalized spectral moment `(1/n) tr(A^order)`:
  /// `(1/P) sum_p sum_j tau_pj^2 theta_pj^order`.
  ///
  /// For `order` 1 and 2 it is exact per probe up to the normalization: `n` times it is
  /// Hutchinson's trace estimate (order 1) and an unbiased estimate of `||A||_F^2` (order 2)
  /// whenever `lanczosSteps >= order`.
  public func moment(_ order: Int) -> Double {
    var total = 0.0
    for (probeNodes, probeWeights) in zip(nodes, weights) {
      for (node, weight) in zip(probeNodes, probeWeights) {
        var power = 1.0
        for _ in 0..<Swift.max(order, 0) { power *= node }
        total += weight * power
      }
    }
    return total / Double(Swift.max(nodes.count, 1))
  }

  /// `n` times ``moment(_:)`` of order 1: the trace estimate implied by the quadrature, the
  /// mean of ``probeTraceEstimates``.
  public var traceEstimate: Double { Double(dimension) * moment(1) }

  /// Each probe's trace estimate, `n sum_j tau_pj^2 theta_pj`.
  ///
  /// The quadrature is exact for polynomials of degree 1, so this is `n u_pᵀ A u_p` for the
  /// probe's unit start `u_p`: for a Rademacher probe `u = z / sqrt(n)` exactly Hutchinson's
  /// sample `zᵀ A z` (variance `2 (||A||_F^2 - sum_i A_ii^2)`); for a Gaussian one
  /// `n gᵀ A g / ||g||^2`, unbiased too since `E[u uᵀ] = I / n` for a uniform unit vector.
  public var probeTraceEstimates: [Double] {
    zip(nodes, weights).map { probeNodes, probeWeights in
      Double(dimension) * zip(probeNodes, probeWeights).reduce(0) { $0 + $1.0 * $1.1 }
    }
  }

  /// The standard error of ``traceEstimate`` across the probes, or nil for a single probe.
  ///
  /// ```
  /// standardError = s / sqrt(P),   s^2 = sum_p (t_p - mean)^2 / (P - 1)
  /// ```
  ///
  /// for the per-probe estimates `t_p` (``probeTraceEstimates``), which are independent and
  /// identically distributed. With few probes `s` is itself rough (`P - 1` degrees of
  /// freedom): with 4 probes the interval `mean ± 3.2 standardError` covers the trace 95% of
  /// the time (Student's t), not `± 2`.
  public var traceStandardError: Double? {
    guard nodes.count >= 2 else { return nil }
    var statistics = RunningStatistics()
    for estimate in probeTraceEstimates { statistics.add(estimate) }
    return statistics.standardError
  }
}
