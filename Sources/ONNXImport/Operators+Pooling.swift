// Pooling and inference-mode BatchNormalization.

import Autodiff
import TensorCore

extension ONNXEvaluator {
  /// MaxPool and AveragePool over the last two axes (PyTorch `nn.MaxPool2d`, `nn.AvgPool2d`).
  static func pool(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.real(0)
    guard x.shape.count == 4 else {
      throw NodeError("supports 2-D pooling of [N, C, H, W]; got \(x.shape)")
    }
    if c.node.outputs.count > 1, !c.node.outputs[1].isEmpty {
      throw NodeError("the Indices output is not supported")
    }
    guard try c.int("ceil_mode", default: 0) == 0 else {
      throw NodeError("ceil_mode=1 is not supported; use ceil_mode=False in PyTorch")
    }
    guard try c.int("storage_order", default: 0) == 0 else {
      throw NodeError("storage_order=1 is not supported")
    }
    let win = try window(c, kernel: nil, spatial: Array(x.shape[2...]))
    guard win.isSymmetric else {
      throw NodeError("asymmetric pads \(win.pads) are not supported for pooling")
    }
    guard win.pads[0] * 2 <= win.kernel[0], win.pads[1] * 2 <= win.kernel[1] else {
      throw NodeError("pads \(win.pads) exceed half the kernel \(win.kernel)")
    }
    let g = win.geometry()
    let out = g.outputSize(height: x.shape[2], width: x.shape[3])
    guard out.height >= 1, out.width >= 1 else {
      throw NodeError("the window \(win.kernel) does not fit the input \(x.shape)")
    }
    if c.node.opType == "MaxPool" { return .real(x.maxPool2D(geometry: g)) }
    guard win.dilations == [1, 1] else { throw NodeError("dilations are not supported") }
    if win.pads != [0, 0, 0, 0], try c.int("count_include_pad", default: 0) == 0 {
      throw NodeError(
        "count_include_pad=0 with padding is not supported; PyTorch's AvgPool2d default "
          + "(count_include_pad=True) is")
    }
    return .real(x.avgPool2D(geometry: g))
  }

  /// The mean over every axis after the first two, kept (PyTorch `AdaptiveAvgPool2d(1)`).
  static func globalAveragePool(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.real(0)
    guard x.shape.count >= 3 else { throw NodeError("needs [N, C, ...], got \(x.shape)") }
    return .real(x.mean(alongAxes: Array(2..<x.shape.count)))
  }

  /// The per-channel map of inference-mode BatchNormalization, `x * scale + shift` with
  /// `scale = gamma / sqrt(var + eps)` and `shift = beta - mean * scale` (as the built-in
  /// `BatchNorm` computes it), differentiable in `gamma` and `beta`.
  static func batchNormAffine(
    _ c: NodeContext<Scalar>, channels: Int
  ) throws -> (scale: Variable<Scalar>, shift: Variable<Scalar>) {
    if try c.int("training_mode", default: 0) != 0
      || c.node.outputs.dropFirst().contains(where: { !$0.isEmpty })
    {
      throw NodeError(
        "is in training mode (batch statistics); export the model in eval() mode")
    }
    let gamma = try c.real(1)
    let beta = try c.real(2)
    let mean = try c.real(3)
    let variance = try c.real(4)
    for (name, v) in [("scale", gamma), ("B", beta), ("mean", mean), ("var", variance)]
    where v.shape != [channels] {
      throw NodeError("\(name) has shape \(v.shape); the input has \(channels) channels")
    }
    guard !mean.isDifferentiable, !variance.isDifferentiable else {
      throw NodeError("the running mean and variance must be constants")
    }
    let epsilon = Scalar(try c.float("epsilon", default: 1e-5))
    let inverseStd = (variance.value + epsilon).squareRoot().reciprocal()
    let scale = gamma * inverseStd
    return (scale, beta - scale * mean.value)
  }

  static func batchNormalization(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.real(0)
    guard x.shape.count >= 2 else { throw NodeError("needs [N, C, ...], got \(x.shape)") }
    let (scale, shift) = try batchNormAffine(c, channels: x.shape[1])
    return .real(x.channelAffine(scale: scale, shift: shift))
  }
}
