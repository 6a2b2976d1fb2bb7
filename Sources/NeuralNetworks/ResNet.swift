// CIFAR ResNets in the layout of kuangliu/pytorch-cifar, three stages (He et al. 2016, §4.2).

import Autodiff
import TensorCore

/// The residual block of a CIFAR ResNet (PyTorch name `BasicBlock`):
/// `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`, with a projection shortcut
/// `shortcut.0` (1x1 convolution) + `shortcut.1` (BatchNorm) when the shape changes.
public struct BasicBlock<Scalar: TensorScalar>: Layer {
  let conv1: Conv2d<Scalar>
  let bn1: BatchNorm<Scalar>
  let conv2: Conv2d<Scalar>
  let bn2: BatchNorm<Scalar>
  let shortcut: Sequential<Scalar>?

  /// Creates a block from `inPlanes` to `planes` channels whose first convolution has `stride`.
  public init(inPlanes: Int, planes: Int, stride: Int) {
    conv1 = Conv2d(inPlanes, planes, kernel: 3, stride: stride, padding: 1, bias: false)
    bn1 = .twoD(planes)
    conv2 = Conv2d(planes, planes, kernel: 3, stride: 1, padding: 1, bias: false)
    bn2 = .twoD(planes)
    shortcut =
      stride != 1 || inPlanes != planes
      ? Sequential([
        Conv2d(inPlanes, planes, kernel: 1, stride: stride, bias: false), BatchNorm.twoD(planes),
      ])
      : nil
  }

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {
    d.child("conv1", conv1)
    d.child("bn1", bn1)
    d.child("conv2", conv2)
    d.child("bn2", bn2)
    if let shortcut { d.child("shortcut", shortcut) }
  }

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    var out = conv1.followed(
      by: bn1, x, convolutionScope: scope.child("conv1"), batchNormScope: scope.child("bn1")
    ).relu()
    out = conv2.followed(
      by: bn2, out, convolutionScope: scope.child("conv2"), batchNormScope: scope.child("bn2"))
    let skip = shortcut.map { $0(x, in: scope.child("shortcut")) } ?? x
    return scope.observe((out + skip).relu())
  }
}

/// A CIFAR ResNet of depth `6n + 2` (ResNet-20, -32, -56 for n = 3, 5, 9): `conv1` (3x3, 16
/// channels), `bn1`, three stages `layer1`...`layer3` of `n` ``BasicBlock``s with 16, 32, 64
/// channels (strides 1, 2, 2), global average pooling and `linear`. Parameter names and order
/// equal those of the same network written in PyTorch (kuangliu/pytorch-cifar layout).
public struct ResNet<Scalar: TensorScalar>: Layer {
  /// The depth `6n + 2`.
  public let depth: Int
  /// The number of output classes.
  public let classes: Int
  let conv1: Conv2d<Scalar>
  let bn1: BatchNorm<Scalar>
  let stages: [Sequential<Scalar>]
  let linear: Linear<Scalar>

  /// Creates a CIFAR ResNet; `depth` must be `6n + 2` (20, 32, 44, 56, 110, ...).
  public init(depth: Int, classes: Int = 10, inputChannels: Int = 3) {
    precondition(
      depth >= 8 && (depth - 2) % 6 == 0, "CIFAR ResNet depth must be 6n + 2, got \(depth)")
    self.depth = depth
    self.classes = classes
    let n = (depth - 2) / 6
    conv1 = Conv2d(inputChannels, 16, kernel: 3, stride: 1, padding: 1, bias: false)
    bn1 = .twoD(16)
    var inPlanes = 16
    var stages: [Sequential<Scalar>] = []
    for (planes, stride) in [(16, 1), (32, 2), (64, 2)] {
      var blocks: [any Layer<Scalar>] = []
      for i in 0..<n {
        blocks.append(
          BasicBlock<Scalar>(inPlanes: inPlanes, planes: planes, stride: i == 0 ? stride : 1))
        inPlanes = planes
      }
      stages.append(Sequential(blocks))
    }
    self.stages = stages
    linear = Linear(64, classes)
  }

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {
    d.child("conv1", conv1)
    d.child("bn1", bn1)
    for (i, stage) in stages.enumerated() { d.child("layer\(i + 1)", stage) }
    d.child("linear", linear)
  }

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    var out = conv1.followed(
      by: bn1, x, convolutionScope: scope.child("conv1"), batchNormScope: scope.child("bn1")
    ).relu()
    for (i, stage) in stages.enumerated() { out = stage(out, in: scope.child("layer\(i + 1)")) }
    out = out.mean(alongAxes: [2, 3]).flattenedBatch()
    return linear(out, in: scope.child("linear"))
  }
}

/// A multilayer perceptron `nn.Sequential(Linear, act, Linear, act, ..., Linear)`: `widths` are
/// the input size, the hidden sizes and the output size; parameters are named `0.weight`,
/// `0.bias`, `2.weight`, ... as in PyTorch.
public func multilayerPerceptron<Scalar: TensorScalar>(
  widths: [Int], activation: Activation<Scalar>, bias: Bool = true
) -> Sequential<Scalar> {
  precondition(
    widths.count >= 2, "an MLP needs at least an input and an output width, got \(widths)")
  var layers: [any Layer<Scalar>] = []
  for i in 0..<(widths.count - 1) {
    if i > 0 { layers.append(activation) }
    layers.append(Linear<Scalar>(widths[i], widths[i + 1], bias: bias))
  }
  return Sequential(layers)
}
