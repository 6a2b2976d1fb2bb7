// Errors thrown by MatrixFree: failures of the operator or of LAPACK, and refused allocations.
// Programmer errors (a count larger than the dimension, a block of the wrong shape) are
// preconditions instead, with the offending values in the message.

/// An error thrown by a MatrixFree algorithm.
///
/// Operator failures thrown by ``LinearOperator/apply(_:)`` propagate unchanged; these cases
/// cover what the algorithms themselves detect.
public enum MatrixFreeError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The operator returned a NaN or an infinity; `matvecCount` products had been spent before
  /// the block that produced it.
  case nonFiniteProduct(matvecCount: Int)
  /// A LAPACK routine (for example `dsyevd` or `dstev`) returned a non-zero `info` code.
  case lapackFailure(routine: String, info: Int)
  /// A dense `dimension x dimension` matrix would need `bytes` bytes, more than `limit`.
  case denseMatrixTooLarge(dimension: Int, bytes: Int, limit: Int)

  /// A sentence saying what went wrong and what to do.
  public var description: String {
    switch self {
    case .nonFiniteProduct(let matvecCount):
      return "the operator returned a non-finite value (NaN or infinity) after \(matvecCount) "
        + "matrix-vector products; check the loss and the parameters for non-finite values"
    case .lapackFailure(let routine, let info):
      return "LAPACK \(routine) failed with info = \(info)"
    case .denseMatrixTooLarge(let dimension, let bytes, let limit):
      return "a dense \(dimension) x \(dimension) matrix needs \(bytes) bytes, more than the "
        + "limit of \(limit) bytes; raise memoryLimit or use the matrix-free algorithms"
    }
  }
}
