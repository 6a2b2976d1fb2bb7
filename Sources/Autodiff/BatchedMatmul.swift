// The batched matrix product (PyTorch torch.bmm; attention's Q Kᵀ and weights V): forward, JVP
// and pullback together. One primitive instead of a slice, a matmul and a concatenation per
// batch entry: each slice's adjoint was padded to the whole tensor, so the backward pass of B
// entries cost B full-size tensors (quadratic in batch x heads for attention).

import TensorCore

extension Dual {
  /// `op(a_i) op(b_i)` for each `i` of the leading batch axis (`[B, r, c]` each), with tangent
  /// `op(da_i) op(b_i) + op(a_i) op(db_i)`: per tangent direction one batched GEMM, or one for
  /// all directions when the other operand has a batch of 1.
  ///
  /// - Precondition: rank-3 operands whose batches are equal or 1.
  @inlinable
  public static func batchedMatmul(
    _ a: Dual, _ b: Dual, transposeA: Bool = false, transposeB: Bool = false
  ) -> Dual {
    let value = primal("batchedMatmul") {
      Tensor.batchedMatmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
    }
    // `k` directions of `t` (shape [k] + x.shape) against the constant `other`.
    func directions(
      _ t: Tensor<Scalar>, _ x: [Int], _ multiply: (Tensor<Scalar>) -> Tensor<Scalar>
    ) -> Tensor<Scalar> {
      let k = t.shape[0]
      if k == 1 { return multiply(t.reshaped(to: x)).expandingShape(at: 0) }
      return Tensor.concatenated(
        (0..<k).map { multiply(t.slice($0..<$0 + 1, alongAxis: 0).reshaped(to: x)).expandingShape(at: 0) },
        alongAxis: 0)
    }
    var tangent: Tensor<Scalar>? = nil
    if let ta = a.tangent {
      tangent = directions(ta, a.shape) {
        Tensor.batchedMatmul($0, b.value, transposeA: transposeA, transposeB: transposeB)
      }
    }
    if let tb = b.tangent {
      tangent = sum(
        tangent,
        directions(tb, b.shape) {
          Tensor.batchedMatmul(a.value, $0, transposeA: transposeA, transposeB: transposeB)
        })
    }
    return Dual(value, tangent: tangent)
  }
}

extension Variable {
  /// The batched matrix product `op(self_i) op(other_i)` over the leading axis of two `[B, r, c]`
  /// operands (PyTorch `torch.bmm`); adjoints `G_i op(B_i)ᵀ` and `op(A_i)ᵀ G_i` arranged for
  /// each transposition, batch by batch.
  ///
  /// - Precondition: both are rank 3 with the same batch size (broadcast them first).
  @inlinable
  public func batchedMatmul(
    _ other: Variable, transposeSelf ta: Bool = false, transposeOther tb: Bool = false
  ) -> Variable {
    precondition(
      shape.count == 3 && other.shape.count == 3 && shape[0] == other.shape[0],
      "batchedMatmul needs [B, r, c] operands of one batch size, got \(shape) and \(other.shape)")
    let (a, b) = (dual, other.dual)
    let (needA, needB) = (isDifferentiable, other.isDifferentiable)
    let y = Dual.batchedMatmul(a, b, transposeA: ta, transposeB: tb)
    return Variable.record(y, from: [self, other]) { g in
      let ga: Dual<Scalar>? =
        !needA
        ? nil
        : ta
          ? Dual.batchedMatmul(b, g, transposeA: tb, transposeB: true)
          : Dual.batchedMatmul(g, b, transposeA: false, transposeB: !tb)
      let gb: Dual<Scalar>? =
        !needB
        ? nil
        : tb
          ? Dual.batchedMatmul(g, a, transposeA: true, transposeB: ta)
          : Dual.batchedMatmul(a, g, transposeA: !ta, transposeB: false)
      return [ga, gb]
    }
  }
}
