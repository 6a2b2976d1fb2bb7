// How a curvature operator computes its products: exactly (forward-over-reverse) or by central
// differences of the gradient, with the step rule and its justification.

import Foundation
import TensorCore

/// How an operator computes its products with a vector `v`.
///
/// Every operator in HessianAnalysis takes one (PyTorch users: `torch.autograd.grad` with
/// `create_graph=True` is ``exact``; the seed notebook's `(g(x + eps v) - g(x - eps v)) / 2eps`
/// is ``finiteDifference(_:)``).
public enum DifferentiationMethod: Sendable, Hashable, Codable, CustomStringConvertible {
  /// Exact products by forward-over-reverse differentiation (Pearlmutter 1994): one forward
  /// and one backward pass per block of `k` vectors and per batch, exact to rounding.
  case exact
  /// Central differences of the gradient (of the outputs, for the Gauss-Newton operator):
  ///
  /// ```
  /// H v ~ (g(x + h v) - g(x - h v)) / 2h
  /// ```
  ///
  /// two gradient evaluations per vector and per batch (no block sharing: each perturbed point
  /// needs its own pass). See ``FiniteDifferenceStep`` for `h`.
  case finiteDifference(FiniteDifferenceStep)

  /// `exact` or `finite-difference`, as on the command line.
  public var description: String {
    switch self {
    case .exact: "exact"
    case .finiteDifference(let step): "finite-difference (\(step))"
    }
  }
}

/// The step `h` of a central difference `(g(x + h v) - g(x - h v)) / 2h`.
///
/// **The automatic rule** makes the perturbation `h v` a fixed fraction of the point:
///
/// ```
/// h = cbrt(eps) * max(1, ||x||) / ||v||,   so ||h v|| = cbrt(eps) * max(1, ||x||)
/// ```
///
/// with `eps` the unit roundoff of the scalar type (`2.2e-16` for Double, `1.2e-7` for Float).
/// The error of a central difference is a truncation term `h^2 ||D^3 g[v, v]|| / 6` plus a
/// rounding term of about `eps ||g|| / h` (each gradient carries a relative error `eps`, and
/// their difference is divided by `2h`). When `g` varies on the scale of `||x||` (third
/// derivatives about `||g|| / ||x||^2`), the sum is smallest for `h ||v||` of order
/// `eps^(1/3) ||x||`, and both terms are then about `eps^(2/3)` relative: `4e-11` in Double,
/// `2.4e-5` in Float (Nocedal & Wright, Numerical Optimization, 2nd ed., Section 8.1). The
/// `max(1, .)` keeps the step from vanishing at `x = 0`; dividing by `||v||` makes the result
/// independent of the scale of `v`, as the exact product is.
///
/// **Piecewise-linear networks** (ReLU, max pooling) have second derivatives that vanish almost
/// everywhere: the exact Hessian of an objective linear in a ReLU network's activations is
/// zero (seed notebook 000). A central difference whose perturbation crosses kinks measures
/// how the gradient jumps across them instead: it is the Hessian of the function smoothed on
/// the scale `||h v||`, and it depends on that scale. The automatic step (a relative
/// perturbation of `6e-6` in Double) usually crosses no kink in a small network, and then
/// gives 0 as well; use ``perturbationNorm(_:)`` with the scale you mean to smooth over
/// (the seed notebook compares norms from `1e-6` to `100` for a latent code of norm 300).
public enum FiniteDifferenceStep: Sendable, Hashable, Codable, CustomStringConvertible {
  /// `h = cbrt(eps) max(1, ||x||) / ||v||` (see above).
  case automatic
  /// `h = norm / ||v||`: the perturbation `h v` has the given Euclidean norm.
  case perturbationNorm(Double)

  /// The step `h` for the point of norm `pointNorm` and a direction of norm `directionNorm`.
  ///
  /// - Precondition: `directionNorm > 0`; a given perturbation norm is positive.
  public func step<Scalar: TensorScalar>(
    for _: Scalar.Type, pointNorm: Double, directionNorm: Double
  ) -> Double {
    precondition(directionNorm > 0, "a finite-difference direction must be non-zero")
    switch self {
    case .automatic:
      let eps = Double(Scalar.ulpOfOne)
      return Foundation.cbrt(eps) * Swift.max(1, pointNorm) / directionNorm
    case .perturbationNorm(let norm):
      precondition(norm > 0 && norm.isFinite, "the perturbation norm must be positive, got \(norm)")
      return norm / directionNorm
    }
  }

  /// `automatic` or `perturbation norm X`.
  public var description: String {
    switch self {
    case .automatic: "automatic step"
    case .perturbationNorm(let norm): "perturbation norm \(norm)"
    }
  }
}
