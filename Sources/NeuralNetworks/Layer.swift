// The Layer protocol: a pure function of an input and named parameters, like a PyTorch
// nn.Module whose forward reads its parameters from a state dict.

import Autodiff
import TensorCore

/// Whether layers behave as in training or in evaluation (PyTorch `model.train()` /
/// `model.eval()`): BatchNorm uses batch statistics or running statistics; Dropout drops or
/// passes through.
public enum LayerMode: String, Sendable, Codable, CaseIterable {
  /// BatchNorm normalizes with batch statistics; Dropout drops activations at random.
  case training
  /// BatchNorm normalizes with running statistics; Dropout is the identity.
  case evaluation
}

/// A building block of a network, with PyTorch semantics and state-dict names.
///
/// A layer holds only its configuration (sizes, strides, ...). Its parameters and buffers live
/// in a ``ParameterCollection`` under PyTorch's state-dict names (`0.weight`,
/// `layer1.0.bn1.running_mean`, ...), and its forward pass reads them through a ``LayerScope``.
/// That keeps the forward pass a pure function of (input, parameters), which is what
/// differentiating twice needs. HessianKit never updates running statistics: unlike PyTorch in
/// training mode, a forward pass has no side effects.
public protocol Layer<Scalar>: Sendable {
  /// The scalar type of the tensors the layer computes with.
  associatedtype Scalar: TensorScalar

  /// Declares this layer's parameters and buffers, in PyTorch's registration order, with their
  /// initial values (PyTorch's default initialization), under names relative to the layer.
  func declareState(into declarations: inout StateDeclarations<Scalar>)

  /// The layer's output for `input`, reading parameters and buffers from `scope`.
  func callAsFunction(_ input: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<Scalar>
}

/// Collects the parameters and buffers layers declare, with their full dotted names.
public struct StateDeclarations<Scalar: TensorScalar> {
  /// Parameters in declaration order (PyTorch `model.named_parameters()`).
  public private(set) var parameters: [(name: String, value: Tensor<Scalar>)] = []
  /// Floating-point buffers in declaration order (`running_mean`, `running_var`).
  public private(set) var buffers: [(name: String, value: Tensor<Scalar>)] = []
  /// Integer buffers (`num_batches_tracked`), kept so state dicts round-trip.
  public private(set) var integerBuffers: [(name: String, value: Int)] = []
  /// The random generator parameters are initialized from.
  public var generator: SeededGenerator
  var prefix: String = ""

  /// Starts an empty declaration list whose random initial values come from `generator`.
  public init(generator: SeededGenerator) { self.generator = generator }

  /// Declares a trainable parameter.
  public mutating func parameter(_ name: String, _ value: Tensor<Scalar>) {
    parameters.append((prefix + name, value))
  }

  /// Declares a floating-point buffer (not trained, saved in the state dict).
  public mutating func buffer(_ name: String, _ value: Tensor<Scalar>) {
    buffers.append((prefix + name, value))
  }

  /// Declares an integer buffer such as BatchNorm's `num_batches_tracked`.
  public mutating func integerBuffer(_ name: String, _ value: Int) {
    integerBuffers.append((prefix + name, value))
  }

  /// Declares the state of `child` under `name.` (PyTorch submodule naming).
  public mutating func child(_ name: String, _ layer: some Layer<Scalar>) {
    let saved = prefix
    prefix += name + "."
    layer.declareState(into: &self)
    prefix = saved
  }

  /// A tensor uniform in `[-bound, bound)` (PyTorch `nn.init.uniform_(-bound, bound)`).
  public mutating func uniform(_ shape: [Int], bound: Scalar) -> Tensor<Scalar> {
    Tensor(randomUniform: shape, lower: -bound, upper: bound, using: &generator)
  }
}

/// What a layer's forward pass sees: its parameters (as differentiable variables) and buffers,
/// found by name under the layer's prefix, and the mode.
public struct LayerScope<Scalar: TensorScalar> {
  let parameters: [String: Variable<Scalar>]
  let buffers: [String: Tensor<Scalar>]
  let prefix: String
  /// Training or evaluation behavior.
  public let mode: LayerMode
  /// Random numbers for Dropout in training mode.
  public let randomness: RandomSource
  /// Called with each layer output whose name is observed (activation Hessians use this).
  let observer: ActivationObserver<Scalar>?

  init(
    parameters: [String: Variable<Scalar>], buffers: [String: Tensor<Scalar>], prefix: String,
    mode: LayerMode, randomness: RandomSource, observer: ActivationObserver<Scalar>?
  ) {
    self.parameters = parameters
    self.buffers = buffers
    self.prefix = prefix
    self.mode = mode
    self.randomness = randomness
    self.observer = observer
  }

  /// True when an observer watches layer outputs (layers must then not fuse away outputs).
  public var isObserved: Bool { observer != nil }

  /// The scope of a child layer named `name`.
  public func child(_ name: String) -> LayerScope {
    LayerScope(
      parameters: parameters, buffers: buffers, prefix: prefix + name + ".", mode: mode,
      randomness: randomness, observer: observer)
  }

  /// The parameter `name` of this layer.
  ///
  /// - Precondition: the layer declared it (a missing name is a bug in the layer).
  public func parameter(_ name: String) -> Variable<Scalar> {
    guard let p = parameters[prefix + name] else {
      preconditionFailure("layer parameter \"\(prefix + name)\" was not declared")
    }
    return p
  }

  /// The buffer `name` of this layer.
  public func buffer(_ name: String) -> Tensor<Scalar> {
    guard let b = buffers[prefix + name] else {
      preconditionFailure("layer buffer \"\(prefix + name)\" was not declared")
    }
    return b
  }

  /// Lets an observer see (and replace) the output of the layer at this scope; layers call it
  /// on their result. `name` is the layer's full dotted name, without the trailing dot.
  public func observe(_ output: Variable<Scalar>) -> Variable<Scalar> {
    guard let observer else { return output }
    return observer.visit(String(prefix.dropLast()), output)
  }
}

/// Sees, and may replace, layer outputs during a forward pass: the hook behind activation
/// Hessians (PyTorch forward hooks).
public final class ActivationObserver<Scalar: TensorScalar>: @unchecked Sendable {
  let visit: (String, Variable<Scalar>) -> Variable<Scalar>

  /// Creates an observer from a closure given each layer's name and output.
  public init(_ visit: @escaping (_ name: String, _ output: Variable<Scalar>) -> Variable<Scalar>) {
    self.visit = visit
  }
}

/// A seeded source of random numbers shared by the layers of one model (Dropout masks).
public final class RandomSource: @unchecked Sendable {
  /// The generator; advanced by each random draw.
  public var generator: SeededGenerator

  /// Creates a source from a seed.
  public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }
}
