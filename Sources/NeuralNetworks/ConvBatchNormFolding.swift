// Convolution followed by evaluation-mode BatchNorm, folded into one convolution.

import Autodiff
import TensorCore

extension BatchNorm {
  /// The per-channel map of evaluation mode, `y = x * scale + shift`, with
  /// `scale = weight / sqrt(running_var + eps)` and `shift = bias - running_mean * scale`,
  /// differentiable in `weight` and `bias`.
  func evaluationScaleAndShift(in scope: LayerScope<Scalar>) -> (
    scale: Variable<Scalar>, shift: Variable<Scalar>
  ) {
    let inverseStd = (scope.buffer("running_var") + epsilon).squareRoot().reciprocal()
    let scale = scope.parameter("weight") * inverseStd
    return (scale, scope.parameter("bias") - scale * scope.buffer("running_mean"))
  }
}

extension Conv2d {
  /// `batchNorm(self(x))`, computed in evaluation mode as `conv(x, weight * scale) + shift`.
  ///
  /// Equal to the two layers applied in turn (up to rounding), with the same derivatives, but
  /// the convolution's output is never stored for the reverse pass: the scale's gradient flows
  /// through the scaled weight. For Hessian-vector products with `k` directions that halves the
  /// activations a residual block keeps (each kept activation has `k + 1` copies). Falls back to
  /// the two layers in training mode, with a bias, or when an observer watches layer outputs.
  func followed(
    by batchNorm: BatchNorm<Scalar>, _ x: Variable<Scalar>,
    convolutionScope: LayerScope<Scalar>, batchNormScope: LayerScope<Scalar>
  ) -> Variable<Scalar> {
    guard convolutionScope.mode == .evaluation, !hasBias, !convolutionScope.isObserved else {
      return batchNorm(self(x, in: convolutionScope), in: batchNormScope)
    }
    precondition(
      batchNorm.features == outChannels && batchNorm.acceptedRanks.contains(4),
      "BatchNorm(\(batchNorm.features)) cannot follow Conv2d(\(inChannels), \(outChannels))")
    precondition(
      x.shape.count == 4 && x.shape[1] == inChannels,
      "Conv2d(\(inChannels), \(outChannels)) expects [N, \(inChannels), H, W], got \(x.shape)")
    let (scale, shift) = batchNorm.evaluationScaleAndShift(in: batchNormScope)
    let weight = convolutionScope.parameter("weight") * scale.reshaped(to: [outChannels, 1, 1, 1])
    return x.conv2D(weight, bias: shift, geometry: geometry)
  }
}
