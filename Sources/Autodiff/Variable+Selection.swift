// Selection by a constant mask (ONNX Where, PyTorch torch.where): value, tangent and adjoint
// are each selected, never multiplied by the mask, so a -inf or NaN in the branch not taken
// (an attention mask, an overflowing softplus branch) gives exact zeros in the derivatives.

import TensorCore

extension Dual {
  /// `a` where `mask` is non-zero, else `b`, for branches of the mask's shape; the tangent is
  /// selected the same way (a missing tangent is zero).
  @inlinable
  public static func selecting(_ mask: Tensor<Scalar>, _ a: Dual, _ b: Dual) -> Dual {
    let value = primal("selecting") { Tensor.selecting(mask, a.value, b.value) }
    guard let k = a.directionCount ?? b.directionCount else { return Dual(value) }
    let zeros = Tensor<Scalar>(zeros: [k] + value.shape)
    return Dual(
      value, tangent: Tensor.selecting(mask, a.tangent ?? zeros, b.tangent ?? zeros))
  }
}

extension Variable {
  /// `a` where `mask` is non-zero, else `b`, with NumPy broadcasting of all three (PyTorch
  /// `torch.where(mask, a, b)`). The mask is a constant: derivatives flow to `a` where it holds
  /// and to `b` elsewhere, and the second derivative of the selection is zero.
  @inlinable
  public static func selecting(_ mask: Tensor<Scalar>, _ a: Variable, _ b: Variable) -> Variable {
    let shape = broadcastShape(broadcastShape(mask.shape, a.shape), b.shape)
    let m = mask.shape == shape ? mask : mask.broadcasted(to: shape)
    let x = a.shape == shape ? a : a.broadcasted(to: shape)
    let y = b.shape == shape ? b : b.broadcasted(to: shape)
    let (needX, needY) = (x.isDifferentiable, y.isDifferentiable)
    return record(Dual.selecting(m, x.dual, y.dual), from: [x, y]) { g in
      let zero = Dual(Tensor<Scalar>(zeros: shape))
      return [
        needX ? Dual.selecting(m, g, zero) : nil,
        needY ? Dual.selecting(m, zero, g) : nil,
      ]
    }
  }
}
