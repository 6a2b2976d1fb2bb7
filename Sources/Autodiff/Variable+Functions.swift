// Element-wise functions of variables. Smooth ones are primitives whose pullbacks use the
// output (exp, tanh, sigmoid) or the input (log, erf); piecewise-linear ones multiply by a
// constant mask, whose derivative is zero: their second derivative is zero almost everywhere.

import TensorCore

extension Variable {
  /// `e^x` (PyTorch `torch.exp`).
  @inlinable
  public func exp() -> Variable {
    let y = dual.exp()
    return Variable.record(y, from: [self]) { g in [g * y] }
  }

  /// The natural logarithm (PyTorch `torch.log`).
  @inlinable
  public func log() -> Variable {
    let x = dual
    return Variable.record(x.log(), from: [self]) { g in [g / x] }
  }

  /// The square root (PyTorch `torch.sqrt`).
  @inlinable
  public func squareRoot() -> Variable {
    let y = dual.squareRoot()
    return Variable.record(y, from: [self]) { g in [g / (y * 2)] }
  }

  /// The hyperbolic tangent (PyTorch `torch.tanh`, `nn.Tanh`); derivative `1 - y^2`.
  @inlinable
  public func tanh() -> Variable {
    let y = dual.tanh()
    return Variable.record(y, from: [self]) { g in [g * (-(y * y) + 1)] }
  }

  /// The logistic sigmoid (PyTorch `torch.sigmoid`, `nn.Sigmoid`); derivative `y (1 - y)`.
  @inlinable
  public func sigmoid() -> Variable {
    let y = dual.sigmoid()
    return Variable.record(y, from: [self]) { g in [g * (y * (-y + 1))] }
  }

  /// The error function (PyTorch `torch.erf`); derivative `2 / sqrt(pi) e^(-x^2)`.
  @inlinable
  public func erf() -> Variable {
    let x = dual
    let c = 2 / Scalar.pi.squareRoot()
    return Variable.record(x.erf(), from: [self]) { g in [g * ((x * x) * -1).exp() * c] }
  }

  /// `log(1 + e^x)` (PyTorch `nn.Softplus()` with `beta=1`); derivative `sigmoid(x)`.
  ///
  /// PyTorch switches to the identity above `threshold=20`; the two agree there to 2e-9.
  @inlinable
  public func softplus() -> Variable {
    let x = dual
    return Variable.record(x.softplus(), from: [self]) { g in [g * x.sigmoid()] }
  }

  /// `x * m` for a constant tensor `m` of the same shape: the building block of
  /// piecewise-linear functions (the mask is constant, so the second derivative is zero).
  @inlinable
  func multipliedByConstant(_ m: Tensor<Scalar>) -> Variable {
    let mask = m
    return Variable.record(dual * mask, from: [self]) { g in [g * mask] }
  }

  /// `max(x, 0)` (PyTorch `F.relu`, `nn.ReLU`). The derivative at 0 is taken as 0, as PyTorch
  /// does; the second derivative is 0 (almost everywhere).
  @inlinable
  public func relu() -> Variable {
    let y = primal("relu") { value.relu() }
    let output = Dual(y, tangent: dual.tangent?.keepingWherePositive(y))
    // The pullback keeps only `y`, which the next layer holds anyway: no mask is stored.
    return Variable.record(output, from: [self]) { g in
      [
        Dual(
          primal("relu adjoint") { g.value.keepingWherePositive(y) },
          tangent: g.tangent?.keepingWherePositive(y))
      ]
    }
  }

  /// `x` where `x > 0`, else `slope * x` (PyTorch `nn.LeakyReLU(negative_slope)`, default 0.01).
  @inlinable
  public func leakyRelu(negativeSlope slope: Scalar = 0.01) -> Variable {
    multipliedByConstant(primal("leakyRelu mask") { value.map { $0 > 0 ? 1 : slope } })
  }

  /// `x` where `x > 0`, else `alpha (e^x - 1)` (PyTorch `nn.ELU(alpha)`, default 1); its second
  /// derivative is `alpha e^x` for negative `x`.
  @inlinable
  public func elu(alpha: Scalar = 1) -> Variable {
    let positive = primal("elu mask") { value.indicator(greaterThan: 0) }
    let negative = primal("elu mask") { 1 - positive }
    let negativePart = multipliedByConstant(negative)
    return multipliedByConstant(positive) + (negativePart.exp() - 1).multipliedByConstant(negative)
      * alpha
  }

  /// The Gaussian error linear unit in its exact form `x Phi(x) = x (1 + erf(x / sqrt 2)) / 2`
  /// (PyTorch `nn.GELU()`, `approximate='none'`).
  @inlinable
  public func gelu() -> Variable {
    self * ((self * (1 / Scalar(2).squareRoot())).erf() + 1) * 0.5
  }
}
