// The results of the stochastic trace and diagonal estimators, with their standard errors.

import TensorCore

/// A stochastic estimate of `tr(A)` with its standard error.
///
/// For Hutchinson, ``estimate`` is the mean of the samples `zᵀ A z` and ``standardError`` is
/// their sample standard deviation over `sqrt(sampleCount)`. For Hutch++ the estimate is
/// ``lowRankTrace`` (exact on the sketched subspace) plus the mean of the Hutchinson samples on
/// the complement, and the standard error is that of the samples: the low-rank part has no
/// sampling error of its own once the subspace is drawn.
///
/// `estimate ± 2 standardError` is an approximate 95% interval when `sampleCount` is at least
/// about 10 (the samples' mean is close to normal by the central limit theorem).
public struct TraceEstimate: Codable, Sendable, Equatable {
  /// The trace estimate.
  public var estimate: Double
  /// The standard error of ``estimate``.
  public var standardError: Double
  /// Operator products spent, in vectors.
  public var matvecCount: Int
  /// Hutchinson samples averaged (for Hutch++, on the deflated complement).
  public var sampleCount: Int
  /// True when the stop rule `standardError <= targetRelativeError * |estimate|` was met
  /// (always false for fixed-budget estimators, which have no target).
  public var converged: Bool
  /// The probe distribution of the samples.
  public var distribution: ProbeDistribution
  /// The rank of the subspace whose trace Hutch++ computes exactly (0 for Hutchinson).
  public var lowRankDimension: Int
  /// `tr(Qᵀ A Q)` over that subspace (0 for Hutchinson).
  public var lowRankTrace: Double

  /// `standardError / |estimate|`.
  public var relativeStandardError: Double { standardError / Swift.abs(estimate) }
}

/// A stochastic estimate of the diagonal of `A` with a standard error per entry.
///
/// `diagonal[i]` is the mean over probes of `z_i (A z)_i`, and `standardErrors[i]` the sample
/// standard deviation of those products over `sqrt(sampleCount)` (Bekas, Kokiopoulou, Saad
/// 2007). For Rademacher probes the variance of entry `i` is `sum_{j != i} a_ij^2`: entries of
/// rows with large off-diagonal mass are the least accurate.
public struct DiagonalEstimate<Scalar: TensorScalar>: Sendable {
  /// The estimated diagonal, shape `[n]`.
  public var diagonal: Tensor<Scalar>
  /// The standard error of each entry, shape `[n]`.
  public var standardErrors: Tensor<Scalar>
  /// Operator products spent, in vectors.
  public var matvecCount: Int
  /// Probes averaged.
  public var sampleCount: Int
  /// The probe distribution.
  public var distribution: ProbeDistribution
}

extension DiagonalEstimate: Codable {
  enum CodingKeys: String, CodingKey {
    case diagonal, standardErrors, matvecCount, sampleCount, distribution
  }

  /// Decodes an estimate written by ``encode(to:)``.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    diagonal = try c.decode(TensorPayload<Scalar>.self, forKey: .diagonal).tensor
    standardErrors = try c.decode(TensorPayload<Scalar>.self, forKey: .standardErrors).tensor
    matvecCount = try c.decode(Int.self, forKey: .matvecCount)
    sampleCount = try c.decode(Int.self, forKey: .sampleCount)
    distribution = try c.decode(ProbeDistribution.self, forKey: .distribution)
  }

  /// Encodes every field; tensors as `{"shape": [...], "scalars": [...]}`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(TensorPayload(diagonal), forKey: .diagonal)
    try c.encode(TensorPayload(standardErrors), forKey: .standardErrors)
    try c.encode(matvecCount, forKey: .matvecCount)
    try c.encode(sampleCount, forKey: .sampleCount)
    try c.encode(distribution, forKey: .distribution)
  }
}
