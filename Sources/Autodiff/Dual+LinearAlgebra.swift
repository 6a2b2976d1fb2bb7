// Matrix products of dual numbers: value AB, tangent dA B + A dB, as wide GEMMs.

import TensorCore

extension Dual {
  /// The matrix product `op(a) op(b)` (PyTorch `a @ b`), with tangent `op(da) op(b) + op(a) op(db)`.
  ///
  /// The `k` tangents of `a` meet `b` in one GEMM with `k` times the rows when `a` is not
  /// transposed; otherwise, and for `db`, in `k` GEMMs.
  @inlinable
  public static func matmul(
    _ a: Dual, _ b: Dual, transposeA: Bool = false, transposeB: Bool = false
  ) -> Dual {
    let value = primal("matmul") {
      a.value.matmul(b.value, transposeSelf: transposeA, transposeOther: transposeB)
    }
    var tangent: Tensor<Scalar>? = nil
    if let ta = a.tangent {
      let k = ta.shape[0]
      if !transposeA {
        tangent = ta.reshaped(to: [k * a.shape[0], a.shape[1]])
          .matmul(b.value, transposeOther: transposeB).reshaped(to: [k] + value.shape)
      } else {
        tangent = Tensor.batchedMatmul(
          ta, b.value.expandingShape(at: 0), transposeA: true, transposeB: transposeB)
      }
    }
    if let tb = b.tangent {
      let product = Tensor.batchedMatmul(
        a.value.expandingShape(at: 0), tb, transposeA: transposeA, transposeB: transposeB)
      tangent = sum(tangent, product)
    }
    return Dual(value, tangent: tangent)
  }
}
