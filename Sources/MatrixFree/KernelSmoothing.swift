// The Gaussian kernel that turns quadrature nodes and weights into a density, and the choice of
// its width.
//
// A note on PyHessian's default. PyHessian's `density_generate(eigenvalues, weights,
// num_bins=10000, sigma_squared=1e-5, overhead=0.01)` builds a grid from the mean over probes of
// the smallest node minus 0.01 to the mean of the largest plus 0.01, and passes
// `1e-5 * max(1, lambda_max - lambda_min)` as the kernel's VARIANCE. So sigma =
// sqrt(1e-5 * width) grows only like the square root of the width: on a Hessian whose
// eigenvalues span 0..200 the kernel is sigma = 0.045, 1/4500 of the width, and with 100 nodes
// per probe the "density" is a comb of isolated spikes, each a few grid bins wide (spacing
// 0.02) and normalized on a grid that barely resolves them. In absolute terms the 1e-5 is
// tuned to spectra of width about 1. The default here is relative instead: Papyan's rule ties
// sigma to the mean spacing of the nodes, so the picture does not depend on the units of the
// loss.

/// How the width `sigma` of the Gaussian smoothing kernel of ``SpectralDensity`` is chosen.
///
/// `w` below is the spectrum width estimated by the extreme nodes over all probes,
/// `max theta - min theta` (the extreme Ritz values converge first, Lanczos' strength).
public enum KernelWidth: Codable, Sendable, Hashable {
  /// Papyan's rule (Papyan 2020, Section D.2; curvlinops `lanczos_approximate_spectrum`):
  /// `sigma = 1.1 w / ((m - 1) sqrt(8 ln kappa))`, with `m` the number of nodes per probe and
  /// `1.1 w` the width padded by 5% each side. Two neighbouring evenly spaced nodes then
  /// overlap so that the density between them dips by the factor `kappa` (> 1): larger `kappa`,
  /// narrower kernels. Papyan and curvlinops use `kappa = 3`.
  case papyan(kappa: Double)
  /// `sigma = fraction * w`.
  case relativeToSpectrumWidth(Double)
  /// A fixed `sigma`, in the units of the eigenvalues.
  case absolute(Double)
  /// PyHessian's `density_generate` default: variance `1e-5 * max(1, w')` with
  /// `w' = mean_p(max theta_p) - mean_p(min theta_p) + 0.02`, i.e.
  /// `sigma = sqrt(1e-5 * max(1, w'))` (see the note in KernelSmoothing.swift: too narrow for
  /// wide spectra; use it to reproduce PyHessian plots, with `gridPoints: 10000` as PyHessian).
  case pyHessian

  /// The default: ``papyan(kappa:)`` with `kappa = 3`, relative to the spectrum width.
  public static let automatic = KernelWidth.papyan(kappa: 3)

  /// `sigma` for the given nodes.
  func sigma(nodes: [[Double]]) -> Double {
    let all = nodes.flatMap { $0 }
    let low = all.min() ?? 0
    let high = all.max() ?? 0
    // A single point (A = c I): fall back to 1% of max(|c|, 1) as the width.
    let width = high > low ? high - low : 1e-2 * Swift.max(Swift.abs(high), 1)
    switch self {
    case .papyan(let kappa):
      precondition(kappa > 1, "Papyan's kappa must exceed 1, got \(kappa)")
      let m = Double(Swift.max(nodes.map(\.count).max() ?? 1, 2))
      return 1.1 * width / ((m - 1) * (8 * Double.log(kappa)).squareRoot())
    case .relativeToSpectrumWidth(let fraction):
      precondition(fraction > 0, "the relative kernel width must be positive, got \(fraction)")
      return fraction * width
    case .absolute(let sigma):
      precondition(sigma > 0, "the kernel width must be positive, got \(sigma)")
      return sigma
    case .pyHessian:
      let probes = Double(Swift.max(nodes.count, 1))
      let meanMax = nodes.reduce(0) { $0 + ($1.max() ?? 0) } / probes
      let meanMin = nodes.reduce(0) { $0 + ($1.min() ?? 0) } / probes
      return (1e-5 * Swift.max(1, meanMax - meanMin + 0.02)).squareRoot()
    }
  }
}

enum KernelSmoothing {
  /// The grid (padded by 5% of the width or 5 sigma, whichever is larger) and the smoothed,
  /// normalized density, with the mass before normalization.
  static func density(
    nodes: [[Double]], weights: [[Double]], sigma: Double, gridPoints: Int
  ) -> (grid: [Double], density: [Double], mass: Double) {
    let all = nodes.flatMap { $0 }
    let low = all.min() ?? 0
    let high = all.max() ?? 0
    let pad = Swift.max(0.05 * (high - low), 5 * sigma)
    let start = low - pad
    let spacing = (high - low + 2 * pad) / Double(gridPoints - 1)
    let grid = (0..<gridPoints).map { start + spacing * Double($0) }
    return density(nodes: nodes, weights: weights, sigma: sigma, grid: grid)
  }

  /// The smoothed, normalized density on an evenly spaced `grid` (at least 2 points), with the
  /// mass before normalization.
  static func density(
    nodes: [[Double]], weights: [[Double]], sigma: Double, grid: [Double]
  ) -> (grid: [Double], density: [Double], mass: Double) {
    let gridPoints = grid.count
    let start = grid[0]
    let spacing = grid[1] - grid[0]
    var density = [Double](repeating: 0, count: gridPoints)
    let normalizer = 1 / ((2 * Double.pi).squareRoot() * sigma * Double(nodes.count))
    let reach = 8 * sigma
    for (probeNodes, probeWeights) in zip(nodes, weights) {
      for (node, weight) in zip(probeNodes, probeWeights) where weight > 0 {
        let first = Swift.max(0, Int(((node - reach - start) / spacing).rounded(.up)))
        let last = Swift.min(gridPoints - 1, Int(((node + reach - start) / spacing).rounded(.down)))
        if first > last { continue }
        for g in first...last {
          let u = (grid[g] - node) / sigma
          density[g] += weight * normalizer * Double.exp(-0.5 * u * u)
        }
      }
    }
    var mass = 0.0
    for g in 1..<gridPoints { mass += 0.5 * (density[g - 1] + density[g]) * spacing }
    if mass > 0 {
      for g in 0..<gridPoints { density[g] /= mass }
    }
    return (grid, density, mass)
  }
}
