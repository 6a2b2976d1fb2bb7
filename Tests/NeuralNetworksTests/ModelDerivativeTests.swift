// Models end to end: gradients and HVPs of whole networks against finite differences.

import Autodiff
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@Suite("Model derivatives")
struct ModelDerivativeTests {
  /// The acceptance test: ResNet-20 in Float32 on a small batch; its exact HVP agrees
  /// with a central-difference HVP computed in Double to 1e-4 relative.
  @Test func resnet20FloatHVPMatchesDoubleFiniteDifferences() {
    let single = Model<Float>(ResNet(depth: 20), seed: 7)
    var double = Model<Double>(ResNet(depth: 20), seed: 7)
    // Non-trivial BatchNorm state so the evaluation-mode affine maps are exercised.
    var g = SeededGenerator(seed: 8)
    var floatState = single.parameters.stateDict()
    for name in single.parameters.bufferNames {
      let base = floatState[name]!
      floatState[name] =
        name.hasSuffix("running_var")
        ? Tensor<Float>(randomUniform: base.shape, lower: 0.5, upper: 1.5, using: &g)
        : Tensor<Float>(randomNormal: base.shape, standardDeviation: 0.1, using: &g)
    }
    var model = single
    try! model.parameters.load(stateDict: floatState)
    try! double.parameters.load(stateDict: floatState.mapValues { Tensor<Double>($0) })

    let inputs = Tensor<Float>(randomNormal: [2, 3, 32, 32], using: &g)
    let targets = Targets<Float>.classes([3, 8])
    let v = model.parameters.values.map { Tensor<Float>(randomNormal: $0.shape, using: &g) }
    let exact = hessianVectorProducts(
      at: model.parameters.values, along: v.map { $0.expandingShape(at: 0) }
    ) { p in model.loss(.crossEntropy(.mean), inputs: inputs, targets: targets, parameters: p) }

    let inputs64 = Tensor<Double>(inputs)
    let targets64 = Targets<Double>.classes([3, 8])
    let gradient64 = { (p: [Tensor<Double>]) in
      Autodiff.gradient(at: p) {
        double.loss(.crossEntropy(.mean), inputs: inputs64, targets: targets64, parameters: $0)
      }
    }
    // A step of norm 1e-6 (parameters have norm ~30): the default eps^(1/3)-scaled step moves
    // pre-activations far enough to cross ReLU kinks, where the gradient jumps and the finite
    // difference is meaningless. Rounding error stays ~1e-9 relative at this step in Double.
    let oracle = numericalHessianVectorProduct(
      at: double.parameters.values, along: v.map { Tensor<Double>($0) }, perturbation: 1e-6,
      gradient: gradient64)
    let error = relativeError(
      ParameterCollection<Float>.flatten(
        exact.hessianVectorProducts.map { $0.reshaped(to: Array($0.shape.dropFirst())) }),
      ParameterCollection<Double>.flatten(oracle))
    #expect(error < 1e-4, "relative error \(error)")
  }

  /// Conv + evaluation-mode BatchNorm is folded into one convolution unless an observer watches
  /// layer outputs; both paths must give the same values and second derivatives.
  @Test func foldedConvBatchNormEqualsTheTwoLayers() {
    var model = Model<Double>(ResNet(depth: 8), seed: 21)
    var g = SeededGenerator(seed: 22)
    var state = model.parameters.stateDict()
    for name in model.parameters.bufferNames where name.hasSuffix("running_var") {
      state[name] = Tensor(randomUniform: state[name]!.shape, lower: 0.5, upper: 1.5, using: &g)
    }
    try! model.parameters.load(stateDict: state)
    let x = Tensor<Double>(randomNormal: [2, 3, 8, 8], using: &g)
    let v = model.parameters.values.map { Tensor<Double>(randomNormal: [2] + $0.shape, using: &g) }
    let identity = ActivationObserver<Double> { _, output in output }
    func run(_ observer: ActivationObserver<Double>?) -> SecondOrderDerivatives<Double> {
      hessianVectorProducts(at: model.parameters.values, along: v) { p in
        crossEntropy(
          logits: model.output(for: Variable(x), parameters: p, observer: observer), labels: [1, 4])
      }
    }
    let (folded, unfolded) = (run(nil), run(identity))
    #expect(abs(folded.value - unfolded.value) < 1e-13)
    for (a, b) in zip(folded.hessianVectorProducts, unfolded.hessianVectorProducts) {
      let r = closeness(a, b, rtol: 1e-10, atol: 1e-12)
      #expect(r.passes, "\(r)")
    }
  }

  @Test(arguments: ["tanh", "gelu", "softplus", "elu", "sigmoid"])
  func mlpHessianMatchesFiniteDifferencesInDouble(_ activation: String) {
    let model = Model<Double>(
      multilayerPerceptron(widths: [4, 6, 5, 3], activation: Activation(name: activation)!), seed: 9
    )
    var g = SeededGenerator(seed: 10)
    let x = Tensor<Double>(randomNormal: [7, 4], using: &g)
    let targets = Targets<Double>.classes([0, 1, 2, 0, 1, 2, 2])
    let f = { (p: [Variable<Double>]) in
      model.loss(.crossEntropy(.sum), inputs: x, targets: targets, parameters: p)
    }
    let v = model.parameters.values.map { Tensor<Double>(randomNormal: $0.shape, using: &g) }
    let exact = hessianVectorProducts(
      at: model.parameters.values, along: v.map { $0.expandingShape(at: 0) }, in: f)
    let oracle = numericalHessianVectorProduct(at: model.parameters.values, along: v) {
      gradient(at: $0, in: f)
    }
    for (a, e) in zip(exact.hessianVectorProducts, oracle) {
      let r = closeness(a.reshaped(to: e.shape), e, rtol: 1e-6, atol: 1e-7)
      #expect(r.passes, "\(activation): \(r)")
    }
  }

  @Test func batchNormTrainingModeHessianMatchesFiniteDifferences() {
    let network = Sequential<Double>([
      Conv2d(2, 3, kernel: 3, padding: 1), BatchNorm.twoD(3), Activation.tanh,
      GlobalAvgPool2d(), Flatten(), Linear(3, 2),
    ])
    let model = Model<Double>(network, seed: 11, mode: .training)
    var g = SeededGenerator(seed: 12)
    let x = Tensor<Double>(randomNormal: [4, 2, 5, 5], using: &g)
    let t = Tensor<Double>(randomNormal: [4, 2], using: &g)
    let f = { (p: [Variable<Double>]) in
      model.loss(.meanSquaredError(.mean), inputs: x, targets: .values(t), parameters: p)
    }
    let v = model.parameters.values.map { Tensor<Double>(randomNormal: $0.shape, using: &g) }
    let exact = hessianVectorProducts(
      at: model.parameters.values, along: v.map { $0.expandingShape(at: 0) }, in: f)
    let oracle = numericalHessianVectorProduct(at: model.parameters.values, along: v) {
      gradient(at: $0, in: f)
    }
    for (a, e) in zip(exact.hessianVectorProducts, oracle) {
      let r = closeness(a.reshaped(to: e.shape), e, rtol: 1e-6, atol: 1e-7)
      #expect(r.passes, "\(r)")
    }
  }

  @Test func inputHessianOfAScalarFunctionOfTheModel() {
    // Any user function of the outputs and the inputs, differentiated w.r.t. the input.
    let model = Model<Double>(multilayerPerceptron(widths: [3, 5, 2], activation: .tanh), seed: 13)
    let constants = model.parameters.values.map { Variable($0) }
    let f = { (x: Variable<Double>) -> Variable<Double> in
      let y = model.output(for: x, parameters: constants)
      return (y.squared().sum() + (x * y.sum()).sum()).log()
    }
    let x0 = Tensor<Double>(shape: [1, 3], scalars: [0.3, -0.2, 0.5])
    let v = Tensor<Double>(shape: [1, 3], scalars: [1, 2, -1])
    let exact = hessianVectorProduct(at: x0, along: v, in: f)
    let oracle = numericalHessianVectorProduct(at: [x0], along: [v]) {
      [gradient(at: $0[0], in: f)]
    }
    let r = closeness(exact, oracle[0], rtol: 1e-6, atol: 1e-8)
    #expect(r.passes, "\(r)")
  }
}
