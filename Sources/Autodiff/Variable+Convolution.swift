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

  /// Transposed 2-D convolution of `self` `[N, C, H, W]` with `weight` `[C, O, kh, kw]`
  /// (PyTorch `F.conv_transpose2d(x, weight, stride=, padding=, output_padding=, dilation=)`,
  /// groups 1, no bias): the adjoint of ``conv2D(_:bias:geometry:)`` with the same geometry, whose
  /// output has `(H - 1) s - 2 p + d (k - 1) + output_padding + 1` rows (and likewise columns).
  ///
  /// Bilinear in (input, weight): the pullback is a convolution of the adjoint with the weight
  /// (input) and a weight adjoint with the input and the adjoint swapped (weight), each written in
  /// `Dual` operations so that its own tangent is exact.
  ///
  /// - Precondition: `outputPadding` is below the stride or dilation along each axis.
  @inlinable
  public func convTransposed2D(
    _ weight: Variable, geometry g: Convolution2DGeometry, outputPadding: (Int, Int) = (0, 0)
  ) -> Variable {
    precondition(
      shape.count == 4 && weight.shape.count == 4 && weight.shape[0] == shape[1],
      "convTransposed2D: input \(shape) and weight \(weight.shape) do not fit")
    let (x, w) = (dual, weight.dual)
    let (needX, needW) = (isDifferentiable, weight.isDifferentiable)
    let height =
      (shape[2] - 1) * g.strideHeight - 2 * g.paddingHeight
      + g.dilationHeight * (g.kernelHeight - 1) + outputPadding.0 + 1
    let width =
      (shape[3] - 1) * g.strideWidth - 2 * g.paddingWidth + g.dilationWidth * (g.kernelWidth - 1)
      + outputPadding.1 + 1
    let outputShape = [shape[0], weight.shape[1], height, width]
    let y = Dual.conv2DInputAdjoint(x, weight: w, inputShape: outputShape, geometry: g)
    return Variable.record(y, from: [self, weight]) { gy in
      [
        needX ? Dual.conv2D(gy, w, geometry: g) : nil,
        needW ? Dual.conv2DWeightAdjoint(x, input: gy, weightShape: w.shape, geometry: g) : nil,
      ]
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
