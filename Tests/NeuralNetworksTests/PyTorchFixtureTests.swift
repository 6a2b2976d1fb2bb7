// Our models against PyTorch: forward values, losses, gradients and Hessian-vector products
// computed by PyTorch in float64 (double backward), from Tests/Fixtures (see its README for the
// generating script, seeds and versions).

import Autodiff
import Foundation
import NeuralNetworks
import TensorCore
import TensorIO
import Testing
import _TestSupport

/// A fixture case: the architecture rebuilt in Swift, its mode and its loss.
struct FixtureCase: CustomStringConvertible, Sendable {
  let name: String
  let mode: LayerMode
  let loss: LossFunction
  let network: @Sendable () -> any Layer<Double>
  let networkFloat: @Sendable () -> any Layer<Float>
  var description: String { name }

  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures")

  func load<S: TensorScalar>(
    _ build: () -> any Layer<S>
  ) throws -> (model: Model<S>, data: SafetensorsContents) {
    let weights = try Safetensors.read(
      contentsOf: Self.directory.appendingPathComponent("\(name).weights.safetensors"))
    let data = try Safetensors.read(
      contentsOf: Self.directory.appendingPathComponent("\(name).data.safetensors"))
    var model = Model<S>(build(), mode: mode)
    try model.parameters.load(stateDict: weights.floatingPointTensors(as: S.self))
    return (model, data)
  }

  func targets<S: TensorScalar>(_ data: SafetensorsContents, as: S.Type) throws -> Targets<S> {
    let labels = try data.tensor(named: "labels")
    switch loss {
    case .crossEntropy, .tokenCrossEntropy: return .classes(try labels.integers())
    case .meanSquaredError: return .values(labels.floatingPoint(as: S.self))
    case .modelOutput: return .none(count: labels.shape.first ?? 0)
    }
  }
}

func sequential<S: TensorScalar>(_ layers: [any Layer<S>]) -> any Layer<S> { Sequential(layers) }

func activationsNetwork<S: TensorScalar>() -> any Layer<S> {
  sequential([
    Linear<S>(6, 8), Activation<S>.gelu, Linear<S>(8, 8), Activation<S>.softplus, Linear<S>(8, 8),
    Activation<S>.elu, Linear<S>(8, 8), Activation<S>.sigmoid, Linear<S>(8, 8),
    ParametricActivation<S>.leakyRelu(negativeSlope: 0.1), Linear<S>(8, 8), Activation<S>.tanh,
    Linear<S>(8, 4),
  ])
}

func convnetTrain<S: TensorScalar>() -> any Layer<S> {
  sequential([
    Conv2d<S>(3, 4, kernel: 3, stride: 1, padding: 1), BatchNorm<S>.twoD(4), Activation<S>.tanh,
    MaxPool2d<S>(kernel: 2), Conv2d<S>(4, 6, kernel: 3, stride: 2, padding: 2, dilation: 2),
    BatchNorm<S>.twoD(6), Activation<S>.sigmoid, AvgPool2d<S>(kernel: 2), GlobalAvgPool2d<S>(),
    Flatten<S>(), Linear<S>(6, 5),
  ])
}

func bn1dTrain<S: TensorScalar>() -> any Layer<S> {
  sequential([Linear<S>(4, 6), BatchNorm<S>.oneD(6), Activation<S>.relu, Linear<S>(6, 3)])
}

func convEvalPool<S: TensorScalar>() -> any Layer<S> {
  sequential([
    Conv2d<S>(2, 3, kernel: 3, stride: 2, padding: 1, bias: false), BatchNorm<S>.twoD(3),
    Activation<S>.relu, MaxPool2d<S>(kernel: 3, stride: 2, padding: 1),
    Conv2d<S>(3, 4, kernel: 2, stride: 1, padding: 0), AvgPool2d<S>(kernel: 2, stride: 1),
    Flatten<S>(), Linear<S>(16, 3),
  ])
}

let fixtureCases: [FixtureCase] = [
  FixtureCase(
    name: "resnet20", mode: .evaluation, loss: .crossEntropy(.mean),
    network: { ResNet<Double>(depth: 20) }, networkFloat: { ResNet<Float>(depth: 20) }),
  FixtureCase(
    name: "mlp_tanh", mode: .evaluation, loss: .crossEntropy(.mean),
    network: { multilayerPerceptron(widths: [5, 7, 3], activation: Activation<Double>.tanh) },
    networkFloat: { multilayerPerceptron(widths: [5, 7, 3], activation: Activation<Float>.tanh) }),
  FixtureCase(
    name: "activations", mode: .evaluation, loss: .meanSquaredError(.mean),
    network: { activationsNetwork() }, networkFloat: { activationsNetwork() }),
  FixtureCase(
    name: "convnet_train", mode: .training, loss: .crossEntropy(.sum),
    network: { convnetTrain() }, networkFloat: { convnetTrain() }),
  FixtureCase(
    name: "bn1d_train", mode: .training, loss: .crossEntropy(.mean),
    network: { bn1dTrain() }, networkFloat: { bn1dTrain() }),
  FixtureCase(
    name: "conv_eval_pool", mode: .evaluation, loss: .crossEntropy(.mean),
    network: { convEvalPool() }, networkFloat: { convEvalPool() }),
]

@Suite("Against PyTorch fixtures")
struct PyTorchFixtureTests {
  @Test(arguments: fixtureCases)
  func doublePrecisionMatchesPyTorch(_ c: FixtureCase) throws {
    let (model, data) = try c.load(c.network)
    let inputs = try data.tensor(named: "inputs").floatingPoint(as: Double.self)
    let targets = try c.targets(data, as: Double.self)
    let logits = model(inputs)
    let expectedLogits = try data.tensor(named: "logits").floatingPoint(as: Double.self)
    #expect(closeness(logits, expectedLogits, rtol: 1e-10, atol: 1e-12).passes)

    let directions = try model.parameters.names.map {
      try data.tensor(named: "direction.\($0)").floatingPoint(as: Double.self).expandingShape(at: 0)
    }
    let result = hessianVectorProducts(at: model.parameters.values, along: directions) { p in
      model.loss(c.loss, inputs: inputs, targets: targets, parameters: p)
    }
    let expectedLoss = try data.tensor(named: "loss").floatingPoint(as: Double.self).scalar
    #expect(abs(result.value - expectedLoss) <= 1e-12 * abs(expectedLoss))
    for (i, name) in model.parameters.names.enumerated() {
      let g = try data.tensor(named: "grad.\(name)").floatingPoint(as: Double.self)
      let hv = try data.tensor(named: "hvp.\(name)").floatingPoint(as: Double.self)
      let gradientCheck = closeness(result.gradient[i], g, rtol: 1e-9, atol: 1e-12)
      #expect(gradientCheck.passes, "\(c.name) grad.\(name): \(gradientCheck)")
      let hvpCheck = closeness(
        result.hessianVectorProducts[i].reshaped(to: hv.shape), hv, rtol: 1e-8, atol: 1e-11)
      #expect(hvpCheck.passes, "\(c.name) hvp.\(name): \(hvpCheck)")
    }
  }

  /// The primal values recorded by a gradient pass, replayed by a block of 2 other directions
  /// and then by the fixture's direction: PyTorch's HVP to the same 1e-8 (train-mode BatchNorm,
  /// pooling and the ResNet's residual graph included).
  @Test(arguments: fixtureCases)
  func replayedPrimalValuesGivePyTorchsProduct(_ c: FixtureCase) throws {
    let (model, data) = try c.load(c.network)
    let inputs = try data.tensor(named: "inputs").floatingPoint(as: Double.self)
    let targets = try c.targets(data, as: Double.self)
    let loss = { (p: [Variable<Double>]) in
      model.loss(c.loss, inputs: inputs, targets: targets, parameters: p)
    }
    let tape = PrimalTape<Double>()
    let recorded = valueWithGradient(at: model.parameters.values, tape: tape, in: loss)
    var generator = SeededGenerator(seed: 5)
    let other = model.parameters.values.map {
      Tensor<Double>(randomNormal: [2] + $0.shape, using: &generator)
    }
    _ = hessianVectorProducts(at: model.parameters.values, along: other, tape: tape, in: loss)
    let directions = try model.parameters.names.map {
      try data.tensor(named: "direction.\($0)").floatingPoint(as: Double.self).expandingShape(at: 0)
    }
    let result = hessianVectorProducts(
      at: model.parameters.values, along: directions, tape: tape, in: loss)
    #expect(result.value == recorded.value)
    for (i, name) in model.parameters.names.enumerated() {
      let hv = try data.tensor(named: "hvp.\(name)").floatingPoint(as: Double.self)
      let hvpCheck = closeness(
        result.hessianVectorProducts[i].reshaped(to: hv.shape), hv, rtol: 1e-8, atol: 1e-11)
      #expect(hvpCheck.passes, "\(c.name) hvp.\(name): \(hvpCheck)")
      #expect(result.gradient[i].scalars == recorded.gradient[i].scalars)
    }
  }

  @Test(arguments: fixtureCases)
  func singlePrecisionIsAccurate(_ c: FixtureCase) throws {
    let (model, data) = try c.load(c.networkFloat)
    let inputs = try data.tensor(named: "inputs").floatingPoint(as: Float.self)
    let targets = try c.targets(data, as: Float.self)
    let directions = try model.parameters.names.map {
      try data.tensor(named: "direction.\($0)").floatingPoint(as: Float.self).expandingShape(at: 0)
    }
    let result = hessianVectorProducts(at: model.parameters.values, along: directions) { p in
      model.loss(c.loss, inputs: inputs, targets: targets, parameters: p)
    }
    let expected = try model.parameters.names.map {
      try data.tensor(named: "hvp.\($0)").floatingPoint(as: Double.self)
    }
    let error = relativeError(
      ParameterCollection<Float>.flatten(result.hessianVectorProducts),
      ParameterCollection<Double>.flatten(expected))
    #expect(error < 1e-4, "\(c.name): relative error of the Float HVP \(error)")
  }
}
