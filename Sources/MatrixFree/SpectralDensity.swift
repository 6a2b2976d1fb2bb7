// The eigenvalue density by stochastic Lanczos quadrature (Lin, Saad & Yang 2016;
// Ghorbani, Krishnan & Xiao 2019; Papyan 2020), with probes run as a block.

import TensorCore

/// The eigenvalue density of a symmetric operator by stochastic Lanczos quadrature (SLQ).
///
/// For each of `probeCount` random unit probes `u`, `lanczosSteps` steps of Lanczos build the
/// tridiagonal `T = tridiag(beta, alpha, beta)`; its eigenvalues `theta_j` and the squared
/// first components `tau_j^2` of its unit eigenvectors are the nodes and weights of the
/// Gauss quadrature for `u`'s spectral measure (Golub & Meurant 2010):
///
/// ```
/// uᵀ f(A) u = sum_i (u . q_i)^2 f(lambda_i) ~ sum_j tau_j^2 f(theta_j),
/// phi(t) = (1/n) sum_i delta(t - lambda_i) ~ (1/P) sum_p sum_j tau_pj^2 delta(t - theta_pj)
/// ```
///
/// exact for polynomials `f` of degree `< 2 lanczosSteps`. Since `E[u uᵀ] = I/n`, the average
/// over probes estimates `phi`; its error falls like `1/sqrt(P n)` in the weights, so for a
/// large Hessian (n ~ 10^5) a single probe already gives a good density (Ghorbani et al. 2019;
/// PyHessian's default `n_v=1`). The trace is another matter: `n sum_j tau_j^2 theta_j` is
/// exactly Hutchinson's sample `n uᵀ A u` of the probe, whose spread does not shrink with `n`,
/// so ``SpectralDensity/traceEstimate`` averages `P` such samples and its error bar
/// (``SpectralDensity/traceStandardError``) is measured across them, from `P >= 2` on.
/// The raw nodes and weights are returned, and a
/// density smoothed by a Gaussian kernel of width ``KernelWidth`` on `gridPoints` evenly
/// spaced points, normalized numerically to integrate to 1 (see ``SpectralDensity``).
///
/// **Blocks.** The probes run `blockSize` at a time: each step applies the operator once to
/// the block of the probes' current Lanczos vectors (one HVP pass for `blockSize` products),
/// while each probe keeps its own recurrence and tridiagonal `T`. Each probe's vectors are
/// reorthogonalized against all its previous ones (two Gram-Schmidt passes, Double
/// coefficients) unless `reorthogonalize` is false; without it, finite-precision Lanczos
/// produces spurious copies of the extreme Ritz values ("ghosts") whose weights still sum
/// correctly, so the density stays usable (Meurant & Strakos 2006), and memory drops from
/// `blockSize lanczosSteps n` to `3 blockSize n` scalars.
///
/// - Parameters:
///   - linearOperator: the symmetric operator `A` (dimension `n`).
///   - lanczosSteps: `m`, nodes per probe (default 100, PyHessian's `iter`; capped at `n`).
///   - probeCount: `P`, the number of probes (default 1, PyHessian's `n_v`).
///   - gridPoints: points of the density grid (default 1024, curvlinops' `num_points`;
///     PyHessian uses 10000).
///   - kernelWidth: the kernel width rule (default ``KernelWidth/automatic``, Papyan's rule
///     with `kappa = 3`, relative to the spectrum width; ``KernelWidth/pyHessian`` reproduces
///     PyHessian's variance `1e-5 max(1, width)`).
///   - distribution: the probes before normalization (default Rademacher, as PyHessian).
///   - blockSize: probes run together (default `min(probeCount, 4)`).
///   - reorthogonalize: full reorthogonalization per probe (default true, as PyHessian).
///   - generator: the source of the probes.
/// - Returns: nodes and weights per probe, the grid, the density and the kernel width used.
/// - Throws: an error of the operator, ``MatrixFreeError/nonFiniteProduct(matvecCount:)`` or
///   ``MatrixFreeError/lapackFailure(routine:info:)`` (`dstev`).
/// - Precondition: `lanczosSteps >= 1`, `probeCount >= 1`, `gridPoints >= 2`,
///   `blockSize >= 1`.
/// - Complexity: `probeCount * lanczosSteps` products at most; with reorthogonalization
///   `O(m^2 n)` flops and `blockSize m n` scalars per block of probes, otherwise `3 blockSize n`.
///
/// Equivalents: PyHessian `hessian.density(iter, n_v)` + `density_generate`; curvlinops
/// `lanczos_approximate_spectrum(A, ncv, num_points, num_repeats, kappa, margin)`;
/// hessian-eigenthings `spectral_density`.
public func spectralDensity<Operator: LinearOperator>(
  of linearOperator: Operator, lanczosSteps: Int = 100, probeCount: Int = 1,
  gridPoints: Int = 1024, kernelWidth: KernelWidth = .automatic,
  distribution: ProbeDistribution = .rademacher, blockSize: Int? = nil,
  reorthogonalize: Bool = true, using generator: inout some RandomNumberGenerator
) throws -> SpectralDensity {
  let n = linearOperator.dimension
  precondition(lanczosSteps >= 1, "lanczosSteps must be at least 1, got \(lanczosSteps)")
  precondition(probeCount >= 1, "probeCount must be at least 1, got \(probeCount)")
  precondition(gridPoints >= 2, "gridPoints must be at least 2, got \(gridPoints)")
  let block = blockSize ?? Swift.min(probeCount, 4)
  precondition(block >= 1, "blockSize must be at least 1, got \(block)")
  let steps = Swift.min(lanczosSteps, n)
  var nodes: [[Double]] = []
  var weights: [[Double]] = []
  var matvecCount = 0
  while nodes.count < probeCount {
    let k = Swift.min(block, probeCount - nodes.count)
    let runs = try lanczosTridiagonals(
      of: linearOperator, probes: k, steps: steps, distribution: distribution,
      reorthogonalize: reorthogonalize, matvecsSoFar: matvecCount, using: &generator)
    matvecCount += runs.matvecCount
    for (alpha, beta) in runs.tridiagonals {
      let quadrature = try gaussQuadrature(alpha: alpha, beta: beta)
      nodes.append(quadrature.nodes)
      weights.append(quadrature.weights)
    }
  }
  let sigma = kernelWidth.sigma(nodes: nodes)
  let smoothed = KernelSmoothing.density(
    nodes: nodes, weights: weights, sigma: sigma, gridPoints: gridPoints)
  return SpectralDensity(
    nodes: nodes, weights: weights, grid: smoothed.grid, density: smoothed.density,
    kernelWidth: sigma, kernelWidthRule: kernelWidth, massBeforeNormalization: smoothed.mass,
    dimension: n, lanczosSteps: lanczosSteps, probeCount: probeCount, matvecCount: matvecCount,
    distribution: distribution)
}

/// Runs Lanczos from `probes` random unit vectors at once (one block product per step), each
/// with its own recurrence; returns each probe's `(alpha, beta)` (`beta.count == alpha.count - 1`).
func lanczosTridiagonals<Operator: LinearOperator>(
  of linearOperator: Operator, probes k: Int, steps: Int, distribution: ProbeDistribution,
  reorthogonalize: Bool, matvecsSoFar: Int, using generator: inout some RandomNumberGenerator
) throws -> (tridiagonals: [([Double], [Double])], matvecCount: Int) {
  typealias S = Operator.Scalar
  let n = linearOperator.dimension
  let bases = (0..<k).map { _ in RowBasis<S>(capacity: reorthogonalize ? steps : 2, dimension: n) }
  let start: Tensor<S> = distribution.block(k, dimension: n, using: &generator)
  start.withBase { sp in
    for j in 0..<k {
      Kernels.copy(from: sp + j * n, to: bases[j].row(0), count: n)
      let norm = Kernels.dot(sp + j * n, sp + j * n, count: n).squareRoot()
      Kernels.scale(bases[j].row(0), by: 1 / norm, count: n)
    }
  }
  var alphas = [[Double]](repeating: [], count: k)
  var betas = [[Double]](repeating: [], count: k)
  var active = [Bool](repeating: true, count: k)
  var matvecCount = 0
  let tolerance = GramSchmidt.breakdownTolerance(S.self)
  for step in 0..<steps {
    let running = (0..<k).filter { active[$0] }
    if running.isEmpty { break }
    let slot = reorthogonalize ? step : step % 2
    let current = Tensor<S>(shape: [running.count, n]) { buffer in
      guard let out = buffer.baseAddress else { return }
      for (r, j) in running.enumerated() {
        Kernels.copy(from: bases[j].row(slot), to: out + r * n, count: n)
      }
    }
    var w = try linearOperator.checkedApply(current, matvecsSoFar: matvecsSoFar + matvecCount)
    matvecCount += running.count
    w.withMutableBase { wp in
      for (r, j) in running.enumerated() {
        let wr = wp + r * n
        let basis = bases[j]
        let reference = Kernels.dot(wr, wr, count: n).squareRoot()
        let alpha: Double
        if reorthogonalize {
          alpha =
            GramSchmidt.projectOut(
              wr, count: 1, basis: basis, basisRows: step + 1, recentRows: 2)[step]
        } else {
          alpha = Kernels.dot(wr, basis.row(slot), count: n)
          Kernels.axpy(-alpha, basis.row(slot), wr, count: n)
          if let beta = betas[j].last { Kernels.axpy(-beta, basis.row(1 - slot), wr, count: n) }
        }
        alphas[j].append(alpha)
        if step == steps - 1 { continue }
        let beta = Kernels.dot(wr, wr, count: n).squareRoot()
        if !(beta > tolerance * reference) {
          active[j] = false  // an invariant subspace: the quadrature is already exact
          continue
        }
        betas[j].append(beta)
        let next = basis.row(reorthogonalize ? step + 1 : 1 - slot)
        Kernels.copy(from: wr, to: next, count: n)
        Kernels.scale(next, by: 1 / beta, count: n)
      }
    }
  }
  return (Array(zip(alphas, betas)), matvecCount)
}

/// Nodes (eigenvalues of T, ascending) and weights (squared first components of its unit
/// eigenvectors) of the tridiagonal `T` with diagonal `alpha` and off-diagonal `beta`, by LAPACK
/// `dstev` in Double.
func gaussQuadrature(alpha: [Double], beta: [Double]) throws -> (nodes: [Double], weights: [Double])
{
  let m = alpha.count
  var d = alpha
  var e = beta + [Double](repeating: 0, count: Swift.max(1, m - beta.count))
  var z = [Double](repeating: 0, count: m * m)
  let info = d.withUnsafeMutableBufferPointer { dp in
    e.withUnsafeMutableBufferPointer { ep in
      z.withUnsafeMutableBufferPointer { zp -> Int in
        guard let dBase = dp.baseAddress, let eBase = ep.baseAddress, let zBase = zp.baseAddress
        else { return -1 }
        return Double.tridiagonalEigen(n: m, d: dBase, e: eBase, z: zBase)
      }
    }
  }
  guard info == 0 else { throw MatrixFreeError.lapackFailure(routine: "dstev", info: info) }
  // z is row-major with the eigenvectors as columns: the first components are row 0.
  return (d, (0..<m).map { z[$0] * z[$0] })
}
