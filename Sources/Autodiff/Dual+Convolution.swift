// Convolution and pooling of dual numbers. Convolution is bilinear in (input, weight), and so
// are its two adjoints: each tangent is a sum of two convolution-like terms, computed by
// TensorCore's tangent kernels directly in the [k, ...] layout.

import TensorCore

extension Dual {
  /// 2-D cross-correlation of `x` `[N, C, H, W]` with `w` `[O, C, kh, kw]` plus an optional
  /// bias `[O]` (PyTorch `F.conv2d`), tangent `conv(dx, w) + conv(x, dw) + db`.
  @inlinable
  public static func conv2D(
    _ x: Dual, _ w: Dual, bias b: Dual? = nil, geometry g: Convolution2DGeometry
  ) -> Dual {
    let y = primal("conv2D") { x.value.conv2D(w.value, bias: b?.value, geometry: g) }
    guard x.tangent != nil || w.tangent != nil || b?.tangent != nil else { return Dual(y) }
    return Dual(
      y,
      tangent: Tensor.conv2DTangent(
        input: x.value, inputTangent: x.tangent, weight: w.value, weightTangent: w.tangent,
        biasTangent: b?.tangent, geometry: g))
  }

  /// The input adjoint of a convolution (PyTorch `torch.nn.grad.conv2d_input`): `gy` is the
  /// output gradient `[N, O, Ho, Wo]`; tangent `adj(dgy, w) + adj(gy, dw)`.
  @inlinable
  public static func conv2DInputAdjoint(
    _ gy: Dual, weight w: Dual, inputShape: [Int], geometry g: Convolution2DGeometry
  ) -> Dual {
    let gx = primal("conv2DInputAdjoint") {
      gy.value.conv2DInputAdjoint(weight: w.value, inputShape: inputShape, geometry: g)
    }
    guard gy.tangent != nil || w.tangent != nil else { return Dual(gx) }
    return Dual(
      gx,
      tangent: Tensor.conv2DInputAdjointTangent(
        outputGradient: gy.value, outputGradientTangent: gy.tangent, weight: w.value,
        weightTangent: w.tangent, inputShape: inputShape, geometry: g))
  }

  /// The weight adjoint of a convolution (PyTorch `torch.nn.grad.conv2d_weight`): `gy` is the
  /// output gradient, `x` the input; tangent `adj(dgy, x) + adj(gy, dx)`.
  @inlinable
  public static func conv2DWeightAdjoint(
    _ gy: Dual, input x: Dual, weightShape: [Int], geometry g: Convolution2DGeometry
  ) -> Dual {
    let gw = primal("conv2DWeightAdjoint") {
      gy.value.conv2DWeightAdjoint(input: x.value, weightShape: weightShape, geometry: g)
    }
    guard gy.tangent != nil || x.tangent != nil else { return Dual(gw) }
    return Dual(
      gw,
      tangent: Tensor.conv2DWeightAdjointTangent(
        outputGradient: gy.value, outputGradientTangent: gy.tangent, input: x.value,
        inputTangent: x.tangent, weightShape: weightShape, geometry: g))
  }

  /// Max pooling (PyTorch `F.max_pool2d`); the tangent is picked at each window's maximum.
  @inlinable
  public func maxPool2D(geometry g: Convolution2DGeometry) -> (Dual, PoolingIndices) {
    let (y, indices) = primal("maxPool2D") { value.maxPool2D(geometry: g) }
    return (Dual(y, tangent: tangent?.gathered(at: indices)), indices)
  }

  /// The elements at pooling positions (linear, so the tangent goes through the same map).
  @inlinable
  public func gathered(at indices: PoolingIndices) -> Dual {
    Dual(
      primal("gathered") { value.gathered(at: indices) }, tangent: tangent?.gathered(at: indices))
  }

  /// The adjoint of ``gathered(at:)``.
  @inlinable
  public func scattered(to indices: PoolingIndices) -> Dual {
    Dual(
      primal("scattered") { value.scattered(to: indices) }, tangent: tangent?.scattered(to: indices)
    )
  }

  /// Average pooling (PyTorch `F.avg_pool2d`, `count_include_pad=True`); linear.
  @inlinable
  public func avgPool2D(geometry g: Convolution2DGeometry) -> Dual {
    Dual(
      primal("avgPool2D") { value.avgPool2D(geometry: g) }, tangent: tangent?.avgPool2D(geometry: g)
    )
  }

  /// The adjoint of ``avgPool2D(geometry:)``; linear.
  @inlinable
  public func avgPool2DAdjoint(inputShape: [Int], geometry g: Convolution2DGeometry) -> Dual {
    Dual(
      primal("avgPool2DAdjoint") { value.avgPool2DAdjoint(inputShape: inputShape, geometry: g) },
      tangent: tangent.map {
        $0.avgPool2DAdjoint(inputShape: [$0.shape[0]] + inputShape, geometry: g)
      })
  }
}
