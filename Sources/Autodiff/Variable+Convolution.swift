// Convolution and pooling of variables.

import TensorCore

extension Variable {
  /// 2-D cross-correlation of `self` `[N, C, H, W]` with `weight` `[O, C, kh, kw]`, plus an
  /// optional `bias` `[O]` (PyTorch `F.conv2d(x, weight, bias, stride, padding, dilation)`,
  /// groups 1). The bias is added inside the convolution kernel, not as a separate pass.
  @inlinable
  public func conv2D(
    _ weight: Variable, bias: Variable? = nil, geometry g: Convolution2DGeometry
  ) -> Variable {
    let (x, w) = (dual, weight.dual)
    let (needX, needW) = (isDifferentiable, weight.isDifferentiable)
    let needB = bias?.isDifferentiable ?? false
    let y = Dual.conv2D(x, w, bias: bias?.dual, geometry: g)
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    let o = weight.shape[0]
    return Variable.record(y, from: inputs) { gy in
      var adjoints = [
        needX ? Dual.conv2DInputAdjoint(gy, weight: w, inputShape: x.shape, geometry: g) : nil,
        needW ? Dual.conv2DWeightAdjoint(gy, input: x, weightShape: w.shape, geometry: g) : nil,
      ]
      if inputs.count == 3 {
        adjoints.append(needB ? gy.summed(toShape: [1, o, 1, 1]).reshaped(to: [o]) : nil)
      }
      return adjoints
    }
  }

  /// Max pooling over the last two axes (PyTorch `F.max_pool2d`, `ceil_mode=False`). The
  /// derivative routes through each window's maximum (the first one on ties); the second
  /// derivative is zero.
  @inlinable
  public func maxPool2D(geometry g: Convolution2DGeometry) -> Variable {
    let (y, indices) = dual.maxPool2D(geometry: g)
    return Variable.record(y, from: [self]) { gy in [gy.scattered(to: indices)] }
  }

  /// Average pooling over the last two axes (PyTorch `F.avg_pool2d`, `ceil_mode=False`,
  /// `count_include_pad=True`).
  @inlinable
  public func avgPool2D(geometry g: Convolution2DGeometry) -> Variable {
    let old = shape
    return Variable.record(dual.avgPool2D(geometry: g), from: [self]) { gy in
      [gy.avgPool2DAdjoint(inputShape: old, geometry: g)]
    }
  }
}
