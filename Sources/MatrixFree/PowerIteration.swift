// Deflated power iteration, the method of PyHessian's `eigenvalues()`, kept for comparison
// with it. Lanczos (`eigenpairs`) reaches the same accuracy with far fewer products.

import TensorCore

/// The eigenpairs of largest magnitude by deflated power iteration, as PyHessian computes them,
/// each checked by a final product with the operator.
///
/// For each of `count` pairs: start from a random unit vector and repeat
///
/// ```
/// v <- v - sum_j (v . y_j) y_j,  v <- v / ||v||    (deflation against earlier vectors y_j)
/// lambda <- vᵀ A v,  v <- A v / ||A v||
/// ```
///
/// until `|lambda_new - lambda_old| / (|lambda_old| + 1e-6) < tolerance` or `maxIterations`
/// (PyHessian `hessian.eigenvalues(maxIter=100, tol=1e-3, top_n)`). Power iteration converges
/// to the eigenvalue of largest MAGNITUDE (so on a Hessian with a large negative eigenvalue it
/// may return that one) at the rate `|lambda_2 / lambda_1|` per product, and the stop rule is
/// loose: a relative change of `1e-3` in the eigenvalue allows an error of order `sqrt(1e-3)`
/// in the vector. The final product with all `count` vectors therefore reports the true
/// residuals, and `converged` is `residual <= max(residualTolerance |lambda|, 64 ulp ||A||)`:
/// a pair that stopped by the PyHessian rule can still be flagged not converged.
///
/// - Parameters:
///   - linearOperator: the symmetric operator `A`.
///   - count: the number of pairs (PyHessian `top_n`).
///   - tolerance: the relative change of the eigenvalue estimate that stops an iteration
///     (default `1e-3`, PyHessian's `tol`).
///   - maxIterations: products per pair at most (default 100, PyHessian's `maxIter`).
///   - residualTolerance: the relative residual for the `converged` flags (default `1e-3`).
///   - generator: the source of the random starting vectors.
/// - Returns: pairs in descending order of `|lambda|` (``SpectrumEnd/largestMagnitude``).
/// - Throws: an error of the operator or ``MatrixFreeError/nonFiniteProduct(matvecCount:)``.
/// - Precondition: `1 <= count <= n`, `maxIterations >= 1`, positive tolerances.
/// - Complexity: at most `count * maxIterations + count` products; memory `(count + 2) n`.
///
/// Equivalents: PyHessian `hessian.eigenvalues()`; hessian-eigenthings
/// `deflated_power_iteration`.
public func deflatedPowerIteration<Operator: LinearOperator>(
  of linearOperator: Operator, count: Int, tolerance: Double = 1e-3, maxIterations: Int = 100,
  residualTolerance: Double = 1e-3, using generator: inout some RandomNumberGenerator
) throws -> EigenResult<Operator.Scalar> {
  typealias S = Operator.Scalar
  let n = linearOperator.dimension
  precondition(count >= 1 && count <= n, "count must be in 1...\(n), got \(count)")
  precondition(maxIterations >= 1, "maxIterations must be at least 1, got \(maxIterations)")
  precondition(
    tolerance > 0 && residualTolerance > 0,
    "tolerances must be positive, got \(tolerance) and \(residualTolerance)")
  let found = RowBasis<S>(capacity: count, dimension: n)
  var matvecCount = 0
  var normEstimate = 0.0
  for k in 0..<count {
    var v: Tensor<S> = ProbeDistribution.gaussian.block(1, dimension: n, using: &generator)
    var eigenvalue: Double?
    for _ in 0..<maxIterations {
      v.withMutableBase { vp in
        GramSchmidt.projectOut(vp, count: 1, basis: found, basisRows: k)
        Kernels.scale(vp, by: 1 / Kernels.dot(vp, vp, count: n).squareRoot(), count: n)
      }
      var av = try linearOperator.checkedApply(v, matvecsSoFar: matvecCount)
      matvecCount += 1
      let estimate = v.withBase { vp in av.withBase { Kernels.dot(vp, $0, count: n) } }
      let norm = av.withBase { Kernels.dot($0, $0, count: n).squareRoot() }
      normEstimate = Swift.max(normEstimate, Swift.abs(estimate))
      if norm == 0 {  // v lies in the null space: eigenvalue 0, keep v.
        eigenvalue = 0
        break
      }
      av.withMutableBase { Kernels.scale($0, by: 1 / norm, count: n) }
      v = av
      if let previous = eigenvalue,
        Swift.abs(previous - estimate) / (Swift.abs(previous) + 1e-6) < tolerance
      {
        break
      }
      eigenvalue = estimate
    }
    v.withMutableBase { vp in
      GramSchmidt.projectOut(vp, count: 1, basis: found, basisRows: k)
      Kernels.scale(vp, by: 1 / Kernels.dot(vp, vp, count: n).squareRoot(), count: n)
      Kernels.copy(from: vp, to: found.row(k), count: n)
    }
  }
  let iterations = matvecCount
  let verified = try EigenVerification.verify(
    found.tensor(rows: 0..<count), of: linearOperator, tolerance: residualTolerance,
    normEstimate: normEstimate, order: .largestMagnitude, matvecsSoFar: matvecCount)
  return EigenResult(
    eigenvalues: verified.eigenvalues, eigenvectors: verified.vectors,
    residuals: verified.residuals, converged: verified.converged,
    residualFloor: verified.residualFloor,
    matvecCount: iterations + count, iterations: iterations, restarts: 0,
    which: .largestMagnitude, tolerance: residualTolerance, method: .powerIteration,
    blockSize: 1)
}
