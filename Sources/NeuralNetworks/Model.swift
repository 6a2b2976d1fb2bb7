// Model: a network, its parameters and buffers, and its mode.

import Autodiff
import TensorCore

/// A network together with its state (PyTorch: an `nn.Module` instance with its `state_dict`).
///
/// ```swift
/// var model = Model<Float>(ResNet(depth: 20), seed: 0)     // PyTorch-style initialization
/// try model.parameters.load(stateDict: weights)           // or weights saved from PyTorch
/// let logits = model(images)                              // inference
/// let loss = model.loss(.crossEntropy(.mean), inputs: images, targets: .classes(labels))
/// ```
public struct Model<Scalar: TensorScalar>: Sendable {
  /// The architecture.
  public let network: any Layer<Scalar>
  /// Parameters and buffers.
  public var parameters: ParameterCollection<Scalar>
  /// Training or evaluation behavior (PyTorch `model.train()` / `model.eval()`).
  public var mode: LayerMode
  /// The random numbers dropout draws in training mode.
  public let randomness: RandomSource

  /// Creates a model with PyTorch's default initialization drawn from `seed` (the same
  /// distributions as PyTorch, not the same numbers).
  ///
  /// - Parameters:
  ///   - network: the architecture.
  ///   - seed: seeds the initial parameters and, with a different stream, dropout.
  ///   - mode: evaluation (default, as used for Hessian analysis) or training.
  public init(_ network: some Layer<Scalar>, seed: UInt64 = 0, mode: LayerMode = .evaluation) {
    var declarations = StateDeclarations<Scalar>(generator: SeededGenerator(seed: seed))
    network.declareState(into: &declarations)
    self.network = network
    self.parameters = ParameterCollection(declaredBy: declarations)
    self.mode = mode
    self.randomness = RandomSource(seed: seed ^ 0x5EED_D0D0_0000_0001)
  }

  /// The output for `input`, differentiable with respect to `parameters` (one variable per
  /// parameter, in ``ParameterCollection/names`` order) and to `input`.
  ///
  /// - Parameters:
  ///   - observer: sees (and may replace) each layer's output, by layer name.
  public func output(
    for input: Variable<Scalar>, parameters variables: [Variable<Scalar>],
    observer: ActivationObserver<Scalar>? = nil
  ) -> Variable<Scalar> {
    withScope(parameters: variables, observer: observer) { network(input, in: $0) }
  }

  /// Runs `body` with the root scope of a forward pass over `variables`.
  func withScope<R>(
    parameters variables: [Variable<Scalar>], observer: ActivationObserver<Scalar>?,
    _ body: (LayerScope<Scalar>) -> R
  ) -> R {
    precondition(
      variables.count == parameters.names.count,
      "got \(variables.count) parameter variables for \(parameters.names.count) parameters")
    for (v, (name, p)) in zip(variables, zip(parameters.names, parameters.values)) {
      precondition(v.shape == p.shape, "parameter \"\(name)\" has shape \(p.shape), got \(v.shape)")
    }
    let scope = LayerScope(
      parameters: Dictionary(uniqueKeysWithValues: zip(parameters.names, variables)),
      buffers: parameters.buffers, prefix: "", mode: mode, randomness: randomness,
      observer: observer)
    return body(scope)
  }

  /// The output for `input` with the model's own parameters, as constants (inference).
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    output(for: Variable(input), parameters: parameters.values.map { Variable($0) }).value
  }

  /// The loss of the model on `inputs` and `targets` with the given parameters (differentiable).
  public func loss(
    _ loss: LossFunction, inputs: Tensor<Scalar>, targets: Targets<Scalar>,
    parameters variables: [Variable<Scalar>]
  ) -> Variable<Scalar> {
    loss(output(for: Variable(inputs), parameters: variables), targets)
  }

  /// The loss of the model on `inputs` and `targets` with its own parameters.
  public func loss(_ loss: LossFunction, inputs: Tensor<Scalar>, targets: Targets<Scalar>) -> Scalar
  {
    self.loss(
      loss, inputs: inputs, targets: targets, parameters: parameters.values.map { Variable($0) }
    )
    .value.scalar
  }
}
