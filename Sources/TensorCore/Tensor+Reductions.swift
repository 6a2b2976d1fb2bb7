// Reductions: sums, means and maxima over axes, and the sum that undoes a broadcast.

import RealModule

/// The reductions with dedicated kernels.
@usableFromInline
enum ReductionOperator: Sendable {
  case sum, max
}

extension Tensor {
  /// Adds (or maxes) a run of `n` input elements into one accumulator, or into a run of `n`
  /// outputs, with four independent accumulators (faster and more accurate than one chain).
  @inlinable @inline(__always)
  static func accumulate(
    _ input: UnsafePointer<Scalar>, _ n: Int, into out: UnsafeMutablePointer<Scalar>,
    elementwise: Bool, initial: Scalar, _ combine: (Scalar, Scalar) -> Scalar
  ) {
    if elementwise {
      for j in 0..<n { out[j] = combine(out[j], input[j]) }
      return
    }
    var a0 = initial, a1 = initial, a2 = initial, a3 = initial
    var j = 0
    while j + 4 <= n {
      a0 = combine(a0, input[j])
      a1 = combine(a1, input[j + 1])
      a2 = combine(a2, input[j + 2])
      a3 = combine(a3, input[j + 3])
      j += 4
    }
    while j < n {
      a0 = combine(a0, input[j])
      j += 1
    }
    out[0] = combine(out[0], combine(combine(a0, a1), combine(a2, a3)))
  }

  /// Reduces `self` to `targetShape` by combining the elements that fall on each target element.
  ///
  /// `targetShape`, aligned on the right, must have each size equal to `self`'s or 1; missing
  /// leading axes are reduced away. This is the adjoint of ``broadcasted(to:)`` when `combine`
  /// is `+`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  func reduced(toShape targetShape: [Int], _ operation: ReductionOperator) -> Tensor {
    let initial: Scalar = operation == .sum ? 0 : -.infinity
    @inline(__always) func combine(_ a: Scalar, _ b: Scalar) -> Scalar {
      operation == .sum ? a + b : Swift.max(a, b)
    }
    let r = rank
    precondition(
      targetShape.count <= r, "cannot reduce shape \(shape) to the larger rank \(targetShape)")
    let padded = [Int](repeating: 1, count: r - targetShape.count) + targetShape
    for i in 0..<r {
      precondition(
        padded[i] == shape[i] || padded[i] == 1, "cannot reduce shape \(shape) to \(targetShape)")
    }
    // Group adjacent axes into runs that are all kept or all reduced.
    var sizes: [Int] = []
    var kept: [Bool] = []
    for i in 0..<r where shape[i] != 1 {
      let keep = padded[i] != 1
      if let last = kept.last, last == keep {
        sizes[sizes.count - 1] *= shape[i]
      } else {
        sizes.append(shape[i])
        kept.append(keep)
      }
    }
    let result = Tensor(repeating: initial, shape: targetShape)
    if count == 0 { return result }
    if sizes.isEmpty {
      result.buffer.pointer[0] = combine(initial, buffer.pointer[0])
      return result
    }
    // Output strides of each group (0 for reduced groups).
    var outStrides = [Int](repeating: 0, count: sizes.count)
    var s = 1
    for g in stride(from: sizes.count - 1, through: 0, by: -1) where kept[g] {
      outStrides[g] = s
      s *= sizes[g]
    }
    let innerSize = sizes.last!
    let innerKept = kept.last!
    let outerSizes = Array(sizes.dropLast())
    let outerStrides = Array(outStrides.dropLast())
    let outer = outerSizes.reduce(1, *)
    let source = buffer.pointer
    let resultCount = result.count

    // One worker's share: outer iterations `range`, accumulating into `out`.
    func run(_ range: Range<Int>, into out: UnsafeMutablePointer<Scalar>) {
      var index = [Int](repeating: 0, count: outerSizes.count)
      var rest = range.lowerBound
      var offOut = 0
      for d in stride(from: outerSizes.count - 1, through: 0, by: -1) {
        index[d] = rest % outerSizes[d]
        rest /= outerSizes[d]
        offOut += index[d] * outerStrides[d]
      }
      var input = source + range.lowerBound * innerSize
      for _ in range {
        switch operation {
        case .sum:
          Tensor.accumulate(
            input, innerSize, into: out + offOut, elementwise: innerKept, initial: 0, +)
        case .max:
          Tensor.accumulate(
            input, innerSize, into: out + offOut, elementwise: innerKept, initial: -.infinity
          ) { Swift.max($0, $1) }
        }
        input += innerSize
        var d = outerSizes.count - 1
        while d >= 0 {
          index[d] += 1
          offOut += outerStrides[d]
          if index[d] < outerSizes[d] { break }
          offOut -= outerStrides[d] * outerSizes[d]
          index[d] = 0
          d -= 1
        }
      }
    }

    let workers = Swift.min(Parallelism.threadCount, count / elementwiseParallelThreshold, outer)
    if workers <= 1 {
      run(0..<outer, into: result.buffer.pointer)
      return result
    }
    // Split the outer iterations; each worker accumulates into its own copy of the result.
    let partials = (0..<workers).map { _ in Tensor(repeating: initial, shape: targetShape) }
    parallelFor(workers) { range in
      for w in range {
        run(outer * w / workers..<outer * (w + 1) / workers, into: partials[w].buffer.pointer)
      }
    }
    let out = result.buffer.pointer
    for partial in partials {
      for i in 0..<resultCount { out[i] = combine(out[i], partial.buffer.pointer[i]) }
    }
    return result
  }

  /// The sum of `self` over the axes that broadcasting `targetShape` to `shape` would expand:
  /// the adjoint of ``broadcasted(to:)``.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func summed(toShape targetShape: [Int]) -> Tensor {
    if targetShape == shape { return self }
    return reduced(toShape: targetShape, .sum)
  }

  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  func keptShape(_ axes: [Int]) -> [Int] {
    var s = shape
    for axis in axes {
      let a = axis < 0 ? axis + rank : axis
      precondition(0 <= a && a < rank, "axis \(axis) is out of range for shape \(shape)")
      s[a] = 1
    }
    return s
  }

  /// The sum over `axes`, keeping them as size-1 axes (PyTorch `sum(axes, keepdim=True)`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func sum(alongAxes axes: [Int]) -> Tensor { summed(toShape: keptShape(axes)) }

  /// The sum over `axes`, removing them (PyTorch `sum(axes)`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func sum(squeezingAxes axes: [Int]) -> Tensor {
    let kept = keptShape(axes)
    let normalized = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
    return summed(toShape: kept).reshaped(
      to: shape.indices.filter { !normalized.contains($0) }.map { shape[$0] })
  }

  /// The sum of all elements, as a rank-0 tensor.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func sum() -> Tensor { reduced(toShape: [], .sum) }

  /// The mean over `axes`, keeping them (PyTorch `mean(axes, keepdim=True)`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func mean(alongAxes axes: [Int]) -> Tensor {
    let kept = keptShape(axes)
    return summed(toShape: kept) * (Scalar(kept.reduce(1, *)) / Scalar(Swift.max(count, 1)))
  }

  /// The mean of all elements, as a rank-0 tensor.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func mean() -> Tensor { sum() / Scalar(count) }

  /// The maximum over `axes`, keeping them (PyTorch `amax(axes, keepdim=True)`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func max(alongAxes axes: [Int]) -> Tensor {
    reduced(toShape: keptShape(axes), .max)
  }

  /// The largest element.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func max() -> Scalar { reduced(toShape: [], .max).scalar }

  /// The inner product `sum(self * other)` of two tensors of the same shape.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func dot(_ other: Tensor) -> Scalar {
    precondition(shape == other.shape, "dot: shapes differ: \(shape) and \(other.shape)")
    return (self * other).sum().scalar
  }

  /// The Euclidean norm of all elements.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func norm() -> Scalar { dot(self).squareRoot() }

  /// True when every element is finite (no NaN or infinity).
  @inlinable
  public var isFinite: Bool { withUnsafeBufferPointer { $0.allSatisfy { $0.isFinite } } }
}
