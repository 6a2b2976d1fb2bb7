// How different the spectra of several operators are: the Jensen-Shannon distance between
// their SLQ densities on one grid, as the block-heterogeneity study of transformers uses it
// (Zhang et al. 2024, "Why Transformers Need Adam: A Hessian Perspective", section 3).

import RealModule

/// The pairwise Jensen-Shannon distances between spectral densities.
///
/// Every density is smoothed again from its quadrature nodes and weights (``SpectralDensity``)
/// with ONE Gaussian kernel width on ONE grid spanning all nodes, so that the comparison does
/// not depend on each density's own width: `sigma` is Papyan's rule (`kappa = 3`) on the pooled
/// nodes. On that grid each density becomes a probability vector `p_i` (its values over their
/// sum), and
///
/// ```
/// JS(p, q) = sqrt( (KL(p || m) + KL(q || m)) / 2 ),   m = (p + q) / 2,   logarithms base 2
/// ```
///
/// lies in `[0, 1]`: 0 for equal spectra, 1 for spectra without overlap.
public struct SpectralHeterogeneity: Codable, Sendable {
  /// The common grid.
  public var grid: [Double]
  /// The common kernel width `sigma`.
  public var kernelWidth: Double
  /// Each density on ``grid``, integrating to 1 by the trapezoid rule.
  public var densities: [[Double]]
  /// `distances[i][j]`: the Jensen-Shannon distance between densities `i` and `j`.
  public var distances: [[Double]]

  /// The mean distance over all pairs `i < j` (0 for fewer than two densities).
  public var meanDistance: Double {
    var total = 0.0
    var pairs = 0
    for i in distances.indices {
      for j in distances.indices where j > i {
        total += distances[i][j]
        pairs += 1
      }
    }
    return pairs == 0 ? 0 : total / Double(pairs)
  }

  /// The distances between `densities` on a common grid of `gridPoints` points.
  ///
  /// - Precondition: `gridPoints >= 2`.
  /// - Complexity: `O(P m gridPoints)` for the smoothing (P probes of m nodes per density) and
  ///   `O(d^2 gridPoints)` for `d` densities.
  public init(_ densities: [SpectralDensity], gridPoints: Int = 512) {
    precondition(gridPoints >= 2, "gridPoints must be at least 2, got \(gridPoints)")
    let pooled = densities.flatMap(\.nodes)
    let sigma = KernelWidth.automatic.sigma(nodes: pooled)
    let all = pooled.flatMap { $0 }
    let low = all.min() ?? 0
    let high = all.max() ?? 0
    let pad = Swift.max(0.05 * (high - low), 5 * sigma)
    let spacing = (high - low + 2 * pad) / Double(gridPoints - 1)
    let grid = (0..<gridPoints).map { low - pad + spacing * Double($0) }
    let smoothed = densities.map {
      KernelSmoothing.density(nodes: $0.nodes, weights: $0.weights, sigma: sigma, grid: grid)
        .density
    }
    let probabilities = smoothed.map { d -> [Double] in
      let total = d.reduce(0, +)
      return total > 0 ? d.map { $0 / total } : d
    }
    self.grid = grid
    self.kernelWidth = sigma
    self.densities = smoothed
    // Each pair once, mirrored, so the matrix is exactly symmetric with a zero diagonal.
    var distances = [[Double]](
      repeating: [Double](repeating: 0, count: densities.count), count: densities.count)
    for i in probabilities.indices {
      for j in probabilities.indices where j > i {
        distances[i][j] = Self.jensenShannonDistance(probabilities[i], probabilities[j])
        distances[j][i] = distances[i][j]
      }
    }
    self.distances = distances
  }

  /// `sqrt(JS divergence)` in bits between two probability vectors of the same length (each
  /// summing to 1): in `[0, 1]`.
  public static func jensenShannonDistance(_ p: [Double], _ q: [Double]) -> Double {
    var divergence = 0.0
    for (a, b) in zip(p, q) {
      let m = 0.5 * (a + b)
      if a > 0 { divergence += 0.5 * a * Double.log2(a / m) }
      if b > 0 { divergence += 0.5 * b * Double.log2(b / m) }
    }
    return Swift.max(0, divergence).squareRoot()
  }
}
