// The diagonal of an operator from products with random probes (Bekas, Kokiopoulou, Saad 2007).

import TensorCore

/// A stochastic estimate of the diagonal of `A`, with a standard error for every entry.
///
/// ```
/// diag(A) ~ (1/N) sum_k z_k ⊙ A z_k,   E[z zᵀ] = I, independent entries
/// standardErrors_i = stddev_k(z_k,i (A z_k)_i) / sqrt(N)
/// ```
///
/// Each product `z_k,i (A z_k)_i = a_ii z_i^2 + sum_{j != i} a_ij z_i z_j` has mean `a_ii`. With
/// Rademacher probes `z_i^2 = 1`, so this is exactly the estimator of Bekas, Kokiopoulou &
/// Saad (2007) and the variance of entry `i` is `sum_{j != i} a_ij^2`; with Gaussian
/// probes the plain mean used here stays unbiased (Bekas et al. divide by `sum_k z_k ⊙ z_k`,
/// a ratio estimator with a small bias) and has the larger variance
/// `2 a_ii^2 + sum_{j != i} a_ij^2`. The per-entry standard errors come from Welford's running
/// variance in Double, so they cost no extra products.
///
/// - Parameters:
///   - linearOperator: the symmetric operator `A`.
///   - matvecCount: the number of probes `N` (one product each), at least 2.
///   - distribution: the probes (default ``ProbeDistribution/rademacher``).
///   - blockSize: probes per block product (default 8).
///   - generator: the source of the probes.
/// - Returns: the estimated diagonal and its standard errors, shape `[n]` each.
/// - Throws: an error of the operator or ``MatrixFreeError/nonFiniteProduct(matvecCount:)``.
/// - Precondition: `matvecCount >= 2`, `blockSize >= 1`.
/// - Complexity: `matvecCount` products; memory `2 n` Doubles plus `2 blockSize n` scalars.
///
/// Equivalents: PyHessian's tutorial computes the diagonal the same way
/// (`v * Hv` averaged); curvlinops `hutchinson_diag(A, num_matvecs, distribution)`;
/// BackPACK's `DiagHessian` is exact but only for some layers.
public func diagonalEstimate<Operator: LinearOperator>(
  of linearOperator: Operator, matvecCount: Int, distribution: ProbeDistribution = .rademacher,
  blockSize: Int = 8, using generator: inout some RandomNumberGenerator
) throws -> DiagonalEstimate<Operator.Scalar> {
  typealias S = Operator.Scalar
  precondition(matvecCount >= 2, "diagonalEstimate needs matvecCount >= 2, got \(matvecCount)")
  precondition(blockSize >= 1, "blockSize must be at least 1, got \(blockSize)")
  let n = linearOperator.dimension
  let mean = UnsafeMutablePointer<Double>.allocate(capacity: n)
  let m2 = UnsafeMutablePointer<Double>.allocate(capacity: n)
  mean.initialize(repeating: 0, count: n)
  m2.initialize(repeating: 0, count: n)
  defer {
    mean.deallocate()
    m2.deallocate()
  }
  var samples = 0
  while samples < matvecCount {
    let k = Swift.min(blockSize, matvecCount - samples)
    let z: Tensor<S> = distribution.block(k, dimension: n, using: &generator)
    let az = try linearOperator.checkedApply(z, matvecsSoFar: samples)
    z.withBase { zp in
      az.withBase { ap in
        for i in 0..<k {
          Kernels.welfordProducts(
            zp + i * n, ap + i * n, mean: mean, m2: m2, sampleIndex: samples + i + 1, count: n)
        }
      }
    }
    samples += k
  }
  let inverse = 1 / (Double(samples - 1) * Double(samples))
  for i in 0..<n { m2[i] = (m2[i] * inverse).squareRoot() }
  let diagonal = Tensor<S>(shape: [n]) { buffer in
    guard let out = buffer.baseAddress else { return }
    Kernels.convert(UnsafePointer(mean), to: out, count: n)
  }
  let errors = Tensor<S>(shape: [n]) { buffer in
    guard let out = buffer.baseAddress else { return }
    Kernels.convert(UnsafePointer(m2), to: out, count: n)
  }
  return DiagonalEstimate(
    diagonal: diagonal, standardErrors: errors, matvecCount: samples, sampleCount: samples,
    distribution: distribution)
}
