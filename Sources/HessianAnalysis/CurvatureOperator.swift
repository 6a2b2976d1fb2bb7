// The common face of HessianAnalysis' operators: a LinearOperator that names the blocks of
// its vectors, says which Hessian it is, and counts its products.

import MatrixFree

/// A curvature operator built on a model: ``HessianOperator``, ``InputHessianOperator``,
/// ``ActivationHessianOperator`` or ``GaussNewtonOperator``.
///
/// Beyond MatrixFree's `LinearOperator` (a block `[k, n]` in, `k` products out), it names the
/// blocks of its vectors (``segments``: parameters, the input, or one layer's activations per
/// batch), labels itself (``scope``), and counts the vectors it has been applied to
/// (``hvpCount``, safe to read from another thread to report progress).
public protocol CurvatureOperator: LinearOperator, Sendable {
  /// The named blocks of the operator's flat vectors, in order; their counts sum to
  /// ``dimension``.
  var segments: [VectorSegment] { get }
  /// Which Hessian this is.
  var scope: CurvatureScope { get }
  /// Exact or finite-difference products.
  var method: DifferentiationMethod { get }
  /// The vectors applied so far, over all copies of the operator.
  var hvpCount: Int { get }
  /// The bytes of primal values the operator keeps so that its exact products skip the primal
  /// work (``Autodiff/PrimalTape``; 0 without the determinism check or with finite differences).
  var primalCacheBytes: Int { get }
  /// Frees the operator's kept primal values; the next products record them again.
  func releasePrimalCache()
}
