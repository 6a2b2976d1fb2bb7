// Choices shared by the algorithms: which end of the spectrum, which probe distribution.

import TensorCore

/// Which eigenvalues an eigensolver looks for.
///
/// SciPy `eigsh(which=...)` names in brackets.
public enum SpectrumEnd: String, Codable, Sendable, CaseIterable {
  /// The largest algebraic eigenvalues (`'LA'`), reported in descending order.
  case largest
  /// The smallest algebraic (most negative) eigenvalues (`'SA'`), reported in ascending order.
  case smallest
  /// `count` eigenvalues at each end (`'BE'`, but `count` at each end rather than in total),
  /// reported in ascending order: the first `count` are the smallest, the last `count` the
  /// largest.
  case bothEnds
  /// The largest in absolute value (`'LM'`; what power iteration and PyHessian find),
  /// reported in descending order of absolute value.
  case largestMagnitude
}

/// The distribution of the random probe vectors of the stochastic estimators.
public enum ProbeDistribution: String, Codable, Sendable, CaseIterable {
  /// Independent entries +1 or -1 with probability 1/2 each (Hutchinson 1989). The trace
  /// estimator's variance is `2 (||A||_F^2 - sum_i a_ii^2)`, the smallest among probes with
  /// `E[z zᵀ] = I`; PyHessian's choice.
  case rademacher
  /// Independent standard normal entries (Girard 1989). Variance `2 ||A||_F^2`; rotation
  /// invariant, which the analysis of Hutch++ and of stochastic Lanczos quadrature assumes.
  case gaussian
}

extension ProbeDistribution {
  /// A `[k, n]` block of independent probes.
  ///
  /// The probes come from a `SeededGenerator` seeded by one draw of `generator`: the result is
  /// as deterministic as `generator`, and with every type concrete TensorCore's inlinable
  /// per-element loops are specialized here instead of running through witness tables (a
  /// 10x difference at n = 270,000; see Kernels.swift).
  func block<S: TensorScalar>(
    _ k: Int, dimension n: Int, using generator: inout some RandomNumberGenerator
  ) -> Tensor<S> {
    var local = SeededGenerator(seed: generator.next())
    if S.self == Float.self {
      let probes: Tensor<Float> = concreteBlock(k, n, &local)
      return unsafeBitCast(probes, to: Tensor<S>.self)
    } else if S.self == Double.self {
      let probes: Tensor<Double> = concreteBlock(k, n, &local)
      return unsafeBitCast(probes, to: Tensor<S>.self)
    }
    return concreteBlock(k, n, &local)
  }

  @inline(__always)
  private func concreteBlock<S: TensorScalar>(
    _ k: Int, _ n: Int, _ generator: inout SeededGenerator
  ) -> Tensor<S> {
    switch self {
    case .rademacher: return Tensor<S>(rademacher: [k, n], using: &generator)
    case .gaussian: return Tensor<S>(randomNormal: [k, n], using: &generator)
    }
  }
}

/// Running mean and variance of a stream of numbers (Welford 1962), in Double: the statistics
/// behind every stochastic estimate's standard error.
///
/// ```swift
/// var s = RunningStatistics()
/// for x in [1.0, 2, 3, 4] { s.add(x) }
/// print(s.mean, s.variance)  // 2.5 1.6666666666666667
/// ```
public struct RunningStatistics: Sendable {
  /// The number of values added.
  public private(set) var count = 0
  /// Their mean.
  public private(set) var mean = 0.0
  private var m2 = 0.0

  /// An empty accumulator.
  public init() {}

  /// Adds one value (one pass, numerically stable).
  public mutating func add(_ x: Double) {
    count += 1
    let delta = x - mean
    mean += delta / Double(count)
    m2 += delta * (x - mean)
  }

  /// The sample variance (denominator `count - 1`); 0 with fewer than two samples.
  public var variance: Double { count > 1 ? m2 / Double(count - 1) : 0 }

  /// The standard error of the mean, `sqrt(variance / count)`; infinite with fewer than two
  /// samples (no evidence yet).
  public var standardError: Double {
    count > 1 ? (variance / Double(count)).squareRoot() : .infinity
  }
}
