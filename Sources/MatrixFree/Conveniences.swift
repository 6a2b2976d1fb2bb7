// Shorter spellings for common calls: a product with one vector, and the eigensolvers with a
// seed instead of a generator (the seed is echoed in the result).

import TensorCore

extension LinearOperator {
  /// `A v` for one vector `v` of shape `[n]`: ``apply(_:)`` on the block `[1, n]`, reshaped.
  ///
  /// PyTorch: `torch.autograd.functional.hvp(f, params, v)[1]` for a Hessian operator;
  /// SciPy: `A.matvec(v)`.
  ///
  /// - Parameter vector: a tensor with `n` scalars (shape `[n]`, or any shape of `n`
  ///   elements, such as a parameter's).
  /// - Returns: `A v`, with the shape of `vector`.
  /// - Throws: errors of the operator, and ``MatrixFreeError/nonFiniteProduct(matvecCount:)``.
  /// - Precondition: `vector.count == dimension`.
  /// - Complexity: one product.
  public func apply(vector: Tensor<Scalar>) throws -> Tensor<Scalar> {
    precondition(
      vector.count == dimension,
      "apply(vector:) needs \(dimension) scalars for an operator of dimension \(dimension), "
        + "got shape \(vector.shape)")
    let product = try checkedApply(vector.reshaped(to: [1, dimension]), matvecsSoFar: 0)
    return product.reshaped(to: vector.shape)
  }
}

/// ``eigenpairs(of:count:which:tolerance:maxMatvecs:blockSize:basisSize:startingBlock:missCheck:using:progress:)``
/// with a ``SeededGenerator`` seeded by `seed` (default 0): the same seed gives the same answer,
/// and the result's ``EigenResult/seed`` echoes it.
///
/// SciPy: `eigsh(A, k, which='LA', tol=1e-3, v0=...)`.
///
/// - Parameters: see the generator form; `seed` replaces `using:`.
/// - Returns: the pairs, ordered as ``SpectrumEnd`` documents, with ``EigenResult/seed`` set.
/// - Throws: as the generator form.
/// - Complexity: as the generator form.
public func eigenpairs<Operator: LinearOperator>(
  of linearOperator: Operator, count: Int, which: SpectrumEnd = .largest,
  tolerance: Double = 1e-3, maxMatvecs: Int = 1000, blockSize: Int = 1, basisSize: Int? = nil,
  startingBlock: Tensor<Operator.Scalar>? = nil, missCheck: MissCheck = .standard,
  seed: UInt64 = 0, progress: ((ProgressReport) -> Void)? = nil
) throws -> EigenResult<Operator.Scalar> {
  var generator = SeededGenerator(seed: seed)
  var result = try eigenpairs(
    of: linearOperator, count: count, which: which, tolerance: tolerance, maxMatvecs: maxMatvecs,
    blockSize: blockSize, basisSize: basisSize, startingBlock: startingBlock,
    missCheck: missCheck, using: &generator, progress: progress)
  result.seed = seed
  return result
}

/// ``deflatedPowerIteration(of:count:tolerance:maxIterations:residualTolerance:using:)`` with a
/// ``SeededGenerator`` seeded by `seed` (default 0), echoed in ``EigenResult/seed``.
///
/// PyHessian: `hessian(...).eigenvalues(maxIter=100, tol=1e-3, top_n=count)`.
///
/// - Parameters: see the generator form; `seed` replaces `using:`.
/// - Returns: pairs in descending order of `|lambda|`, with ``EigenResult/seed`` set.
/// - Throws: as the generator form.
/// - Complexity: as the generator form.
public func deflatedPowerIteration<Operator: LinearOperator>(
  of linearOperator: Operator, count: Int, tolerance: Double = 1e-3, maxIterations: Int = 100,
  residualTolerance: Double = 1e-3, seed: UInt64 = 0
) throws -> EigenResult<Operator.Scalar> {
  var generator = SeededGenerator(seed: seed)
  var result = try deflatedPowerIteration(
    of: linearOperator, count: count, tolerance: tolerance, maxIterations: maxIterations,
    residualTolerance: residualTolerance, using: &generator)
  result.seed = seed
  return result
}
