// Element-wise arithmetic with NumPy/PyTorch broadcasting, and element-wise functions.

import RealModule

/// Element-wise loops split across threads only above this many elements (about 50-100 us of
/// work, where the dispatch overhead stops mattering).
@usableFromInline let elementwiseParallelThreshold = 1 << 16

/// The arithmetic operations with dedicated element-wise kernels.
@usableFromInline
enum BinaryOperator: Sendable {
  case add, subtract, multiply, divide
}

/// The functions with dedicated element-wise kernels.
@usableFromInline
enum UnaryOperator: Sendable {
  case exp, log, squareRoot, tanh, erf, sigmoid, softplus, relu, abs, negate, reciprocal
  case positiveIndicator
}

extension Tensor {
  /// `out[j] = f(x[j * ix], y[j * iy])` for `j < n`, with the common stride patterns (contiguous
  /// or broadcast) written out so each loop is a plain, vectorizable loop once `f` is inlined.
  @inlinable @inline(__always)
  static func rowLoop(
    _ x: UnsafePointer<Scalar>, _ ix: Int, _ y: UnsafePointer<Scalar>, _ iy: Int,
    _ out: UnsafeMutablePointer<Scalar>, _ n: Int, _ f: (Scalar, Scalar) -> Scalar
  ) {
    switch (ix, iy) {
    case (1, 1): for j in 0..<n { out[j] = f(x[j], y[j]) }
    case (1, 0):
      let c = y[0]
      for j in 0..<n { out[j] = f(x[j], c) }
    case (0, 1):
      let c = x[0]
      for j in 0..<n { out[j] = f(c, y[j]) }
    default: for j in 0..<n { out[j] = f(x[j * ix], y[j * iy]) }
    }
  }

  @inlinable @inline(__always)
  static func binaryRow(
    _ op: BinaryOperator, _ x: UnsafePointer<Scalar>, _ ix: Int, _ y: UnsafePointer<Scalar>,
    _ iy: Int, _ out: UnsafeMutablePointer<Scalar>, _ n: Int
  ) {
    switch op {
    case .add: rowLoop(x, ix, y, iy, out, n, +)
    case .subtract: rowLoop(x, ix, y, iy, out, n, -)
    case .multiply: rowLoop(x, ix, y, iy, out, n, *)
    case .divide: rowLoop(x, ix, y, iy, out, n, /)
    }
  }

  @inlinable @inline(__always)
  static func unaryLoop(
    _ x: UnsafePointer<Scalar>, _ out: UnsafeMutablePointer<Scalar>, _ range: Range<Int>,
    _ f: (Scalar) -> Scalar
  ) {
    for i in range { out[i] = f(x[i]) }
  }

  /// Applies a kernel function element by element, split across threads.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  func unary(_ op: UnaryOperator) -> Tensor {
    let result = Tensor(uninitializedShape: shape)
    let x = UncheckedSendable(UnsafePointer(buffer.pointer))
    let d = UncheckedSendable(result.buffer.pointer)
    parallelFor(count, minimumChunk: elementwiseParallelThreshold / 4) { r in
      let (x, d) = (x.value, d.value)
      switch op {
      case .exp: Tensor.unaryLoop(x, d, r) { .exp($0) }
      case .log: Tensor.unaryLoop(x, d, r) { .log($0) }
      case .squareRoot: Tensor.unaryLoop(x, d, r) { $0.squareRoot() }
      case .tanh: Tensor.unaryLoop(x, d, r) { .tanh($0) }
      case .erf: Tensor.unaryLoop(x, d, r) { .erf($0) }
      case .sigmoid:
        Tensor.unaryLoop(x, d, r) { v in
          if v >= 0 { return 1 / (1 + .exp(-v)) }
          let e = Scalar.exp(v)
          return e / (1 + e)
        }
      case .softplus:
        Tensor.unaryLoop(x, d, r) { Swift.max($0, 0) + .log(onePlus: .exp(-Swift.abs($0))) }
      case .relu: Tensor.unaryLoop(x, d, r) { $0 > 0 ? $0 : 0 }
      case .abs: Tensor.unaryLoop(x, d, r) { Swift.abs($0) }
      case .negate: Tensor.unaryLoop(x, d, r) { -$0 }
      case .reciprocal: Tensor.unaryLoop(x, d, r) { 1 / $0 }
      case .positiveIndicator: Tensor.unaryLoop(x, d, r) { $0 > 0 ? 1 : 0 }
      }
    }
    return result
  }

  /// Applies `transform` to every element (PyTorch `tensor.apply_` without mutation).
  ///
  /// For the common functions prefer the named methods (`exp()`, `tanh()`, ...): their loops are
  /// specialized; `map` calls `transform` once per element.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func map(_ transform: (Scalar) -> Scalar) -> Tensor {
    let result = Tensor(uninitializedShape: shape)
    let source = UncheckedSendable(UnsafePointer(buffer.pointer))
    let destination = UncheckedSendable(result.buffer.pointer)
    parallelFor(count, minimumChunk: elementwiseParallelThreshold) { range in
      Tensor.unaryLoop(source.value, destination.value, range, transform)
    }
    return result
  }

  /// Combines two tensors element by element, broadcasting their shapes (NumPy rules).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func zipMap(_ other: Tensor, _ combine: (Scalar, Scalar) -> Scalar) -> Tensor {
    broadcastRows(other) { x, ix, y, iy, out, n in Tensor.rowLoop(x, ix, y, iy, out, n, combine) }
  }

  /// `self op other` with broadcasting, through the dedicated kernels.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  func binary(_ op: BinaryOperator, _ other: Tensor) -> Tensor {
    broadcastRows(other) { x, ix, y, iy, out, n in Tensor.binaryRow(op, x, ix, y, iy, out, n) }
  }

  /// `self op s` for a scalar `s`.
  @inlinable
  func binary(_ op: BinaryOperator, scalar s: Scalar) -> Tensor { binary(op, Tensor(s)) }

  /// The broadcast driver: calls `row(x, ix, y, iy, out, n)` for runs of the output where each
  /// operand is contiguous (stride 1) or broadcast (stride 0), split across threads.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  func broadcastRows(
    _ other: Tensor,
    _ row: (
      UnsafePointer<Scalar>, Int, UnsafePointer<Scalar>, Int, UnsafeMutablePointer<Scalar>, Int
    ) -> Void
  ) -> Tensor {
    let pa = UncheckedSendable(UnsafePointer(buffer.pointer))
    let pb = UncheckedSendable(UnsafePointer(other.buffer.pointer))
    if shape == other.shape || other.count == 1 || count == 1 {
      let outShape = shape == other.shape ? shape : broadcastShape(shape, other.shape)
      let result = Tensor(uninitializedShape: outShape)
      let ia = count == 1 && result.count > 1 ? 0 : 1
      let ib = other.count == 1 && result.count > 1 ? 0 : 1
      let d = UncheckedSendable(result.buffer.pointer)
      parallelFor(result.count, minimumChunk: elementwiseParallelThreshold) { r in
        row(
          pa.value + r.lowerBound * ia, ia, pb.value + r.lowerBound * ib, ib,
          d.value + r.lowerBound, r.count)
      }
      return result
    }
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
    let inner = sizes.removeLast()
    let ia = sa.removeLast()
    let ib = sb.removeLast()
    let outer = sizes.reduce(1, *)
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
        row(pa.value + offA, ia, pb.value + offB, ib, out, inner)
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
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static func + (a: Tensor, b: Tensor) -> Tensor { a.binary(.add, b) }
  /// Element-wise difference with broadcasting.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static func - (a: Tensor, b: Tensor) -> Tensor { a.binary(.subtract, b) }
  /// Element-wise product with broadcasting.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static func * (a: Tensor, b: Tensor) -> Tensor { a.binary(.multiply, b) }
  /// Element-wise quotient with broadcasting.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static func / (a: Tensor, b: Tensor) -> Tensor { a.binary(.divide, b) }
  /// Adds a scalar to every element.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static func + (a: Tensor, b: Scalar) -> Tensor { a.binary(.add, scalar: b) }
  /// Subtracts a scalar from every element.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static func - (a: Tensor, b: Scalar) -> Tensor {
    a.binary(.subtract, scalar: b)
  }
  /// Multiplies every element by a scalar.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static func * (a: Tensor, b: Scalar) -> Tensor {
    a.binary(.multiply, scalar: b)
  }
  /// Divides every element by a scalar.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static func / (a: Tensor, b: Scalar) -> Tensor { a.binary(.divide, scalar: b) }
  /// Multiplies every element by a scalar.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static func * (a: Scalar, b: Tensor) -> Tensor {
    b.binary(.multiply, scalar: a)
  }
  /// Adds a scalar to every element.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static func + (a: Scalar, b: Tensor) -> Tensor { b.binary(.add, scalar: a) }
  /// Divides a scalar by every element.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static func / (a: Scalar, b: Tensor) -> Tensor { Tensor(a).binary(.divide, b) }
  /// Subtracts every element from a scalar.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static func - (a: Scalar, b: Tensor) -> Tensor {
    Tensor(a).binary(.subtract, b)
  }
  /// Element-wise negation.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public static prefix func - (a: Tensor) -> Tensor { a.unary(.negate) }

  /// Adds `other` (of the same shape) in place: `self += other`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
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
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public func exp() -> Tensor { unary(.exp) }
  /// The natural logarithm element-wise.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public func log() -> Tensor { unary(.log) }
  /// The square root element-wise.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public func squareRoot() -> Tensor { unary(.squareRoot) }
  /// The hyperbolic tangent element-wise.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public func tanh() -> Tensor { unary(.tanh) }
  /// The error function element-wise.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public func erf() -> Tensor { unary(.erf) }
  /// The absolute value element-wise.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public func abs() -> Tensor { unary(.abs) }
  /// The logistic sigmoid `1 / (1 + e^-x)` element-wise, computed without overflow.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func sigmoid() -> Tensor { unary(.sigmoid) }
  /// `log(1 + e^x)` element-wise, computed without overflow (PyTorch `F.softplus`, beta 1).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func softplus() -> Tensor { unary(.softplus) }
  /// `max(x, 0)` element-wise.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public func relu() -> Tensor { unary(.relu) }
  /// 1 where `x > threshold`, otherwise 0.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable public func indicator(greaterThan threshold: Scalar = 0) -> Tensor {
    threshold == 0 ? unary(.positiveIndicator) : map { $0 > threshold ? 1 : 0 }
  }
  /// `1 / x` element-wise.
  @inlinable public func reciprocal() -> Tensor { unary(.reciprocal) }
}

extension Tensor {
  /// `self` where `reference > 0`, else 0; `self` is `reference.shape` or `[k] + reference.shape`
  /// (the mask repeats over the leading directions). ReLU's derivative applied to a tangent or an
  /// adjoint, read from ReLU's output (positive exactly where its input is), so no mask is stored.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func keepingWherePositive(_ reference: Tensor) -> Tensor {
    precondition(
      shape == reference.shape || Array(shape.dropFirst()) == reference.shape,
      "keepingWherePositive: shape \(shape) is neither \(reference.shape) nor [k] + it")
    let result = Tensor(uninitializedShape: shape)
    let n = reference.count
    let x = UncheckedSendable(buffer.pointer)
    let r = UncheckedSendable(reference.buffer.pointer)
    let d = UncheckedSendable(result.buffer.pointer)
    parallelFor(count, minimumChunk: elementwiseParallelThreshold) { range in
      var i = range.lowerBound
      while i < range.upperBound {
        let offset = i % n
        let run = Swift.min(range.upperBound - i, n - offset)
        let (src, ref, dst) = (x.value + i, r.value + offset, d.value + i)
        // Both loads happen unconditionally so the select vectorizes (the branchy form,
        // `ref[j] > 0 ? src[j] : 0`, compiled to scalar code and mispredicted half the time).
        for j in 0..<run {
          let value = src[j]
          dst[j] = ref[j] > 0 ? value : 0
        }
        i += run
      }
    }
    return result
  }
}
