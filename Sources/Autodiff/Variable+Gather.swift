// Index selection (an embedding lookup: PyTorch `F.embedding`, `index_select`; ONNX Gather)
// and its adjoint, a scatter-add. Both are linear in the tensor, so the pullback's own tangent
// is the scatter-add of the adjoint's tangent: second derivatives are exact (and zero through
// the selection itself).

import TensorCore

extension Dual {
  /// The slices at `indices` along `axis`; the tangent is selected the same way (axis + 1 of
  /// the `[k, ...]` tangents).
  @inlinable
  public func gathered(_ indices: [Int], alongAxis axis: Int) -> Dual {
    Dual(
      primal("gathered") { value.gathered(indices, alongAxis: axis) },
      tangent: tangent?.gathered(indices, alongAxis: axis + 1))
  }

  /// The adjoint of ``gathered(_:alongAxis:)``: slices added back at their indices into
  /// `size` zero slices, value and tangent alike.
  @inlinable
  public func scatterAdded(_ indices: [Int], alongAxis axis: Int, size: Int) -> Dual {
    Dual(
      primal("scatterAdded") { value.scatterAdded(indices, alongAxis: axis, size: size) },
      tangent: tangent?.scatterAdded(indices, alongAxis: axis + 1, size: size))
  }
}

extension Variable {
  /// The slices at `indices` along `axis` (PyTorch `x.index_select(axis, indices)`;
  /// `F.embedding(ids, weight)` is `weight.gathered(ids, alongAxis: 0)` reshaped). Indices may
  /// repeat; the gradient of a slice chosen several times is the sum of their adjoints.
  ///
  /// - Precondition: every index is in `0..<shape[axis]`.
  @inlinable
  public func gathered(_ indices: [Int], alongAxis axis: Int) -> Variable {
    let size = shape[axis]
    return Variable.record(dual.gathered(indices, alongAxis: axis), from: [self]) { g in
      [g.scatterAdded(indices, alongAxis: axis, size: size)]
    }
  }
}
