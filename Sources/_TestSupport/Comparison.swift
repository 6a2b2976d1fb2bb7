// Tolerance comparisons that check shapes first and describe both operands on failure.

import Foundation
import TensorCore

/// The outcome of comparing two tensors element by element: passes when every element satisfies
/// `|actual - expected| <= atol + rtol * |expected|` (NumPy `allclose`) and the shapes agree.
public struct Closeness: CustomStringConvertible, Sendable {
  /// True when the shapes agree and every element is within tolerance.
  public let passes: Bool
  /// The largest absolute difference.
  public let maxAbsoluteError: Double
  /// The largest difference relative to the expected element's magnitude (0 where it is 0).
  public let maxRelativeError: Double
  /// What failed, with both operands' leading elements.
  public let description: String
}

/// Compares `actual` with `expected` (the oracle) under NumPy `allclose` semantics.
public func closeness<S: TensorScalar, T: TensorScalar>(
  _ actual: Tensor<S>, _ expected: Tensor<T>, rtol: Double = 1e-10, atol: Double = 0
) -> Closeness {
  guard actual.shape == expected.shape else {
    return Closeness(
      passes: false, maxAbsoluteError: .infinity, maxRelativeError: .infinity,
      description: "shapes differ: actual \(actual.shape), expected \(expected.shape)")
  }
  let a = actual.scalars.map(Double.init)
  let e = expected.scalars.map(Double.init)
  var maxAbs = 0.0
  var maxRel = 0.0
  var worst = 0
  var passes = true
  for i in a.indices {
    let diff = abs(a[i] - e[i])
    if !(diff <= atol + rtol * abs(e[i])) {
      if passes || diff > abs(a[worst] - e[worst]) { worst = i }
      passes = false
    }
    maxAbs = max(maxAbs, diff.isNaN ? .infinity : diff)
    if e[i] != 0 { maxRel = max(maxRel, diff / abs(e[i])) }
  }
  let shown = { (x: [Double]) in
    x.prefix(6).map { String(format: "%.10g", $0) }.joined(separator: ", ")
  }
  let text =
    passes
    ? "close (max abs error \(maxAbs), max rel error \(maxRel))"
    : "not close at flat index \(worst): actual \(a[worst]), expected \(e[worst]); "
      + "max abs error \(maxAbs), max rel error \(maxRel), rtol \(rtol), atol \(atol); "
      + "shape \(actual.shape); actual [\(shown(a))...], expected [\(shown(e))...]"
  return Closeness(
    passes: passes, maxAbsoluteError: maxAbs, maxRelativeError: maxRel, description: text)
}

/// The relative error `||actual - expected|| / ||expected||` in the Euclidean norm.
public func relativeError<S: TensorScalar, T: TensorScalar>(
  _ actual: Tensor<S>, _ expected: Tensor<T>
) -> Double {
  precondition(actual.shape == expected.shape, "shapes differ: \(actual.shape), \(expected.shape)")
  let a = actual.scalars.map(Double.init)
  let e = expected.scalars.map(Double.init)
  var num = 0.0
  var den = 0.0
  for i in a.indices {
    num += (a[i] - e[i]) * (a[i] - e[i])
    den += e[i] * e[i]
  }
  return den == 0 ? num.squareRoot() : (num / den).squareRoot()
}
