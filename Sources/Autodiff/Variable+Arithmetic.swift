// Arithmetic on variables, with broadcasting. Each pullback is written in Dual operations, so
// its own tangent is exact: that is what makes second derivatives exact.

import TensorCore

extension Variable {
  /// `a + b` with broadcasting (PyTorch `a + b`).
  @inlinable
  public static func + (a: Variable, b: Variable) -> Variable {
    let (sa, sb) = (a.shape, b.shape)
    return record(a.dual + b.dual, from: [a, b]) { g in
      [g.summed(toShape: sa), g.summed(toShape: sb)]
    }
  }

  /// `a - b` with broadcasting.
  @inlinable
  public static func - (a: Variable, b: Variable) -> Variable {
    let (sa, sb) = (a.shape, b.shape)
    return record(a.dual - b.dual, from: [a, b]) { g in
      [g.summed(toShape: sa), (-g).summed(toShape: sb)]
    }
  }

  /// `-a`.
  @inlinable
  public static prefix func - (a: Variable) -> Variable {
    record(-a.dual, from: [a]) { g in [-g] }
  }

  /// `a * b` with broadcasting; adjoints `g b` and `g a` (summed over broadcast axes).
  @inlinable
  public static func * (a: Variable, b: Variable) -> Variable {
    let (da, db) = (a.dual, b.dual)
    let (needA, needB) = (a.isDifferentiable, b.isDifferentiable)
    return record(da * db, from: [a, b]) { g in
      [
        needA ? (g * db).summed(toShape: da.shape) : nil,
        needB ? (g * da).summed(toShape: db.shape) : nil,
      ]
    }
  }

  /// `a / b` with broadcasting; adjoints `g / b` and `-g a / b^2`.
  @inlinable
  public static func / (a: Variable, b: Variable) -> Variable {
    let (da, db) = (a.dual, b.dual)
    let y = da / db
    let (needA, needB) = (a.isDifferentiable, b.isDifferentiable)
    return record(y, from: [a, b]) { g in
      [
        needA ? (g / db).summed(toShape: da.shape) : nil,
        needB ? (-(g * y) / db).summed(toShape: db.shape) : nil,
      ]
    }
  }

  /// `a * s` for a scalar constant.
  @inlinable
  public static func * (a: Variable, s: Scalar) -> Variable {
    record(a.dual * s, from: [a]) { g in [g * s] }
  }

  /// `s * a` for a scalar constant.
  @inlinable
  public static func * (s: Scalar, a: Variable) -> Variable { a * s }

  /// `a / s` for a scalar constant.
  @inlinable
  public static func / (a: Variable, s: Scalar) -> Variable { a * (1 / s) }

  /// `a + s` for a scalar constant.
  @inlinable
  public static func + (a: Variable, s: Scalar) -> Variable {
    record(a.dual + s, from: [a]) { g in [g] }
  }

  /// `a - s` for a scalar constant.
  @inlinable
  public static func - (a: Variable, s: Scalar) -> Variable { a + (-s) }

  /// `s - a` for a scalar constant.
  @inlinable
  public static func - (s: Scalar, a: Variable) -> Variable { (-a) + s }

  /// `a * c` for a constant tensor (broadcasting).
  @inlinable
  public static func * (a: Variable, c: Tensor<Scalar>) -> Variable { a * Variable(c) }

  /// `a + c` for a constant tensor (broadcasting).
  @inlinable
  public static func + (a: Variable, c: Tensor<Scalar>) -> Variable { a + Variable(c) }

  /// `a - c` for a constant tensor (broadcasting).
  @inlinable
  public static func - (a: Variable, c: Tensor<Scalar>) -> Variable { a - Variable(c) }

  /// `a * a`.
  @inlinable
  public func squared() -> Variable { self * self }
}
