// Shape changes and reductions of variables. All are linear: the pullback is the adjoint map.

import TensorCore

extension Variable {
  /// The same elements with a new shape (PyTorch `reshape`; one dimension may be `-1`).
  @inlinable
  public func reshaped(to newShape: [Int]) -> Variable {
    let old = shape
    return Variable.record(dual.reshaped(to: newShape), from: [self]) { g in [g.reshaped(to: old)] }
  }

  /// All axes after the first merged into one (PyTorch `nn.Flatten()`, `x.flatten(1)`).
  @inlinable
  public func flattenedBatch() -> Variable { reshaped(to: [shape[0], -1]) }

  /// The axes reordered (PyTorch `permute`).
  @inlinable
  public func permuted(_ axes: [Int]) -> Variable {
    var inverse = [Int](repeating: 0, count: axes.count)
    for (i, a) in axes.enumerated() { inverse[a] = i }
    return Variable.record(dual.permuted(axes), from: [self]) { g in [g.permuted(inverse)] }
  }

  /// The transpose of a matrix (PyTorch `x.t()`).
  @inlinable
  public func transposed() -> Variable { permuted([1, 0]) }

  /// The value repeated along size-1 axes to `newShape` (PyTorch `expand`).
  @inlinable
  public func broadcasted(to newShape: [Int]) -> Variable {
    let old = shape
    return Variable.record(dual.broadcasted(to: newShape), from: [self]) { g in
      [g.summed(toShape: old)]
    }
  }

  /// Elements `range` of `axis` (PyTorch `x.narrow(axis, start, length)`, `x[..., a:b, ...]`).
  @inlinable
  public func slice(_ range: Range<Int>, alongAxis axis: Int) -> Variable {
    let size = shape[axis]
    return Variable.record(dual.slice(range, alongAxis: axis), from: [self]) { g in
      [g.padded(into: size, at: range, alongAxis: axis)]
    }
  }

  /// The sum of all elements, as a rank-0 value (PyTorch `x.sum()`).
  @inlinable
  public func sum() -> Variable {
    let old = shape
    let value = dual.summed(toShape: [])
    return Variable.record(value, from: [self]) { g in [g.broadcasted(to: old)] }
  }

  /// The sum over `axes`, keeping them as size 1 (PyTorch `x.sum(axes, keepdim=True)`).
  @inlinable
  public func sum(alongAxes axes: [Int]) -> Variable {
    var kept = shape
    for a in axes { kept[a < 0 ? a + kept.count : a] = 1 }
    let old = shape
    return Variable.record(dual.summed(toShape: kept), from: [self]) { g in
      [g.broadcasted(to: old)]
    }
  }

  /// The sum over `axes`, removing them (PyTorch `x.sum(axes)`).
  @inlinable
  public func sum(squeezingAxes axes: [Int]) -> Variable {
    let normalized = Set(axes.map { $0 < 0 ? $0 + shape.count : $0 })
    return sum(alongAxes: axes).reshaped(
      to: shape.indices.filter { !normalized.contains($0) }.map { shape[$0] })
  }

  /// The mean of all elements (PyTorch `x.mean()`).
  @inlinable
  public func mean() -> Variable { sum() * (1 / Scalar(count)) }

  /// The mean over `axes`, keeping them as size 1 (PyTorch `x.mean(axes, keepdim=True)`).
  @inlinable
  public func mean(alongAxes axes: [Int]) -> Variable {
    let reduced = axes.reduce(1) { $0 * shape[$1 < 0 ? $1 + shape.count : $1] }
    return sum(alongAxes: axes) * (1 / Scalar(reduced))
  }

  /// `log(sum(exp(x)))` over `axis`, kept as size 1, computed stably by subtracting the maximum
  /// (a constant shift, so the derivatives are those of the plain formula).
  @inlinable
  public func logSumExp(alongAxis axis: Int) -> Variable {
    let shift = primal("logSumExp shift") { value.max(alongAxes: [axis]) }
    return (self - shift).exp().sum(alongAxes: [axis]).log() + shift
  }

  /// `x - logSumExp(x)` over `axis` (PyTorch `F.log_softmax(x, dim=axis)`).
  @inlinable
  public func logSoftmax(alongAxis axis: Int) -> Variable {
    self - logSumExp(alongAxis: axis)
  }

  /// `exp(x) / sum(exp(x))` over `axis` (PyTorch `F.softmax(x, dim=axis)`).
  @inlinable
  public func softmax(alongAxis axis: Int) -> Variable { logSoftmax(alongAxis: axis).exp() }
}

extension Variable {
  /// The matrix product `op(self) op(other)` (PyTorch `a @ b`); adjoints `G op(B)^T`, `op(A)^T G`
  /// arranged for each transposition.
  @inlinable
  public func matmul(
    _ other: Variable, transposeSelf ta: Bool = false, transposeOther tb: Bool = false
  ) -> Variable {
    let (a, b) = (dual, other.dual)
    let (needA, needB) = (isDifferentiable, other.isDifferentiable)
    let y = Dual.matmul(a, b, transposeA: ta, transposeB: tb)
    return Variable.record(y, from: [self, other]) { g in
      let ga: Dual<Scalar>? =
        !needA
        ? nil
        : ta
          ? Dual.matmul(b, g, transposeA: tb, transposeB: true)
          : Dual.matmul(g, b, transposeA: false, transposeB: !tb)
      let gb: Dual<Scalar>? =
        !needB
        ? nil
        : tb
          ? Dual.matmul(g, a, transposeA: true, transposeB: ta)
          : Dual.matmul(a, g, transposeA: !ta, transposeB: false)
      return [ga, gb]
    }
  }
}

extension Variable {
  /// Pieces laid end to end along `axis` (PyTorch `torch.cat`); the pullback slices the adjoint.
  @inlinable
  public static func concatenated(_ parts: [Variable], alongAxis axis: Int = 0) -> Variable {
    let value = primal("concatenated") { Tensor.concatenated(parts.map(\.value), alongAxis: axis) }
    let k = parts.compactMap { $0.dual.directionCount }.first
    let tangent = k.map { k in
      Tensor.concatenated(
        parts.map { $0.dual.tangent ?? Tensor(zeros: [k] + $0.shape) }, alongAxis: axis + 1)
    }
    var bounds: [Range<Int>] = []
    var start = 0
    for p in parts {
      bounds.append(start..<start + p.shape[axis])
      start += p.shape[axis]
    }
    return record(Dual(value, tangent: tangent), from: parts) { g in
      bounds.map { g.slice($0, alongAxis: axis) }
    }
  }
}
