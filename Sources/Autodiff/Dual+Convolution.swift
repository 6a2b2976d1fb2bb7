// Convolution and pooling of dual numbers. Convolution is bilinear in (input, weight), and so
// are its two adjoints: each tangent is a sum of two ordinary convolutions, arranged so that the
// k directions widen one GEMM (k * N images, or k * O / k * C channels) instead of looping.

import TensorCore

extension Tensor {
  /// `[a, b, rest...]` viewed as `[a, b, r]` and transposed to `[b, a, r]`, then reshaped to
  /// `target`: moves a direction axis between the front and a channel axis.
  @inlinable
  func swappingLeadingAxes(_ a: Int, _ b: Int, to target: [Int]) -> Tensor {
    reshaped(to: [a, b, count / (a * b)]).permuted([1, 0, 2]).reshaped(to: target)
  }
}

extension Dual {
  /// 2-D cross-correlation of `x` `[N, C, H, W]` with `w` `[O, C, kh, kw]` (PyTorch `F.conv2d`),
  /// tangent `conv(dx, w) + conv(x, dw)`.
  @inlinable
  public static func conv2D(_ x: Dual, _ w: Dual, geometry g: Convolution2DGeometry) -> Dual {
    let y = x.value.conv2D(w.value, geometry: g)
    var tangent: Tensor<Scalar>? = nil
    if let tx = x.tangent {
      let k = tx.shape[0]
      // k directions of N images are k * N images.
      tangent = tx.reshaped(to: [k * x.shape[0]] + Array(x.shape.dropFirst()))
        .conv2D(w.value, geometry: g).reshaped(to: [k] + y.shape)
    }
    if let tw = w.tangent {
      let k = tw.shape[0]
      // k directions of O filters are k * O filters.
      let wide = x.value.conv2D(
        tw.reshaped(to: [k * w.shape[0]] + Array(w.shape.dropFirst())), geometry: g)
      tangent = sum(tangent, wide.swappingLeadingAxes(y.shape[0], k, to: [k] + y.shape))
    }
    return Dual(y, tangent: tangent)
  }

  /// The input adjoint of a convolution (PyTorch `torch.nn.grad.conv2d_input`): `gy` is the
  /// output gradient `[N, O, Ho, Wo]`; tangent `adj(dgy, w) + adj(gy, dw)`.
  @inlinable
  public static func conv2DInputAdjoint(
    _ gy: Dual, weight w: Dual, inputShape: [Int], geometry g: Convolution2DGeometry
  ) -> Dual {
    let gx = gy.value.conv2DInputAdjoint(weight: w.value, inputShape: inputShape, geometry: g)
    var tangent: Tensor<Scalar>? = nil
    if let t = gy.tangent {
      let k = t.shape[0]
      tangent = t.reshaped(to: [k * gy.shape[0]] + Array(gy.shape.dropFirst()))
        .conv2DInputAdjoint(
          weight: w.value, inputShape: [k * inputShape[0]] + Array(inputShape.dropFirst()),
          geometry: g
        ).reshaped(to: [k] + inputShape)
    }
    if let tw = w.tangent {
      let k = tw.shape[0]
      let (o, c) = (w.shape[0], w.shape[1])
      // The k weight tangents side by side as k * C input channels: [O, k * C, kh, kw].
      let wide = tw.swappingLeadingAxes(k, o, to: [o, k * c, w.shape[2], w.shape[3]])
      let n = inputShape[0]
      let adjoint = gy.value.conv2DInputAdjoint(
        weight: wide, inputShape: [n, k * c, inputShape[2], inputShape[3]], geometry: g)
      tangent = sum(tangent, adjoint.swappingLeadingAxes(n, k, to: [k] + inputShape))
    }
    return Dual(gx, tangent: tangent)
  }

  /// The weight adjoint of a convolution (PyTorch `torch.nn.grad.conv2d_weight`): `gy` is the
  /// output gradient, `x` the input; tangent `adj(dgy, x) + adj(gy, dx)`.
  @inlinable
  public static func conv2DWeightAdjoint(
    _ gy: Dual, input x: Dual, weightShape: [Int], geometry g: Convolution2DGeometry
  ) -> Dual {
    let gw = gy.value.conv2DWeightAdjoint(input: x.value, weightShape: weightShape, geometry: g)
    let (n, o, c) = (x.shape[0], weightShape[0], weightShape[1])
    var tangent: Tensor<Scalar>? = nil
    if let t = gy.tangent {
      let k = t.shape[0]
      // k output-gradient tangents as k * O output channels.
      let wide = t.swappingLeadingAxes(k, n, to: [n, k * o, gy.shape[2], gy.shape[3]])
      tangent = wide.conv2DWeightAdjoint(
        input: x.value, weightShape: [k * o] + Array(weightShape.dropFirst()), geometry: g
      ).reshaped(to: [k] + weightShape)
    }
    if let tx = x.tangent {
      let k = tx.shape[0]
      // k input tangents as k * C input channels.
      let wide = tx.swappingLeadingAxes(k, n, to: [n, k * c, x.shape[2], x.shape[3]])
      let adjoint = gy.value.conv2DWeightAdjoint(
        input: wide, weightShape: [o, k * c, weightShape[2], weightShape[3]], geometry: g)
      tangent = sum(tangent, adjoint.swappingLeadingAxes(o, k, to: [k] + weightShape))
    }
    return Dual(gw, tangent: tangent)
  }

  /// Max pooling (PyTorch `F.max_pool2d`); the tangent is picked at each window's maximum.
  @inlinable
  public func maxPool2D(geometry g: Convolution2DGeometry) -> (Dual, PoolingIndices) {
    let (y, indices) = value.maxPool2D(geometry: g)
    return (Dual(y, tangent: tangent?.gathered(at: indices)), indices)
  }

  /// The elements at pooling positions (linear, so the tangent goes through the same map).
  @inlinable
  public func gathered(at indices: PoolingIndices) -> Dual {
    Dual(value.gathered(at: indices), tangent: tangent?.gathered(at: indices))
  }

  /// The adjoint of ``gathered(at:)``.
  @inlinable
  public func scattered(to indices: PoolingIndices) -> Dual {
    Dual(value.scattered(to: indices), tangent: tangent?.scattered(to: indices))
  }

  /// Average pooling (PyTorch `F.avg_pool2d`, `count_include_pad=True`); linear.
  @inlinable
  public func avgPool2D(geometry g: Convolution2DGeometry) -> Dual {
    Dual(value.avgPool2D(geometry: g), tangent: tangent?.avgPool2D(geometry: g))
  }

  /// The adjoint of ``avgPool2D(geometry:)``; linear.
  @inlinable
  public func avgPool2DAdjoint(inputShape: [Int], geometry g: Convolution2DGeometry) -> Dual {
    Dual(
      value.avgPool2DAdjoint(inputShape: inputShape, geometry: g),
      tangent: tangent.map {
        $0.avgPool2DAdjoint(inputShape: [$0.shape[0]] + inputShape, geometry: g)
      })
  }
}
