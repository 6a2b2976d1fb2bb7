// Hot loops over rows of n scalars (n can be 300,000), dispatched once per call to code
// specialized for Float or Double.
//
// A note on specialization: the public algorithms are generic and not @inlinable, so a client
// calling them with Float runs the unspecialized code, where every `Double(x)` on a generic
// scalar is a witness-table call. These kernels test the scalar type once and call a loop
// specialized for Float or Double; the remaining generic code touches O(basis size^2) numbers,
// not O(n). Dot products sum in the working precision with SIMD lanes over chunks of 2048 and in
// Double across chunks (Kernels+RowProducts.swift); large products go through BLAS
// (`Tensor.gemm`).

import TensorCore

enum Kernels {
  /// `sum_i a[i] * b[i]`, accumulated in Double across chunks of 2048 (see ``chunkDot``).
  static func dot<S: TensorScalar>(
    _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, count: Int
  ) -> Double {
    if S.self == Float.self {
      return dotLoop(a.rebound(Float.self), b.rebound(Float.self), count)
    } else if S.self == Double.self {
      return dotLoop(a.rebound(Double.self), b.rebound(Double.self), count)
    }
    return genericDot(a, b, count)
  }

  /// `y[i] += alpha * x[i]`.
  static func axpy<S: TensorScalar>(
    _ alpha: Double, _ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count: Int
  ) {
    if S.self == Float.self {
      axpyLoop(Float(alpha), x.rebound(Float.self), y.rebound(Float.self), count)
    } else if S.self == Double.self {
      axpyLoop(alpha, x.rebound(Double.self), y.rebound(Double.self), count)
    } else {
      axpyLoop(S(alpha), x, y, count)
    }
  }

  /// `x[i] *= alpha`.
  static func scale<S: TensorScalar>(_ x: UnsafeMutablePointer<S>, by alpha: Double, count: Int) {
    if S.self == Float.self {
      scaleLoop(x.rebound(Float.self), Float(alpha), count)
    } else if S.self == Double.self {
      scaleLoop(x.rebound(Double.self), alpha, count)
    } else {
      scaleLoop(x, S(alpha), count)
    }
  }

  /// True when no element is NaN or infinite.
  static func allFinite<S: TensorScalar>(_ x: UnsafePointer<S>, count: Int) -> Bool {
    if S.self == Float.self { return allFiniteLoop(x.rebound(Float.self), count) }
    if S.self == Double.self { return allFiniteLoop(x.rebound(Double.self), count) }
    return allFiniteLoop(x, count)
  }

  /// Welford's update of per-entry running means and sums of squared deviations with the
  /// sample `x[i] = z[i] * az[i]`; `sampleIndex` is the 1-based index of this sample.
  static func welfordProducts<S: TensorScalar>(
    _ z: UnsafePointer<S>, _ az: UnsafePointer<S>, mean: UnsafeMutablePointer<Double>,
    m2: UnsafeMutablePointer<Double>, sampleIndex: Int, count: Int
  ) {
    if S.self == Float.self {
      welfordLoop(z.rebound(Float.self), az.rebound(Float.self), mean, m2, sampleIndex, count)
    } else if S.self == Double.self {
      welfordLoop(z.rebound(Double.self), az.rebound(Double.self), mean, m2, sampleIndex, count)
    } else {
      welfordLoop(z, az, mean, m2, sampleIndex, count)
    }
  }

  /// Copies `count` scalars (a plain memory copy).
  static func copy<S: TensorScalar>(
    from source: UnsafePointer<S>, to destination: UnsafeMutablePointer<S>, count: Int
  ) {
    UnsafeMutableRawPointer(destination).copyMemory(
      from: UnsafeRawPointer(source), byteCount: count * MemoryLayout<S>.stride)
  }

  /// Converts `count` Doubles into scalars.
  static func convert<S: TensorScalar>(
    _ source: UnsafePointer<Double>, to destination: UnsafeMutablePointer<S>, count: Int
  ) {
    if S.self == Float.self {
      let d = destination.rebound(Float.self)
      for i in 0..<count { d[i] = Float(source[i]) }
    } else {
      for i in 0..<count { destination[i] = S(source[i]) }
    }
  }

  // MARK: - Loops, specialized at the call sites above

  /// Sums in the working precision over chunks of 2048 (SIMD), in Double across chunks.
  @inline(__always)
  static func dotLoop<T: BinaryFloatingPoint & SIMDScalar>(
    _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ count: Int
  ) -> Double {
    var total = 0.0
    var start = 0
    while start < count {
      let width = Swift.min(rowProductChunk, count - start)
      total += Double(chunkDot(a + start, b + start, width))
      start += width
    }
    return total
  }

  /// Sums in Double (a fallback for scalar types other than Float and Double).
  static func genericDot<T: BinaryFloatingPoint>(
    _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ count: Int
  ) -> Double {
    var total = 0.0
    for i in 0..<count { total += Double(a[i]) * Double(b[i]) }
    return total
  }

  @inline(__always)
  static func axpyLoop<T: BinaryFloatingPoint>(
    _ alpha: T, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ count: Int
  ) {
    for i in 0..<count { y[i] += alpha * x[i] }
  }

  @inline(__always)
  static func scaleLoop<T: BinaryFloatingPoint>(
    _ x: UnsafeMutablePointer<T>, _ alpha: T, _ count: Int
  ) {
    for i in 0..<count { x[i] *= alpha }
  }

  @inline(__always)
  static func allFiniteLoop<T: BinaryFloatingPoint>(_ x: UnsafePointer<T>, _ count: Int) -> Bool {
    // x - x is 0 for finite x and NaN otherwise; one comparison per block of the sum.
    var accumulator: T = 0
    for i in 0..<count { accumulator += x[i] - x[i] }
    return accumulator == 0
  }

  @inline(__always)
  static func welfordLoop<T: BinaryFloatingPoint>(
    _ z: UnsafePointer<T>, _ az: UnsafePointer<T>, _ mean: UnsafeMutablePointer<Double>,
    _ m2: UnsafeMutablePointer<Double>, _ sampleIndex: Int, _ count: Int
  ) {
    let inverse = 1 / Double(sampleIndex)
    for i in 0..<count {
      let x = Double(z[i]) * Double(az[i])
      let delta = x - mean[i]
      mean[i] += delta * inverse
      m2[i] += delta * (x - mean[i])
    }
  }
}

extension UnsafePointer {
  /// The same address typed as `T`; valid only when `Pointee` is `T`.
  @inline(__always)
  func rebound<T>(_: T.Type) -> UnsafePointer<T> {
    UnsafeRawPointer(self).assumingMemoryBound(to: T.self)
  }
}

extension UnsafeMutablePointer {
  /// The same address typed as `T`; valid only when `Pointee` is `T`.
  @inline(__always)
  func rebound<T>(_: T.Type) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(self).assumingMemoryBound(to: T.self)
  }
}

extension Tensor {
  /// Calls `body` with the address of the elements (never nil: tensors always own storage).
  @discardableResult
  func withBase<R>(_ body: (UnsafePointer<Scalar>) throws -> R) rethrows -> R {
    try withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { preconditionFailure("tensor without storage") }
      return try body(base)
    }
  }

  /// Calls `body` with the mutable address of the elements, copying shared storage first.
  @discardableResult
  mutating func withMutableBase<R>(_ body: (UnsafeMutablePointer<Scalar>) throws -> R) rethrows -> R
  {
    try withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { preconditionFailure("tensor without storage") }
      return try body(base)
    }
  }
}
