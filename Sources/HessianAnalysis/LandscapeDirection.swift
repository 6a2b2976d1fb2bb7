// Directions for loss landscapes: Hessian eigenvectors, filter-normalized random directions
// (Li et al. 2018), the normalized gradient, or a given vector.

import MatrixFree
import NeuralNetworks
import TensorCore

/// A direction in parameter space along which
/// ``lossLandscape(model:loss:data:directions:grid:secondGrid:seed:eigenTolerance:checkDeterminism:)``
/// evaluates the loss. Directions are flat vectors over all parameters, in
/// `model.parameters.names` order; grid coordinates are in units of the direction.
public enum LandscapeDirection<Scalar: TensorScalar>: Sendable {
  /// A given flat vector `[n]`, used as it is (not normalized), labeled `label`.
  case vector(Tensor<Scalar>, label: String)
  /// The unit eigenvector of the `index`-th largest eigenvalue (0: the top one) of the full
  /// data-set Hessian, by Lanczos (PyHessian's tutorial uses the top eigenvector). Its sign is
  /// MatrixFree's convention (largest-magnitude entry positive).
  case hessianEigenvector(index: Int)
  /// A random direction normalized filter by filter (Li, Xu, Taylor, Studer & Goldstein 2018,
  /// "Visualizing the loss landscape of neural nets", Section 4):
  ///
  /// ```
  /// d_f <- d_f / ||d_f|| * ||theta_f||   for each filter f,   d ~ N(0, I)
  /// ```
  ///
  /// A **filter** is one slice along the first axis of a weight of rank >= 2: for a Linear
  /// weight `[out, in]`, the `in` weights into one output unit; for a Conv2d weight
  /// `[out, in, kh, kw]`, the `in x kh x kw` kernel of one output channel. The direction then
  /// has the scale of the weights filter by filter, which removes the scale invariance that
  /// makes unnormalized plots of networks with BatchNorm or ReLU meaningless to compare.
  /// Parameters of rank <= 1 (biases, BatchNorm weights and biases) get a zero direction by
  /// default (Li et al.'s `ignore='biasbn'`); with `includeBiasesAndBatchNorm` true, their
  /// direction is a copy of the parameter itself, as Li et al.'s code does.
  case filterNormalizedRandom(includeBiasesAndBatchNorm: Bool)
  /// The data-set gradient, normalized to unit length.
  case gradient

  /// A short label for reports: `vector <label>`, `eigenvector 0`, `random`, `gradient`.
  public var label: String {
    switch self {
    case .vector(_, let label): label
    case .hessianEigenvector(let index): "eigenvector \(index)"
    case .filterNormalizedRandom: "filter-normalized random"
    case .gradient: "gradient"
    }
  }
}

/// Random `d` normalized filter by filter to the weights `theta` (see
/// ``LandscapeDirection/filterNormalizedRandom(includeBiasesAndBatchNorm:)``).
public func filterNormalizedDirection<Scalar: TensorScalar>(
  for weights: [Tensor<Scalar>], includeBiasesAndBatchNorm: Bool = false,
  using generator: inout some RandomNumberGenerator
) -> [Tensor<Scalar>] {
  weights.map { w in
    guard w.rank >= 2 else {
      return includeBiasesAndBatchNorm ? w : Tensor(zeros: w.shape)
    }
    let d = Tensor<Scalar>(randomNormal: w.shape, using: &generator)
    let filters = w.shape[0]
    let size = w.count / filters
    let (ds, ws) = (d.scalars, w.scalars)
    var out = [Scalar](repeating: 0, count: w.count)
    for f in 0..<filters {
      let range = f * size..<(f + 1) * size
      var dNorm = 0.0
      var wNorm = 0.0
      for i in range {
        dNorm += Double(ds[i]) * Double(ds[i])
        wNorm += Double(ws[i]) * Double(ws[i])
      }
      // Li et al.'s code adds 1e-10 to the denominator.
      let scale = wNorm.squareRoot() / (dNorm.squareRoot() + 1e-10)
      for i in range { out[i] = Scalar(Double(ds[i]) * scale) }
    }
    return Tensor(shape: w.shape, scalars: out)
  }
}
