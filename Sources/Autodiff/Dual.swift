// Dual: a value with a block of k tangents, and the forward-mode (JVP) rule of each primitive.

import TensorCore

/// A tensor value together with `k` tangents (directional derivatives along `k` directions).
///
/// `tangent`, when present, has shape `[k] + value.shape`: row `i` is the derivative of `value`
/// along direction `i`. A missing tangent means all `k` tangents are zero, and costs nothing.
///
/// Every operation on `Dual` computes its value and, by the chain rule, its tangents: this is
/// forward-mode differentiation (a JVP). HessianKit's reverse pass is itself written in `Dual`
/// operations, so running it on dual numbers yields the gradient *and* its directional
/// derivatives: `k` exact Hessian-vector products from one forward and one backward pass
/// (forward-over-reverse; Pearlmutter 1994, "Fast exact multiplication by the Hessian").
public struct Dual<Scalar: TensorScalar>: @unchecked Sendable {
  /// The primal value.
  public var value: Tensor<Scalar>
  /// The tangents, shape `[k] + value.shape`, or nil when they are all zero.
  public var tangent: Tensor<Scalar>?

  /// Creates a dual number from a value and optional tangents of shape `[k] + value.shape`.
  @inlinable
  public init(_ value: Tensor<Scalar>, tangent: Tensor<Scalar>? = nil) {
    if let tangent {
      precondition(
        tangent.rank == value.rank + 1 && Array(tangent.shape.dropFirst()) == value.shape,
        "tangent shape \(tangent.shape) must be [k] + value shape \(value.shape)")
    }
    self.value = value
    self.tangent = tangent
  }

  /// The shape of the value.
  @inlinable public var shape: [Int] { value.shape }

  /// The number of tangent directions, or nil when the tangent is zero.
  @inlinable public var directionCount: Int? { tangent?.shape[0] }
}

// MARK: - Tangent bookkeeping

extension Dual {
  /// `tangent` reshaped so that it broadcasts against a value of rank `rank`: `[k, 1, ..., s]`.
  @inlinable
  static func aligned(_ tangent: Tensor<Scalar>, valueShape: [Int], rank: Int) -> Tensor<Scalar> {
    if valueShape.count == rank { return tangent }
    return tangent.reshaped(
      to: [tangent.shape[0]] + [Int](repeating: 1, count: rank - valueShape.count) + valueShape)
  }

  /// Makes a tangent computed by broadcasting have exactly the shape `[k] + shape`.
  @inlinable
  static func fitted(_ tangent: Tensor<Scalar>?, to shape: [Int]) -> Tensor<Scalar>? {
    guard let tangent else { return nil }
    let target = [tangent.shape[0]] + shape
    return tangent.shape == target ? tangent : tangent.broadcasted(to: target)
  }

  /// Sum of two optional tangents (nil is zero).
  @inlinable
  static func sum(_ a: Tensor<Scalar>?, _ b: Tensor<Scalar>?) -> Tensor<Scalar>? {
    switch (a, b) {
    case let (a?, b?): return a + b
    case let (a?, nil): return a
    case let (nil, b?): return b
    case (nil, nil): return nil
    }
  }

  /// The tangent of `a` (aligned to the output rank) combined with a tensor by `op`.
  @inlinable
  static func tangentTimes(
    _ d: Dual, _ other: Tensor<Scalar>, rank: Int
  ) -> Tensor<Scalar>? {
    guard let t = d.tangent else { return nil }
    return aligned(t, valueShape: d.shape, rank: rank) * other
  }
}

// MARK: - Arithmetic (JVP rules)

extension Dual {
  /// `a + b` with broadcasting; tangent `da + db`.
  @inlinable
  public static func + (a: Dual, b: Dual) -> Dual {
    let value = primal("a + b") { a.value + b.value }
    let r = value.rank
    let ta = a.tangent.map { aligned($0, valueShape: a.shape, rank: r) }
    let tb = b.tangent.map { aligned($0, valueShape: b.shape, rank: r) }
    return Dual(value, tangent: fitted(sum(ta, tb), to: value.shape))
  }

  /// `a - b` with broadcasting; tangent `da - db`.
  @inlinable
  public static func - (a: Dual, b: Dual) -> Dual { a + (-b) }

  /// `-a`.
  @inlinable
  public static prefix func - (a: Dual) -> Dual {
    Dual(primal("-a") { -a.value }, tangent: a.tangent.map { -$0 })
  }

  /// `a * b` with broadcasting; tangent `da * b + a * db` (product rule).
  @inlinable
  public static func * (a: Dual, b: Dual) -> Dual {
    let value = primal("a * b") { a.value * b.value }
    let r = value.rank
    let t = sum(tangentTimes(a, b.value, rank: r), tangentTimes(b, a.value, rank: r))
    return Dual(value, tangent: fitted(t, to: value.shape))
  }

  /// `a / b` with broadcasting; tangent `da / b - a db / b^2`.
  @inlinable
  public static func / (a: Dual, b: Dual) -> Dual {
    let value = primal("a / b") { a.value / b.value }
    let r = value.rank
    let ta = tangentTimes(a, 1 / b.value, rank: r)
    let tb = tangentTimes(b, -value / b.value, rank: r)
    return Dual(value, tangent: fitted(sum(ta, tb), to: value.shape))
  }

  /// `a * c` for a constant tensor `c` (broadcasting); tangent `da * c`.
  @inlinable
  public static func * (a: Dual, c: Tensor<Scalar>) -> Dual {
    let value = primal("a * c") { a.value * c }
    return Dual(value, tangent: fitted(tangentTimes(a, c, rank: value.rank), to: value.shape))
  }

  /// `a * s` for a scalar constant.
  @inlinable
  public static func * (a: Dual, s: Scalar) -> Dual {
    Dual(primal("a * s") { a.value * s }, tangent: a.tangent.map { $0 * s })
  }

  /// `a + s` for a scalar constant.
  @inlinable
  public static func + (a: Dual, s: Scalar) -> Dual {
    Dual(primal("a + s") { a.value + s }, tangent: a.tangent)
  }
}

// MARK: - Shape (linear maps: the tangent goes through the same map)

extension Dual {
  /// The sum over the axes that broadcasting `shape` to `self.shape` expands (the adjoint of
  /// broadcasting).
  @inlinable
  public func summed(toShape target: [Int]) -> Dual {
    if target == shape { return self }
    let value = primal("summed(toShape:)") { self.value.summed(toShape: target) }
    guard let t = tangent else { return Dual(value) }
    let padded = [Int](repeating: 1, count: shape.count - target.count) + target
    let reduced = t.summed(toShape: [t.shape[0]] + padded).reshaped(to: [t.shape[0]] + target)
    return Dual(value, tangent: reduced)
  }

  /// The value broadcast to `target` (copied).
  @inlinable
  public func broadcasted(to target: [Int]) -> Dual {
    if target == shape { return self }
    let value = primal("broadcasted(to:)") { self.value.broadcasted(to: target) }
    guard let t = tangent else { return Dual(value) }
    return Dual(
      value,
      tangent: Dual.aligned(t, valueShape: shape, rank: target.count).broadcasted(
        to: [t.shape[0]] + target))
  }

  /// The same elements with a new shape.
  @inlinable
  public func reshaped(to target: [Int]) -> Dual {
    let value = value.reshaped(to: target)
    return Dual(value, tangent: tangent.map { $0.reshaped(to: [$0.shape[0]] + value.shape) })
  }

  /// The axes reordered.
  @inlinable
  public func permuted(_ axes: [Int]) -> Dual {
    Dual(
      primal("permuted") { value.permuted(axes) },
      tangent: tangent?.permuted([0] + axes.map { $0 + 1 }))
  }

  /// Elements `range` of `axis`.
  @inlinable
  public func slice(_ range: Range<Int>, alongAxis axis: Int) -> Dual {
    Dual(
      primal("slice") { value.slice(range, alongAxis: axis) },
      tangent: tangent?.slice(range, alongAxis: axis + 1))
  }

  /// Zero padding that places `self` at `range` of `axis` in a tensor of size `size` there: the
  /// adjoint of ``slice(_:alongAxis:)``.
  @inlinable
  public func padded(into size: Int, at range: Range<Int>, alongAxis axis: Int) -> Dual {
    func pad(_ t: Tensor<Scalar>, _ axis: Int) -> Tensor<Scalar> {
      var before = t.shape
      before[axis] = range.lowerBound
      var after = t.shape
      after[axis] = size - range.upperBound
      return Tensor.concatenated([Tensor(zeros: before), t, Tensor(zeros: after)], alongAxis: axis)
    }
    return Dual(primal("padded") { pad(value, axis) }, tangent: tangent.map { pad($0, axis + 1) })
  }
}
