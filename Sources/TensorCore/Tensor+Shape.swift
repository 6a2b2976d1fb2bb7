// Shape manipulation: reshape, permute, broadcast, concatenate and slice along an axis.

extension Tensor {
  /// The same elements with a new shape (PyTorch `tensor.reshape`). One dimension may be `-1`,
  /// which is inferred from the others.
  ///
  /// - Complexity: O(1); the storage is shared.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func reshaped(to newShape: [Int]) -> Tensor {
    var resolved = newShape
    if let inferred = newShape.firstIndex(of: -1) {
      let known = newShape.enumerated().reduce(1) { $1.offset == inferred ? $0 : $0 * $1.element }
      precondition(
        known > 0 && count % known == 0,
        "cannot reshape \(shape) (\(count) elements) to \(newShape)")
      resolved[inferred] = count / known
    }
    precondition(
      resolved.allSatisfy { $0 >= 0 } && resolved.reduce(1, *) == count,
      "cannot reshape \(shape) (\(count) elements) to \(newShape)")
    return Tensor(shape: resolved, buffer: buffer)
  }

  /// A copy with a leading axis of size 1 inserted at `axis` (PyTorch `unsqueeze`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func expandingShape(at axis: Int) -> Tensor {
    var s = shape
    s.insert(1, at: axis)
    return reshaped(to: s)
  }

  /// The tensor with its axes reordered: axis `i` of the result is axis `axes[i]` of `self`
  /// (PyTorch `tensor.permute(*axes).contiguous()`).
  ///
  /// - Complexity: one pass over the elements.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func permuted(_ axes: [Int]) -> Tensor {
    precondition(
      axes.count == rank && Set(axes) == Set(0..<rank),
      "permutation \(axes) is not a permutation of the \(rank) axes of \(shape)")
    if axes == Array(0..<rank) { return self }
    let outShape = axes.map { shape[$0] }
    let inStrides = contiguousStrides(shape)
    // Coalesce output axes that are also adjacent and contiguous in the input.
    var sizes: [Int] = []
    var strides: [Int] = []
    for (i, axis) in axes.enumerated() where shape[axis] != 1 {
      if let last = sizes.indices.last, strides[last] == inStrides[axis] * shape[axis], i > 0 {
        sizes[last] *= shape[axis]
        strides[last] = inStrides[axis]
      } else {
        sizes.append(shape[axis])
        strides.append(inStrides[axis])
      }
    }
    let result = Tensor(uninitializedShape: outShape)
    if sizes.isEmpty {
      result.buffer.pointer.initialize(from: buffer.pointer, count: count)
      return result
    }
    let source = UncheckedSendable(buffer.pointer)
    let destination = UncheckedSendable(result.buffer.pointer)
    let inner = sizes.removeLast()
    let innerStride = strides.removeLast()
    let outer = sizes.reduce(1, *)
    parallelFor(outer, minimumChunk: Swift.max(1, 32_768 / Swift.max(inner, 1))) { range in
      var index = [Int](repeating: 0, count: sizes.count)
      var rest = range.lowerBound
      var offset = 0
      for d in stride(from: sizes.count - 1, through: 0, by: -1) {
        index[d] = rest % sizes[d]
        rest /= sizes[d]
        offset += index[d] * strides[d]
      }
      var out = destination.value + range.lowerBound * inner
      for _ in range {
        let src = source.value + offset
        if innerStride == 1 {
          copyAvoidingPageAliasing(from: src, to: out, count: inner)
        } else {
          for j in 0..<inner { (out + j).initialize(to: src[j * innerStride]) }
        }
        out += inner
        var d = sizes.count - 1
        while d >= 0 {
          index[d] += 1
          offset += strides[d]
          if index[d] < sizes[d] { break }
          offset -= strides[d] * sizes[d]
          index[d] = 0
          d -= 1
        }
      }
    }
    return result
  }

  /// The transpose of a matrix (PyTorch `tensor.t()`).
  ///
  /// - Precondition: `rank == 2`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func transposed() -> Tensor {
    precondition(rank == 2, "transposed() needs a matrix, got shape \(shape)")
    return permuted([1, 0])
  }

  /// The tensor repeated along its size-1 (or missing leading) axes to `newShape`
  /// (PyTorch `tensor.expand(newShape).contiguous()`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func broadcasted(to newShape: [Int]) -> Tensor {
    if newShape == shape { return self }
    precondition(
      broadcastShape(shape, newShape) == newShape, "cannot broadcast \(shape) to \(newShape)")
    return Tensor(zeros: newShape) + self
  }

  /// Pieces of `tensors` laid end to end along `axis` (PyTorch `torch.cat`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public static func concatenated(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
    precondition(!tensors.isEmpty, "concatenated needs at least one tensor")
    let first = tensors[0].shape
    for t in tensors {
      precondition(
        t.rank == first.count
          && (0..<t.rank).allSatisfy { $0 == axis || t.shape[$0] == first[$0] },
        "cannot concatenate shapes \(tensors.map(\.shape)) along axis \(axis)")
    }
    var outShape = first
    outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
    let outer = first[..<axis].reduce(1, *)
    let innerOut = outShape[axis...].reduce(1, *)
    let result = Tensor(uninitializedShape: outShape)
    var column = 0
    for t in tensors {
      let run = t.shape[axis...].reduce(1, *)
      for o in 0..<outer {
        (result.buffer.pointer + o * innerOut + column).initialize(
          from: t.buffer.pointer + o * run, count: run)
      }
      column += run
    }
    return result
  }

  /// Elements `range` of `axis` (PyTorch `tensor.narrow(axis, start, length).contiguous()`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func slice(_ range: Range<Int>, alongAxis axis: Int) -> Tensor {
    precondition(
      0 <= axis && axis < rank && range.lowerBound >= 0 && range.upperBound <= shape[axis],
      "slice \(range) along axis \(axis) is out of bounds for shape \(shape)")
    var outShape = shape
    outShape[axis] = range.count
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    let result = Tensor(uninitializedShape: outShape)
    for o in 0..<outer {
      (result.buffer.pointer + o * range.count * inner).initialize(
        from: buffer.pointer + (o * shape[axis] + range.lowerBound) * inner,
        count: range.count * inner)
    }
    return result
  }
}

/// Row-major strides of a contiguous tensor of the given shape.
@inlinable
public func contiguousStrides(_ shape: [Int]) -> [Int] {
  var strides = [Int](repeating: 1, count: shape.count)
  var s = 1
  for i in stride(from: shape.count - 1, through: 0, by: -1) {
    strides[i] = s
    s *= shape[i]
  }
  return strides
}

/// The shape two operands broadcast to under NumPy/PyTorch rules: shapes are aligned on the
/// right, and each pair of sizes must be equal or contain a 1.
@inlinable
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
  let r = Swift.max(a.count, b.count)
  var out = [Int](repeating: 1, count: r)
  for i in 0..<r {
    let x = i < r - a.count ? 1 : a[i - (r - a.count)]
    let y = i < r - b.count ? 1 : b[i - (r - b.count)]
    precondition(x == y || x == 1 || y == 1, "shapes \(a) and \(b) cannot be broadcast together")
    out[i] = x == 1 ? y : x
  }
  return out
}
