// The final check of every eigensolver: one block product with the returned vectors, from
// which the reported eigenvalues (Rayleigh quotients), true residuals and flags are computed.

import TensorCore

struct VerifiedPairs<S: TensorScalar> {
  var eigenvalues: [Double]
  var vectors: Tensor<S>
  var residuals: [Double]
  var converged: [Bool]
  /// The absolute residual below which every pair counts as converged.
  var residualFloor: Double
}

enum EigenVerification {
  /// The smallest residual that rounding lets the test demand, relative to `||A||`: residuals
  /// below `64 ulp ||A||` are noise, which matters only for eigenvalues near zero.
  static func residualFloor<S: TensorScalar>(_: S.Type, normEstimate: Double) -> Double {
    64 * Double(S.ulpOfOne) * normEstimate
  }

  /// Applies the operator once to the rows of `vectors` (one block product), normalizes them,
  /// and returns the Rayleigh quotients, the true residuals and the convergence flags
  /// `residual <= max(tolerance |lambda|, floor)`, ordered as `order` asks.
  static func verify<Operator: LinearOperator>(
    _ vectors: Tensor<Operator.Scalar>, of linearOperator: Operator, tolerance: Double,
    normEstimate: Double, order: SpectrumEnd, matvecsSoFar: Int
  ) throws -> VerifiedPairs<Operator.Scalar> {
    let products = try linearOperator.checkedApply(vectors, matvecsSoFar: matvecsSoFar)
    return verify(
      vectors, products: products, tolerance: tolerance, normEstimate: normEstimate,
      order: order)
  }

  /// The same check from products already known: `products` holds `A y` for each row `y` of
  /// `vectors` (Lanczos forms them from the stored products `A V` of its basis, by linearity,
  /// so the check costs no further product). The residuals are true residuals of the returned
  /// vectors, up to the rounding of that linear combination.
  static func verify<S: TensorScalar>(
    _ vectors: Tensor<S>, products: Tensor<S>, tolerance: Double, normEstimate: Double,
    order: SpectrumEnd
  ) -> VerifiedPairs<S> {
    let k = vectors.shape[0]
    let n = vectors.shape[1]
    precondition(
      products.shape == vectors.shape,
      "products \(products.shape) must have the shape of the vectors \(vectors.shape)")
    var y = vectors
    var ay = products
    var values = [Double](repeating: 0, count: k)
    var residuals = [Double](repeating: 0, count: k)
    y.withMutableBase { yp in
      ay.withMutableBase { ap in
        for i in 0..<k {
          let yi = yp + i * n
          let ai = ap + i * n
          let norm = Kernels.dot(yi, yi, count: n).squareRoot()
          Kernels.scale(yi, by: 1 / norm, count: n)
          Kernels.scale(ai, by: 1 / norm, count: n)
          let rho = Kernels.dot(yi, ai, count: n)
          Kernels.axpy(-rho, yi, ai, count: n)
          values[i] = rho
          residuals[i] = Kernels.dot(ai, ai, count: n).squareRoot()
          if Kernels.largestMagnitudeIsNegative(yi, count: n) {
            Kernels.scale(yi, by: -1, count: n)
          }
        }
      }
    }
    let scale = Swift.max(normEstimate, values.map { Swift.abs($0) }.max() ?? 0)
    let floor = residualFloor(S.self, normEstimate: scale)
    let permutation = sortedOrder(values, order)
    let sortedVectors = Tensor<S>(shape: [k, n]) { buffer in
      guard let out = buffer.baseAddress else { return }
      y.withBase { yp in
        for (row, source) in permutation.enumerated() {
          Kernels.copy(from: yp + source * n, to: out + row * n, count: n)
        }
      }
    }
    let sortedValues = permutation.map { values[$0] }
    let sortedResiduals = permutation.map { residuals[$0] }
    return VerifiedPairs(
      eigenvalues: sortedValues, vectors: sortedVectors, residuals: sortedResiduals,
      converged: zip(sortedValues, sortedResiduals).map { value, residual in
        residual <= Swift.max(tolerance * Swift.abs(value), floor)
      }, residualFloor: floor)
  }

  /// The permutation that puts `values` in the documented order of `which`.
  static func sortedOrder(_ values: [Double], _ which: SpectrumEnd) -> [Int] {
    let indices = Array(values.indices)
    switch which {
    case .largest: return indices.sorted { values[$0] > values[$1] }
    case .smallest, .bothEnds: return indices.sorted { values[$0] < values[$1] }
    case .largestMagnitude: return RitzSelection.byMagnitude(values)
    }
  }
}

extension Kernels {
  /// True when the entry of largest magnitude (the first, on ties) is negative.
  static func largestMagnitudeIsNegative<S: TensorScalar>(
    _ x: UnsafePointer<S>, count: Int
  ) -> Bool {
    if S.self == Float.self { return largestNegativeLoop(x.rebound(Float.self), count) }
    if S.self == Double.self { return largestNegativeLoop(x.rebound(Double.self), count) }
    return largestNegativeLoop(x, count)
  }

  @inline(__always)
  static func largestNegativeLoop<T: BinaryFloatingPoint>(_ x: UnsafePointer<T>, _ count: Int)
    -> Bool
  {
    var best: T = 0
    var negative = false
    for i in 0..<count where Swift.abs(x[i]) > best {
      best = Swift.abs(x[i])
      negative = x[i] < 0
    }
    return negative
  }
}
