// Batch normalization, twice differentiable in both modes.

import Autodiff
import TensorCore

/// Batch normalization over the channel axis 1 (PyTorch `nn.BatchNorm1d` for `[N, C]` or
/// `[N, C, L]`, `nn.BatchNorm2d` for `[N, C, H, W]`).
///
/// ```
/// y = (x - mean) / sqrt(var + eps) * weight + bias
/// ```
/// In evaluation mode `mean` and `var` are the buffers `running_mean` and `running_var`; in
/// training mode they are the batch's mean and biased variance over every axis but 1, and the
/// output's derivatives include their dependence on the batch (exactly, to second order).
/// Running statistics are never updated here (PyTorch updates them in training mode).
public struct BatchNorm<Scalar: TensorScalar>: Layer {
  /// Channels (PyTorch `num_features`).
  public let features: Int
  /// Added to the variance (PyTorch `eps`, default 1e-5).
  public let epsilon: Scalar
  /// The input rank the layer accepts: 2 or 3 (BatchNorm1d) or 4 (BatchNorm2d).
  public let acceptedRanks: Set<Int>

  /// `nn.BatchNorm2d(features, eps)`.
  public static func twoD(_ features: Int, epsilon: Scalar = 1e-5) -> BatchNorm {
    BatchNorm(features: features, epsilon: epsilon, acceptedRanks: [4])
  }

  /// `nn.BatchNorm1d(features, eps)`.
  public static func oneD(_ features: Int, epsilon: Scalar = 1e-5) -> BatchNorm {
    BatchNorm(features: features, epsilon: epsilon, acceptedRanks: [2, 3])
  }

  init(features: Int, epsilon: Scalar, acceptedRanks: Set<Int>) {
    precondition(features > 0, "BatchNorm features must be positive")
    self.features = features
    self.epsilon = epsilon
    self.acceptedRanks = acceptedRanks
  }

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {
    d.parameter("weight", Tensor(repeating: 1, shape: [features]))
    d.parameter("bias", Tensor(zeros: [features]))
    d.buffer("running_mean", Tensor(zeros: [features]))
    d.buffer("running_var", Tensor(repeating: 1, shape: [features]))
    d.integerBuffer("num_batches_tracked", 0)
  }

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    precondition(
      acceptedRanks.contains(x.shape.count) && x.shape[1] == features,
      "BatchNorm(\(features)) expects rank \(acceptedRanks.sorted()) with \(features) channels, got \(x.shape)"
    )
    var channelShape = [Int](repeating: 1, count: x.shape.count)
    channelShape[1] = features
    let y: Variable<Scalar>
    switch scope.mode {
    case .evaluation:
      // An affine map per channel: scale = weight / sqrt(var + eps), shift = bias - mean * scale.
      let (scale, shift) = evaluationScaleAndShift(in: scope)
      y = x.channelAffine(scale: scale, shift: shift)
    case .training:
      let axes = [0] + Array(2..<x.shape.count)
      precondition(
        x.count / features > 1,
        "BatchNorm in training mode needs more than one value per channel, got input \(x.shape)")
      let centered = x - x.mean(alongAxes: axes)
      let variance = centered.squared().mean(alongAxes: axes)
      let weight = scope.parameter("weight").reshaped(to: channelShape)
      let bias = scope.parameter("bias").reshaped(to: channelShape)
      y = centered / (variance + epsilon).squareRoot() * weight + bias
    }
    return scope.observe(y)
  }
}
