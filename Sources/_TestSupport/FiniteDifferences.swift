// Finite-difference oracles in Double: gradients from values, HVPs and dense Hessians from
// gradients. Central differences with step h = eps^(1/3) * max(1, |x|) (truncation O(h^2),
// rounding O(eps / h): both about eps^(2/3) ~ 4e-11 relative).

import Foundation
import TensorCore

/// The central-difference step for a coordinate of magnitude `scale`.
public func centralDifferenceStep(scale: Double) -> Double {
  pow(Double.ulpOfOne, 1.0 / 3.0) * max(1, abs(scale))
}

/// The gradient of `f` at `points` by central differences, one coordinate at a time.
public func numericalGradient(
  at points: [Tensor<Double>], of f: ([Tensor<Double>]) -> Double
) -> [Tensor<Double>] {
  points.indices.map { p in
    var gradient = [Double](repeating: 0, count: points[p].count)
    for i in 0..<points[p].count {
      var plus = points
      var minus = points
      let x = points[p].scalars[i]
      let h = centralDifferenceStep(scale: x)
      plus[p].withUnsafeMutableBufferPointer { $0[i] = x + h }
      minus[p].withUnsafeMutableBufferPointer { $0[i] = x - h }
      gradient[i] = (f(plus) - f(minus)) / (2 * h)
    }
    return Tensor(shape: points[p].shape, scalars: gradient)
  }
}

/// `H v` by central differences of the gradient: `(g(x + h v) - g(x - h v)) / 2h`.
///
/// - Parameters:
///   - perturbation: the norm of the step `h v`; by default `eps^(1/3) max(1, ||x||)`. Use a
///     smaller one for piecewise-linear networks: the gradient jumps where a step crosses a
///     ReLU kink, and a large network has many pre-activations near zero.
public func numericalHessianVectorProduct(
  at points: [Tensor<Double>], along direction: [Tensor<Double>], perturbation: Double? = nil,
  gradient: ([Tensor<Double>]) -> [Tensor<Double>]
) -> [Tensor<Double>] {
  let xNorm = points.map { $0.dot($0) }.reduce(0, +).squareRoot()
  let vNorm = direction.map { $0.dot($0) }.reduce(0, +).squareRoot()
  guard vNorm > 0 else { return points.map { Tensor(zeros: $0.shape) } }
  let h = (perturbation ?? centralDifferenceStep(scale: xNorm)) / vNorm
  let plus = zip(points, direction).map { $0 + $1 * h }
  let minus = zip(points, direction).map { $0 - $1 * h }
  return zip(gradient(plus), gradient(minus)).map { ($0 - $1) / (2 * h) }
}

/// The dense Hessian `[n, n]` (n = total element count of `points`, in order) by central
/// differences of the gradient along each coordinate.
public func numericalHessian(
  at points: [Tensor<Double>], gradient: ([Tensor<Double>]) -> [Tensor<Double>]
) -> Tensor<Double> {
  let n = points.reduce(0) { $0 + $1.count }
  var columns: [Double] = []
  columns.reserveCapacity(n * n)
  for j in 0..<n {
    var basis = [Double](repeating: 0, count: n)
    basis[j] = 1
    var offset = 0
    let direction = points.map { p -> Tensor<Double> in
      defer { offset += p.count }
      return Tensor(shape: p.shape, scalars: Array(basis[offset..<offset + p.count]))
    }
    let column = numericalHessianVectorProduct(at: points, along: direction, gradient: gradient)
    columns += column.flatMap(\.scalars)
  }
  // Symmetrize: H = (C + C^T) / 2 where row j of `columns` is column j.
  let c = Tensor(shape: [n, n], scalars: columns)
  return (c + c.transposed()) * 0.5
}
