// Element-wise functions on dual numbers: value f(x), tangent f'(x) dx.

import RealModule
import TensorCore

extension Dual {
  /// `f(x)` with tangent `f'(x) * dx`, where `derivative` computes `f'` from `x` and `f(x)`.
  @inlinable
  func unary(
    _ f: (Tensor<Scalar>) -> Tensor<Scalar>,
    derivative: (_ x: Tensor<Scalar>, _ y: Tensor<Scalar>) -> Tensor<Scalar>
  ) -> Dual {
    let y = primal("unary function") { f(value) }
    guard let t = tangent else { return Dual(y) }
    return Dual(y, tangent: t * derivative(value, y))
  }

  /// `e^x`; derivative `e^x`.
  @inlinable public func exp() -> Dual { unary({ $0.exp() }, derivative: { _, y in y }) }

  /// `log x`; derivative `1 / x`.
  @inlinable public func log() -> Dual { unary({ $0.log() }, derivative: { x, _ in 1 / x }) }

  /// `sqrt x`; derivative `1 / (2 sqrt x)`.
  @inlinable
  public func squareRoot() -> Dual { unary({ $0.squareRoot() }, derivative: { _, y in 0.5 / y }) }

  /// `tanh x`; derivative `1 - tanh^2 x`.
  @inlinable
  public func tanh() -> Dual { unary({ $0.tanh() }, derivative: { _, y in 1 - y * y }) }

  /// `sigmoid x`; derivative `sigmoid x (1 - sigmoid x)`.
  @inlinable
  public func sigmoid() -> Dual {
    unary({ $0.sigmoid() }, derivative: { _, y in y.zipMap(y) { s, _ in s * (1 - s) } })
  }

  /// `erf x`; derivative `2 / sqrt(pi) e^(-x^2)`.
  @inlinable
  public func erf() -> Dual {
    let c = 2 / Scalar.pi.squareRoot()
    return unary({ $0.erf() }, derivative: { x, _ in x.map { c * .exp(-$0 * $0) } })
  }

  /// `softplus x = log(1 + e^x)`; derivative `sigmoid x`.
  @inlinable
  public func softplus() -> Dual {
    unary({ $0.softplus() }, derivative: { x, _ in x.sigmoid() })
  }
}
