// A per-channel affine map as one primitive (evaluation-mode BatchNorm).

import TensorCore

extension Dual {
  /// `x * scale[c] + shift[c]` over channel axis 1; tangent `dx * s + x * ds + dt`, in one pass.
  @inlinable
  public func channelAffine(scale: Dual, shift: Dual?) -> Dual {
    let y = primal("channelAffine") { value.channelAffine(scale: scale.value, shift: shift?.value) }
    guard tangent != nil || scale.tangent != nil || shift?.tangent != nil else { return Dual(y) }
    return Dual(
      y,
      tangent: Tensor.channelAffineTangent(
        input: value, inputTangent: tangent, scale: scale.value, scaleTangent: scale.tangent,
        shiftTangent: shift?.tangent))
  }

  /// `sum over all axes but 1 of self * other` per channel, `[C]` (tangents included).
  @inlinable
  public func channelDot(_ other: Dual) -> Dual {
    let c = shape[1]
    let value = primal("channelDot") { Tensor.channelDot(self.value, other.value, channels: c) }
    let terms = [
      tangent.map { Tensor.channelDot($0, other.value, channels: c) },
      other.tangent.map { Tensor.channelDot($0, self.value, channels: c) },
    ]
    return Dual(value, tangent: Dual.sum(terms[0], terms[1]))
  }
}

extension Variable {
  /// `x * scale[c] + shift[c]` over channel axis 1 of `[N, C, ...]` (`scale`, `shift`: `[C]`):
  /// evaluation-mode BatchNorm's map (PyTorch: `x * scale.view(1, -1, 1, 1) + shift.view(...)`).
  ///
  /// One primitive instead of a broadcast product and sum: its value, its `k` tangents and its
  /// adjoints each take one pass over the activations.
  @inlinable
  public func channelAffine(scale: Variable, shift: Variable) -> Variable {
    precondition(
      shape.count >= 2 && scale.shape == [shape[1]] && shift.shape == [shape[1]],
      "channelAffine: input \(shape) needs scale and shift of shape [\(shape.count >= 2 ? shape[1] : 0)], "
        + "got \(scale.shape) and \(shift.shape)")
    let (x, s) = (dual, scale.dual)
    let (needX, needS, needT) = (isDifferentiable, scale.isDifferentiable, shift.isDifferentiable)
    let y = x.channelAffine(scale: s, shift: shift.dual)
    let c = shape[1]
    let reducedShape = [1, c] + [Int](repeating: 1, count: shape.count - 2)
    return Variable.record(y, from: [self, scale, shift]) { g in
      [
        needX ? g.channelAffine(scale: s, shift: nil) : nil,
        needS ? g.channelDot(x) : nil,
        needT ? g.summed(toShape: reducedShape).reshaped(to: [c]) : nil,
      ]
    }
  }
}
