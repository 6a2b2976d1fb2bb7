// 2-D convolution layer.

import Autodiff
import TensorCore

/// 2-D convolution (PyTorch `nn.Conv2d(inChannels, outChannels, kernel, stride, padding,
/// dilation, bias)`, groups 1): `weight` is `[out, in, kh, kw]`, `bias` is `[out]`.
///
/// Initialization as PyTorch: uniform in `[-1/sqrt(fanIn), 1/sqrt(fanIn))`, `fanIn = in*kh*kw`.
public struct Conv2d<Scalar: TensorScalar>: Layer {
  /// Input channels.
  public let inChannels: Int
  /// Output channels.
  public let outChannels: Int
  /// Kernel, stride, padding and dilation.
  public let geometry: Convolution2DGeometry
  /// Whether the layer adds a bias per output channel.
  public let hasBias: Bool

  /// Creates a convolution with square kernel, stride, padding and dilation.
  public init(
    _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
    dilation: Int = 1, bias: Bool = true
  ) {
    self.init(
      inChannels, outChannels,
      geometry: Convolution2DGeometry(
        kernel: kernel, stride: stride, padding: padding, dilation: dilation), bias: bias)
  }

  /// Creates a convolution with a general geometry.
  public init(
    _ inChannels: Int, _ outChannels: Int, geometry: Convolution2DGeometry, bias: Bool = true
  ) {
    precondition(inChannels > 0 && outChannels > 0, "Conv2d channels must be positive")
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.geometry = geometry
    self.hasBias = bias
  }

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {
    let fanIn = inChannels * geometry.kernelHeight * geometry.kernelWidth
    let bound = 1 / Scalar(fanIn).squareRoot()
    d.parameter(
      "weight",
      d.uniform(
        [outChannels, inChannels, geometry.kernelHeight, geometry.kernelWidth], bound: bound))
    if hasBias { d.parameter("bias", d.uniform([outChannels], bound: bound)) }
  }

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    precondition(
      x.shape.count == 4 && x.shape[1] == inChannels,
      "Conv2d(\(inChannels), \(outChannels)) expects [N, \(inChannels), H, W], got \(x.shape)")
    let bias = hasBias ? scope.parameter("bias") : nil
    return scope.observe(x.conv2D(scope.parameter("weight"), bias: bias, geometry: geometry))
  }
}
