// Pooling, flattening and dropout layers.

import Autodiff
import TensorCore

/// `nn.MaxPool2d(kernel, stride, padding, dilation)` (stride defaults to the kernel size).
public struct MaxPool2d<Scalar: TensorScalar>: Layer {
  /// The pooling window.
  public let geometry: Convolution2DGeometry

  /// Creates a max pooling; `stride` defaults to `kernel`, as in PyTorch.
  public init(kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) {
    geometry = Convolution2DGeometry(
      kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: dilation)
  }

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {}

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    scope.observe(x.maxPool2D(geometry: geometry))
  }
}

/// `nn.AvgPool2d(kernel, stride, padding)` (`count_include_pad=True`; stride defaults to kernel).
public struct AvgPool2d<Scalar: TensorScalar>: Layer {
  /// The pooling window.
  public let geometry: Convolution2DGeometry

  /// Creates an average pooling; `stride` defaults to `kernel`, as in PyTorch.
  public init(kernel: Int, stride: Int? = nil, padding: Int = 0) {
    geometry = Convolution2DGeometry(kernel: kernel, stride: stride ?? kernel, padding: padding)
  }

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {}

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    scope.observe(x.avgPool2D(geometry: geometry))
  }
}

/// `nn.AdaptiveAvgPool2d(1)`: the mean over height and width, giving `[N, C, 1, 1]`.
public struct GlobalAvgPool2d<Scalar: TensorScalar>: Layer {
  /// Creates the layer.
  public init() {}

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {}

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    precondition(x.shape.count == 4, "AdaptiveAvgPool2d(1) expects [N, C, H, W], got \(x.shape)")
    return scope.observe(x.mean(alongAxes: [2, 3]))
  }
}

/// `nn.Flatten()`: all axes after the first merged.
public struct Flatten<Scalar: TensorScalar>: Layer {
  /// Creates the layer.
  public init() {}

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {}

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    scope.observe(x.flattenedBatch())
  }
}

/// `nn.Dropout(p)`: in training mode each element is zeroed with probability `p` and the rest
/// scaled by `1 / (1 - p)`, with masks drawn from the model's seeded ``RandomSource``; in
/// evaluation mode the identity. Training-mode dropout makes repeated passes differ, which the
/// Hessian operators' determinism check detects.
public struct Dropout<Scalar: TensorScalar>: Layer {
  /// The drop probability.
  public let probability: Scalar

  /// Creates a dropout layer with drop probability `p` in `[0, 1)`.
  public init(_ p: Scalar = 0.5) {
    precondition(p >= 0 && p < 1, "Dropout probability must be in [0, 1), got \(p)")
    probability = p
  }

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {}

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    guard scope.mode == .training, probability > 0 else { return scope.observe(x) }
    let keep = 1 - probability
    let draws = Tensor<Scalar>(randomUniform: x.shape, using: &scope.randomness.generator)
    let mask = draws.map { $0 < keep ? 1 / keep : 0 }
    return scope.observe(x * mask)
  }
}

/// Layers applied one after the other, named `0`, `1`, ... (PyTorch `nn.Sequential`).
public struct Sequential<Scalar: TensorScalar>: Layer {
  /// The layers, in order.
  public let layers: [any Layer<Scalar>]

  /// Creates a sequence of layers.
  public init(_ layers: [any Layer<Scalar>]) { self.layers = layers }

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {
    for (i, layer) in layers.enumerated() { d.child(String(i), layer) }
  }

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    var y = x
    var i = 0
    while i < layers.count {
      if let conv = layers[i] as? Conv2d<Scalar>, i + 1 < layers.count,
        let bn = layers[i + 1] as? BatchNorm<Scalar>
      {
        y = conv.followed(
          by: bn, y, convolutionScope: scope.child(String(i)),
          batchNormScope: scope.child(String(i + 1)))
        i += 2
      } else {
        y = layers[i](y, in: scope.child(String(i)))
        i += 1
      }
    }
    return y
  }
}
