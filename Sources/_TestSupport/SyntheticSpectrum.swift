// Symmetric operators shaped like the Hessians of trained networks, with known spectra and
// random eigenvectors, for measuring how often an eigensolver misses an eigenvalue: the
// miss-rate harness (a test in MatrixFreeTests, the `missrate` task of hessian-bench).

import Foundation
import MatrixFree
import TensorCore

/// A spectrum shaped like a trained network's Hessian, built by formula (no randomness):
///
/// - `outliers` large eigenvalues from 1 down, consecutive ones 2-10% apart
///   (`lambda_{i+1} = lambda_i (1 - g_i)`, the gaps cycling through
///   5, 2, 8, 3, 10, 4, 6, 2, 7, 3, 9, 5 %);
/// - a tail of `tail` eigenvalues decaying from `tailStart` times the last outlier as
///   `(1 + j / 8)^-tailExponent`;
/// - negative outliers at `negativeScale` (default 0.006 of the top, the ratio of a trained
///   ResNet-20's most negative to its largest eigenvalue), 2-10% apart, and a negative tail;
/// - a bulk of the remaining eigenvalues of both signs: the quantiles of a Laplace
///   distribution truncated at 4 scales, with scale 0.003 on the positive side (two thirds of
///   the bulk) and `negativeScale / 12` on the negative side, so that most of the spectrum is
///   small and near zero.
///
/// The eigenvalues are returned in descending order.
public func trainedLikeSpectrum(
  dimension n: Int, outliers: Int = 12, tail: Int = 300, tailStart: Double = 0.9,
  tailExponent: Double = 1.2, negativeOutliers: Int = 12, negativeTail: Int = 100,
  negativeScale: Double = 0.006
) -> [Double] {
  let gaps = [0.05, 0.02, 0.08, 0.03, 0.10, 0.04, 0.06, 0.02, 0.07, 0.03, 0.09, 0.05]
  func chain(_ first: Double, _ count: Int) -> [Double] {
    var values = [first]
    for i in 1..<Swift.max(count, 1) { values.append(values[i - 1] * (1 - gaps[(i - 1) % 12])) }
    return Array(values.prefix(count))
  }
  let top = chain(1, outliers)
  let last = top.last ?? 1
  let tailValues = (0..<tail).map {
    tailStart * last * Foundation.pow(1 + Double($0) / 8, -tailExponent)
  }
  let bottom = chain(negativeScale, negativeOutliers).map { -$0 }
  let lastNegative = bottom.last ?? -negativeScale
  let negativeTailValues = (0..<negativeTail).map {
    tailStart * lastNegative * Foundation.pow(1 + Double($0) / 8, -tailExponent)
  }
  let bulkCount = n - outliers - tail - negativeOutliers - negativeTail
  precondition(bulkCount >= 3, "dimension \(n) is too small for the outliers and tails")
  let positive = 2 * bulkCount / 3
  let negative = bulkCount - positive
  // Laplace quantiles -b log(1 - u) for u = (i + 1/2) / m: deterministic, no seed.
  // Quantiles of a Laplace distribution truncated at 4 scales: -b log(1 - u (1 - e^-4)).
  func laplace(_ i: Int, _ m: Int, _ b: Double) -> Double {
    -b * Foundation.log(1 - (Double(i) + 0.5) / Double(m) * (1 - Foundation.exp(-4)))
  }
  let positiveBulk: [Double] = (0..<positive).map { laplace($0, positive, 0.003) }
  let negativeBulk: [Double] = (0..<negative).map { -laplace($0, negative, 0.0005 * negativeScale / 0.006) }
  var all = top
  all += tailValues
  all += positiveBulk
  all += negativeBulk
  all += negativeTailValues
  all += bottom
  return all.sorted(by: >)
}

/// `A = Q diag(lambda) Qᵀ` with `Q = H_1 H_2 H_3` a product of three Householder reflections
/// `H_i = I - 2 u_i u_iᵀ` with random unit `u_i`: a prescribed spectrum whose eigenvectors are
/// dense random vectors, not the coordinate axes, at `O(n)` per product.
///
/// For a Gaussian starting vector, Lanczos behaves identically (in distribution) on every
/// orthogonal `Q`; the reflections only keep the eigenvectors away from the axes, where a
/// method that probes coordinates (a diagonal, a sparse start) would see structure.
public struct PrescribedSpectrumOperator<Scalar: TensorScalar>: LinearOperator {
  /// The eigenvalues, in the order of the columns of `Q` (descending when built from
  /// ``trainedLikeSpectrum(dimension:outliers:tail:negativeOutliers:negativeTail:negativeScale:)``).
  public let eigenvalues: [Double]
  private let reflections: [[Double]]
  private let diagonal: [Double]

  /// The dimension `n`.
  public var dimension: Int { eigenvalues.count }

  /// An operator with `eigenvalues` and random eigenvectors drawn from `seed`.
  public init(eigenvalues: [Double], seed: UInt64) {
    self.eigenvalues = eigenvalues
    diagonal = eigenvalues
    var generator = SeededGenerator(seed: seed)
    reflections = (0..<3).map { _ in
      let u = Tensor<Double>(randomNormal: [eigenvalues.count], using: &generator).scalars
      let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
      return u.map { $0 / norm }
    }
  }

  /// `x Q diag(lambda) Qᵀ` for each row, in Double.
  public func apply(_ block: Tensor<Scalar>) throws -> Tensor<Scalar> {
    let n = dimension
    let k = block.shape[0]
    var x = block.scalars.map { Double($0) }
    x.withUnsafeMutableBufferPointer { xp in
      for row in 0..<k {
        let r = UnsafeMutableBufferPointer(rebasing: xp[row * n..<(row + 1) * n])
        // Qᵀ x = H_3 H_2 H_1 x, then diag, then Q y = H_1 H_2 H_3 y.
        for u in reflections { reflect(r, u) }
        for i in 0..<n { r[i] *= diagonal[i] }
        for u in reflections.reversed() { reflect(r, u) }
      }
    }
    return Tensor(shape: block.shape, scalars: x.map { Scalar($0) })
  }

  /// The unit eigenvector of `eigenvalues[index]` (column `index` of `Q`).
  public func eigenvector(_ index: Int) -> [Double] {
    var e = [Double](repeating: 0, count: dimension)
    e[index] = 1
    e.withUnsafeMutableBufferPointer { ep in
      for u in reflections.reversed() { reflect(ep, u) }
    }
    return e
  }

  private func reflect(_ x: UnsafeMutableBufferPointer<Double>, _ u: [Double]) {
    var dot = 0.0
    for i in 0..<x.count { dot += u[i] * x[i] }
    let c = 2 * dot
    for i in 0..<x.count { x[i] -= c * u[i] }
  }
}

/// One configuration of the miss-rate harness and what it measured over its seeds.
public struct MissRateOutcome: Sendable {
  /// Runs.
  public var runs = 0
  /// Runs whose reported eigenvalues differ from the true ones (by rank) by more than the
  /// tolerance relative to the true value, at any position.
  public var misses = 0
  /// Misses in runs that flagged every pair converged: the silent ones.
  public var silentMisses = 0
  /// Runs that did not flag every pair converged.
  public var unconverged = 0
  /// Runs the deflation check marked verified.
  public var verified = 0
  /// The products of each run.
  public var matvecCounts: [Int] = []
  /// The relative error of the k-th (innermost) reported eigenvalue in each run.
  public var kthErrors: [Double] = []

  public init() {}

  /// The mean products per run.
  public var meanMatvecs: Double {
    Double(matvecCounts.reduce(0, +)) / Double(Swift.max(matvecCounts.count, 1))
  }

  /// Records one run's result against the true descending `spectrum`.
  public mutating func record<S>(_ result: EigenResult<S>, spectrum: [Double], tolerance: Double)
  {
    let k = result.eigenvalues.count
    let truth: [Double]
    switch result.which {
    case .largest: truth = Array(spectrum.prefix(k))
    case .smallest: truth = Array(spectrum.suffix(k).reversed())
    case .bothEnds:
      truth = Array(spectrum.suffix(k / 2).reversed()) + Array(spectrum.prefix(k / 2).reversed())
    case .largestMagnitude:
      truth = Array(spectrum.sorted { Swift.abs($0) > Swift.abs($1) }.prefix(k))
    }
    let errors = zip(result.eigenvalues, truth).map { Swift.abs($0 - $1) / Swift.abs($1) }
    let missed = errors.contains { $0 > tolerance }
    runs += 1
    if missed { misses += 1 }
    if missed && result.allConverged { silentMisses += 1 }
    if !result.allConverged { unconverged += 1 }
    if result.verified { verified += 1 }
    matvecCounts.append(result.matvecCount)
    let inner: Int
    switch result.which {
    case .bothEnds: inner = k / 2 - 1
    default: inner = k - 1
    }
    kthErrors.append(errors[inner])
  }
}
