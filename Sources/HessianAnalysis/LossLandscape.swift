// The loss on a 1-D or 2-D grid of points theta + alpha d1 (+ beta d2) (Li et al. 2018;
// PyHessian's tutorial plots the 1-D slice along the top eigenvector).

import MatrixFree
import NeuralNetworks
import TensorCore

/// Evenly spaced coordinates along one landscape direction, ends included.
public struct LandscapeGrid: Codable, Sendable, Hashable {
  /// The first coordinate.
  public let lower: Double
  /// The last coordinate.
  public let upper: Double
  /// The number of points (at least 2).
  public let pointCount: Int

  /// `pointCount` points from `range.lowerBound` to `range.upperBound`; an odd count on a
  /// range symmetric about 0 contains 0 exactly (the model itself).
  ///
  /// - Precondition: `pointCount >= 2`, finite bounds.
  public init(_ range: ClosedRange<Double>, pointCount: Int) {
    precondition(pointCount >= 2, "a grid needs at least 2 points, got \(pointCount)")
    precondition(
      range.lowerBound.isFinite && range.upperBound.isFinite, "grid bounds must be finite")
    lower = range.lowerBound
    upper = range.upperBound
    self.pointCount = pointCount
  }

  /// The coordinates `lower + i (upper - lower) / (pointCount - 1)`.
  public var coordinates: [Double] {
    (0..<pointCount).map { lower + Double($0) * (upper - lower) / Double(pointCount - 1) }
  }
}

/// The loss on a grid along one or two directions.
///
/// ``losses``[j][i] is the data-set loss at `theta + alpha_i d_1 + beta_j d_2` (one row for a
/// 1-D landscape, `beta = 0`).
public struct LossLandscape: Codable, Sendable {
  /// The directions' labels (`eigenvector 0`, `filter-normalized random`, `gradient`, ...).
  public var directions: [String]
  /// The directions' Euclidean norms (1 for eigenvectors and the gradient).
  public var directionNorms: [Double]
  /// The coordinates along the first direction.
  public var alphas: [Double]
  /// The coordinates along the second direction (empty for 1-D).
  public var betas: [Double]
  /// `losses[j][i]`: the loss at `(alphas[i], betas[j])`.
  public var losses: [[Double]]
  /// The loss at `theta` itself (the origin of the grid).
  public var centerLoss: Double
  /// Loss evaluations on the grid (each one forward pass per batch).
  public var lossEvaluations: Int
  /// Hessian-vector products spent finding eigenvector directions (0 otherwise).
  public var hvpCount: Int
  /// The seed of the random directions and of Lanczos.
  public var seed: UInt64
}

/// The data-set loss on a 1-D or 2-D grid of parameters `theta + alpha d_1 (+ beta d_2)`.
///
/// ```
/// losses[j][i] = L(theta + alphas[i] d_1 + betas[j] d_2)
/// ```
///
/// with `L` the data-set loss of ``DataSet`` (the function whose Hessian ``HessianOperator``
/// is). For a quadratic loss a 1-D slice is the parabola
/// `L(theta) + alpha gᵀd + alpha^2 dᵀ H d / 2`.
///
/// - Parameters:
///   - model, loss, data: the function, as ``HessianOperator``.
///   - directions: one or two ``LandscapeDirection``s.
///   - grid: the coordinates along the first direction (and the second, unless `secondGrid`).
///   - secondGrid: the coordinates along the second direction, if different.
///   - seed: seeds random directions and Lanczos (echoed in the result).
///   - eigenTolerance: Lanczos' relative residual tolerance for eigenvector directions
///     (default 1e-6: the direction, not just the eigenvalue, must be accurate).
///   - checkDeterminism: run the two-pass check first (default true).
///   - progress: called after each grid point with the points done and the total.
/// - Returns: the grid and the losses.
/// - Throws: ``HessianAnalysisError/zeroDirection(label:)`` for a zero gradient, and the
///   errors of the operator and of Lanczos.
/// - Precondition: one or two directions; given vectors of the parameter count.
/// - Complexity: one loss evaluation per grid point (a forward pass per batch), plus the
///   Lanczos products for eigenvector directions and one gradient for the gradient direction.
public func lossLandscape<Scalar: TensorScalar>(
  model: Model<Scalar>, loss: LossFunction, data: DataSet<Scalar>,
  directions: [LandscapeDirection<Scalar>], grid: LandscapeGrid, secondGrid: LandscapeGrid? = nil,
  seed: UInt64 = 0, eigenTolerance: Double = 1e-6, checkDeterminism: Bool = true,
  progress: ((_ done: Int, _ total: Int) -> Void)? = nil
) throws -> LossLandscape {
  precondition(
    directions.count == 1 || directions.count == 2,
    "a landscape needs one or two directions, got \(directions.count)")
  let hessian = try HessianOperator(
    model: model, loss: loss, data: data, checkDeterminism: checkDeterminism)
  let layout = FlatLayout(shapes: model.parameters.values.map(\.shape))
  var generator = SeededGenerator(seed: seed)
  let eigenIndices = directions.compactMap { d -> Int? in
    if case .hessianEigenvector(let index) = d { return index } else { return nil }
  }
  var eigenvectors: Tensor<Scalar>?
  if let deepest = eigenIndices.max() {
    precondition(eigenIndices.allSatisfy { $0 >= 0 }, "eigenvector indices must be >= 0")
    eigenvectors = try eigenpairs(
      of: hessian, count: deepest + 1, which: .largest, tolerance: eigenTolerance,
      maxMatvecs: Swift.max(1000, 4 * (deepest + 1)), using: &generator
    ).eigenvectors
  }
  var vectors: [Tensor<Scalar>] = []
  for direction in directions {
    switch direction {
    case let .vector(v, label):
      precondition(
        v.count == layout.dimension,
        "direction \(label) has \(v.count) entries, the model has \(layout.dimension) parameters")
      vectors.append(v.reshaped(to: [layout.dimension]))
    case .hessianEigenvector(let index):
      guard let eigenvectors else { preconditionFailure("internal: eigenvectors missing") }
      vectors.append(
        eigenvectors.slice(index..<index + 1, alongAxis: 0).reshaped(to: [layout.dimension]))
    case .filterNormalizedRandom(let includeBiasesAndBatchNorm):
      vectors.append(
        layout.flatten(
          filterNormalizedDirection(
            for: model.parameters.values, includeBiasesAndBatchNorm: includeBiasesAndBatchNorm,
            using: &generator)))
    case .gradient:
      let g = try hessian.lossAndGradient().gradient
      let norm = Double(g.norm())
      guard norm > 0 else { throw HessianAnalysisError.zeroDirection(label: "gradient") }
      vectors.append(g * Scalar(1 / norm))
    }
  }
  let alphas = grid.coordinates
  let betas = directions.count == 2 ? (secondGrid ?? grid).coordinates : []
  let theta = hessian.point
  var losses: [[Double]] = []
  let total = alphas.count * Swift.max(1, betas.count)
  for beta in betas.isEmpty ? [0] : betas {
    var row: [Double] = []
    for alpha in alphas {
      var point = theta + vectors[0] * Scalar(alpha)
      if vectors.count == 2 { point += vectors[1] * Scalar(beta) }
      row.append(try hessian.objective.value(at: layout.unflatten(point)))
      progress?(losses.count * alphas.count + row.count, total)
    }
    losses.append(row)
  }
  return LossLandscape(
    directions: directions.map(\.label), directionNorms: vectors.map { Double($0.norm()) },
    alphas: alphas, betas: betas, losses: losses, centerLoss: try hessian.lossValue(),
    lossEvaluations: alphas.count * Swift.max(1, betas.count), hvpCount: hessian.hvpCount,
    seed: seed)
}
