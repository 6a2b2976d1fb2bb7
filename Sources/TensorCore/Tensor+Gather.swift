// Selecting slices by index along an axis (PyTorch `index_select`, an embedding lookup) and
// its adjoint, adding slices back at their indices (`index_add_`).

extension Tensor {
  /// The slices at `indices` along `axis`, in order: shape `shape` with `shape[axis]` replaced
  /// by `indices.count` (PyTorch `x.index_select(axis, indices)`; `F.embedding` for axis 0).
  /// Indices may repeat.
  ///
  /// - Precondition: every index is in `0..<shape[axis]`.
  public func gathered(_ indices: [Int], alongAxis axis: Int) -> Tensor {
    precondition(axis >= 0 && axis < rank, "gathered: axis \(axis) of rank \(rank)")
    let size = shape[axis]
    precondition(
      indices.allSatisfy { 0 <= $0 && $0 < size }, "gathered: an index is not in 0..<\(size)")
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    var newShape = shape
    newShape[axis] = indices.count
    return Tensor(shape: newShape) { out in
      withUnsafeBufferPointer { x in
        var o = 0
        for b in 0..<outer {
          for i in indices {
            let source = (b * size + i) * inner
            for j in 0..<inner { out[o + j] = x[source + j] }
            o += inner
          }
        }
      }
    }
  }

  /// The adjoint of ``gathered(_:alongAxis:)``: a tensor with `size` slices along `axis`, each
  /// the sum of the slices of `self` whose index names it (PyTorch `index_add_` into zeros);
  /// slices named by no index are zero.
  ///
  /// - Precondition: `shape[axis] == indices.count` and every index is in `0..<size`.
  public func scatterAdded(_ indices: [Int], alongAxis axis: Int, size: Int) -> Tensor {
    precondition(
      axis >= 0 && axis < rank && shape[axis] == indices.count,
      "scatterAdded: \(indices.count) indices for axis \(axis) of \(shape)")
    precondition(
      indices.allSatisfy { 0 <= $0 && $0 < size }, "scatterAdded: an index is not in 0..<\(size)")
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    var newShape = shape
    newShape[axis] = size
    var result = Tensor(zeros: newShape)
    result.withUnsafeMutableBufferPointer { out in
      withUnsafeBufferPointer { x in
        var s = 0
        for b in 0..<outer {
          for i in indices {
            let target = (b * size + i) * inner
            for j in 0..<inner { out[target + j] += x[s + j] }
            s += inner
          }
        }
      }
    }
    return result
  }
}
