// Element-wise arithmetic with NumPy/PyTorch broadcasting, and element-wise functions.

import RealModule

/// Element-wise loops split across threads only above this many elements (about 50-100 us of
/// work, where the dispatch overhead stops mattering).
@usableFromInline let elementwiseParallelThreshold = 1 << 16

extension Tensor {
  /// Applies `transform` to every element (PyTorch `tensor.apply_` without mutation).
  @inlinable
  public func map(_ transform: (Scalar) -> Scalar) -> Tensor {
    let result = Tensor(uninitializedShape: shape)
    let source = UncheckedSendable(buffer.pointer)
    let destination = UncheckedSendable(result.buffer.pointer)
    parallelFor(count, minimumChunk: elementwiseParallelThreshold) { range in
      let s = source.value
      let d = destination.value
      for i in range { (d + i).initialize(to: transform(s[i])) }
    }
    return result
  }

  /// Combines two tensors element by element, broadcasting their shapes (NumPy rules).
  @inlinable
  public func zipMap(_ other: Tensor, _ combine: (Scalar, Scalar) -> Scalar) -> Tensor {
    if shape == other.shape {
      let result = Tensor(uninitializedShape: shape)
      let a = UncheckedSendable(buffer.pointer)
      let b = UncheckedSendable(other.buffer.pointer)
      let d = UncheckedSendable(result.buffer.pointer)
      parallelFor(count, minimumChunk: elementwiseParallelThreshold) { range in
        for i in range { (d.value + i).initialize(to: combine(a.value[i], b.value[i])) }
      }
      return result
    }
    if other.count == 1 && broadcastShape(shape, other.shape) == shape {
      let y = other.buffer.pointer[0]
      return map { combine($0, y) }
    }
    if count == 1 && broadcastShape(shape, other.shape) == other.shape {
      let x = buffer.pointer[0]
      return other.map { combine(x, $0) }
    }
    return broadcastZipMap(other, combine)
  }

  @inlinable
  func broadcastZipMap(_ other: Tensor, _ combine: (Scalar, Scalar) -> Scalar) -> Tensor {
    let outShape = broadcastShape(shape, other.shape)
    let r = outShape.count
    func alignedStrides(_ s: [Int]) -> [Int] {
      let padded = [Int](repeating: 1, count: r - s.count) + s
      let strides = contiguousStrides(padded)
      return (0..<r).map { padded[$0] == 1 ? 0 : strides[$0] }
    }
    // Coalesce adjacent axes that are contiguous (or broadcast) in both operands.
    var sizes: [Int] = []
    var sa: [Int] = []
    var sb: [Int] = []
    let fa = alignedStrides(shape)
    let fb = alignedStrides(other.shape)
    for i in 0..<r where outShape[i] != 1 {
      if let last = sizes.indices.last, sa[last] == fa[i] * outShape[i],
        sb[last] == fb[i] * outShape[i]
      {
        sizes[last] *= outShape[i]
        sa[last] = fa[i]
        sb[last] = fb[i]
      } else {
        sizes.append(outShape[i])
        sa.append(fa[i])
        sb.append(fb[i])
      }
    }
    let result = Tensor(uninitializedShape: outShape)
    if sizes.isEmpty {
      result.buffer.pointer.initialize(to: combine(buffer.pointer[0], other.buffer.pointer[0]))
      return result
    }
    let inner = sizes.removeLast()
    let ia = sa.removeLast()
    let ib = sb.removeLast()
    let outer = sizes.reduce(1, *)
    let pa = UncheckedSendable(buffer.pointer)
    let pb = UncheckedSendable(other.buffer.pointer)
    let pd = UncheckedSendable(result.buffer.pointer)
    parallelFor(outer, minimumChunk: Swift.max(1, elementwiseParallelThreshold / inner)) { range in
      var index = [Int](repeating: 0, count: sizes.count)
      var rest = range.lowerBound
      var offA = 0
      var offB = 0
      for d in stride(from: sizes.count - 1, through: 0, by: -1) {
        index[d] = rest % sizes[d]
        rest /= sizes[d]
        offA += index[d] * sa[d]
        offB += index[d] * sb[d]
      }
      var out = pd.value + range.lowerBound * inner
      for _ in range {
        let x = pa.value + offA
        let y = pb.value + offB
        switch (ia, ib) {
        case (1, 1): for j in 0..<inner { (out + j).initialize(to: combine(x[j], y[j])) }
        case (1, 0):
          let c = y[0]
          for j in 0..<inner { (out + j).initialize(to: combine(x[j], c)) }
        case (0, 1):
          let c = x[0]
          for j in 0..<inner { (out + j).initialize(to: combine(c, y[j])) }
        default:
          for j in 0..<inner { (out + j).initialize(to: combine(x[j * ia], y[j * ib])) }
        }
        out += inner
        var d = sizes.count - 1
        while d >= 0 {
          index[d] += 1
          offA += sa[d]
          offB += sb[d]
          if index[d] < sizes[d] { break }
          offA -= sa[d] * sizes[d]
          offB -= sb[d] * sizes[d]
          index[d] = 0
          d -= 1
        }
      }
    }
    return result
  }

  /// Element-wise sum with broadcasting (PyTorch `a + b`).
  @inlinable public static func + (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b, +) }
  /// Element-wise difference with broadcasting.
  @inlinable public static func - (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b, -) }
  /// Element-wise product with broadcasting.
  @inlinable public static func * (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b, *) }
  /// Element-wise quotient with broadcasting.
  @inlinable public static func / (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b, /) }
  /// Adds a scalar to every element.
  @inlinable public static func + (a: Tensor, b: Scalar) -> Tensor { a.map { $0 + b } }
  /// Subtracts a scalar from every element.
  @inlinable public static func - (a: Tensor, b: Scalar) -> Tensor { a.map { $0 - b } }
  /// Multiplies every element by a scalar.
  @inlinable public static func * (a: Tensor, b: Scalar) -> Tensor { a.map { $0 * b } }
  /// Divides every element by a scalar.
  @inlinable public static func / (a: Tensor, b: Scalar) -> Tensor { a.map { $0 / b } }
  /// Multiplies every element by a scalar.
  @inlinable public static func * (a: Scalar, b: Tensor) -> Tensor { b.map { a * $0 } }
  /// Adds a scalar to every element.
  @inlinable public static func + (a: Scalar, b: Tensor) -> Tensor { b.map { a + $0 } }
  /// Divides a scalar by every element.
  @inlinable public static func / (a: Scalar, b: Tensor) -> Tensor { b.map { a / $0 } }
  /// Subtracts every element from a scalar.
  @inlinable public static func - (a: Scalar, b: Tensor) -> Tensor { b.map { a - $0 } }
  /// Element-wise negation.
  @inlinable public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

  /// Adds `other` (of the same shape) in place: `self += other`.
  @inlinable
  public static func += (a: inout Tensor, b: Tensor) {
    guard a.shape == b.shape else {
      a = a + b
      return
    }
    a.makeUnique()
    let pa = UncheckedSendable(a.buffer.pointer)
    let pb = UncheckedSendable(b.buffer.pointer)
    parallelFor(a.count, minimumChunk: elementwiseParallelThreshold) { range in
      for i in range { pa.value[i] += pb.value[i] }
    }
  }

  /// `self += alpha * x` in place (BLAS `axpy`); shapes must be equal.
  @inlinable
  public mutating func add(_ x: Tensor, scaledBy alpha: Scalar) {
    precondition(shape == x.shape, "add(_:scaledBy:) shapes differ: \(shape) and \(x.shape)")
    makeUnique()
    let pa = UncheckedSendable(buffer.pointer)
    let pb = UncheckedSendable(x.buffer.pointer)
    parallelFor(count, minimumChunk: elementwiseParallelThreshold) { range in
      for i in range { pa.value[i] += alpha * pb.value[i] }
    }
  }
}

// MARK: - Element-wise functions

extension Tensor {
  /// `e^x` element-wise.
  @inlinable public func exp() -> Tensor { map { .exp($0) } }
  /// The natural logarithm element-wise.
  @inlinable public func log() -> Tensor { map { .log($0) } }
  /// The square root element-wise.
  @inlinable public func squareRoot() -> Tensor { map { $0.squareRoot() } }
  /// The hyperbolic tangent element-wise.
  @inlinable public func tanh() -> Tensor { map { .tanh($0) } }
  /// The error function element-wise.
  @inlinable public func erf() -> Tensor { map { .erf($0) } }
  /// The absolute value element-wise.
  @inlinable public func abs() -> Tensor { map { Swift.abs($0) } }
  /// The logistic sigmoid `1 / (1 + e^-x)` element-wise, computed without overflow.
  @inlinable
  public func sigmoid() -> Tensor {
    map { x in
      if x >= 0 { return 1 / (1 + .exp(-x)) }
      let e = Scalar.exp(x)
      return e / (1 + e)
    }
  }
  /// `log(1 + e^x)` element-wise, computed without overflow (PyTorch `F.softplus`, beta 1).
  @inlinable
  public func softplus() -> Tensor {
    map { x in Swift.max(x, 0) + .log(onePlus: .exp(-Swift.abs(x))) }
  }
  /// `max(x, 0)` element-wise.
  @inlinable public func relu() -> Tensor { map { $0 > 0 ? $0 : 0 } }
  /// 1 where `x > threshold`, otherwise 0.
  @inlinable public func indicator(greaterThan threshold: Scalar = 0) -> Tensor {
    map { $0 > threshold ? 1 : 0 }
  }
}
