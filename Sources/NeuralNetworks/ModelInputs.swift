// A model's inputs by name, of any element type: images and latent codes (floating point),
// token ids and masks (integers). Built-in networks take one floating-point input; imported
// graphs take any number.

import Autodiff
import TensorCore

/// One input tensor of a model, with a leading sample axis.
public enum InputTensor<Scalar: TensorScalar>: Sendable {
  /// Floating-point values: images, features, a latent code.
  case real(Tensor<Scalar>)
  /// Integers: token ids `[N, T]`, attention masks.
  case integer(IntegerTensor)

  /// The shape.
  public var shape: [Int] {
    switch self {
    case .real(let t): t.shape
    case .integer(let t): t.shape
    }
  }

  /// Samples `range` of the leading axis.
  public func slice(_ range: Range<Int>) -> InputTensor {
    switch self {
    case .real(let t): .real(t.slice(range, alongAxis: 0))
    case .integer(let t): .integer(t.slice(range))
    }
  }
}

/// A model's inputs by name, in the order the model declares them (PyTorch: the positional
/// arguments of `forward`, named as the ONNX export names them). All share the leading sample
/// axis.
///
/// ```swift
/// let images = ModelInputs(x)                                  // one input, named "input"
/// let tokens = ModelInputs(["input_ids": .integer(ids), "attention_mask": .integer(mask)])
/// ```
public struct ModelInputs<Scalar: TensorScalar>: Sendable {
  /// The input names, in order.
  public let names: [String]
  /// The tensors, in the order of ``names``.
  public let tensors: [InputTensor<Scalar>]

  /// The name of a model's only input when it is not given one.
  public static var defaultName: String { "input" }

  /// One floating-point input named ``defaultName``.
  public init(_ tensor: Tensor<Scalar>) {
    names = [Self.defaultName]
    tensors = [.real(tensor)]
  }

  /// Named inputs, in order.
  ///
  /// - Precondition: at least one input, distinct names, and one leading sample axis of the
  ///   same size for all.
  public init(_ named: KeyValuePairs<String, InputTensor<Scalar>>) {
    self.init(names: named.map(\.key), tensors: named.map(\.value))
  }

  /// Named inputs from parallel arrays.
  ///
  /// - Precondition: as ``init(_:)-(KeyValuePairs<String,InputTensor<Scalar>>)``.
  public init(names: [String], tensors: [InputTensor<Scalar>]) {
    precondition(!names.isEmpty && names.count == tensors.count, "inputs need one name each")
    precondition(Set(names).count == names.count, "input names repeat: \(names)")
    let counts = tensors.map { $0.shape.first ?? -1 }
    precondition(
      counts.allSatisfy { $0 == counts[0] && $0 >= 0 },
      "inputs \(names) need one leading sample axis of the same size, got shapes "
        + "\(tensors.map(\.shape))")
    self.names = names
    self.tensors = tensors
  }

  /// The number of samples `N`.
  public var sampleCount: Int { tensors[0].shape.first ?? 0 }

  /// The input named `name`, or nil.
  public subscript(name: String) -> InputTensor<Scalar>? {
    names.firstIndex(of: name).map { tensors[$0] }
  }

  /// The first input, when it is floating-point (the input of a built-in network).
  public var primaryReal: Tensor<Scalar>? {
    if case .real(let t) = tensors[0] { return t }
    return nil
  }

  /// Samples `range` of every input.
  public func slice(_ range: Range<Int>) -> ModelInputs {
    ModelInputs(names: names, tensors: tensors.map { $0.slice(range) })
  }
}

/// A network of named inputs of any element type (an imported ONNX graph): the form of
/// ``Layer`` that ``Model/output(for:parameters:observer:differentiating:)`` calls with all of
/// a batch's inputs.
public protocol NamedInputNetwork<Scalar>: Layer {
  /// The names of the inputs the network reads, in order.
  var inputNames: [String] { get }

  /// The output for `inputs`: every input by name, floating-point ones as variables (the one
  /// differentiated, if any, carries derivatives), reading parameters from `scope`.
  func callAsFunction(
    named inputs: [String: InputVariable<Scalar>], in scope: LayerScope<Scalar>
  ) -> Variable<Scalar>
}

/// An input as a forward pass sees it: a variable, or integers.
public enum InputVariable<Scalar: TensorScalar> {
  /// Floating-point values, differentiable or constant.
  case real(Variable<Scalar>)
  /// Integers (token ids, masks).
  case integer(IntegerTensor)

  /// The shape.
  public var shape: [Int] {
    switch self {
    case .real(let v): v.shape
    case .integer(let t): t.shape
    }
  }
}

extension Model {
  /// The output for a batch's named inputs, differentiable with respect to `parameters` (one
  /// variable per parameter, in ``ParameterCollection/names`` order) and to the input named in
  /// `differentiating`, whose value that variable replaces.
  ///
  /// A ``NamedInputNetwork`` receives every input by name; another network receives the first
  /// input, which must be floating-point.
  ///
  /// - Precondition: the inputs are those the network reads.
  public func output(
    for inputs: ModelInputs<Scalar>, parameters variables: [Variable<Scalar>],
    observer: ActivationObserver<Scalar>? = nil,
    differentiating replaced: (name: String, variable: Variable<Scalar>)? = nil
  ) -> Variable<Scalar> {
    guard let named = network as? any NamedInputNetwork<Scalar> else {
      if let replaced {
        precondition(
          replaced.name == inputs.names[0],
          "the network's input is \"\(inputs.names[0])\", not \"\(replaced.name)\"")
        return output(for: replaced.variable, parameters: variables, observer: observer)
      }
      guard let x = inputs.primaryReal else {
        preconditionFailure("a network of one input needs a floating-point input \"\(inputs.names[0])\"")
      }
      return output(for: Variable(x), parameters: variables, observer: observer)
    }
    var values: [String: InputVariable<Scalar>] = [:]
    for (name, tensor) in zip(inputs.names, inputs.tensors) {
      switch tensor {
      case .real(let t): values[name] = .real(replaced?.name == name ? replaced!.variable : Variable(t))
      case .integer(let t): values[name] = .integer(t)
      }
    }
    return withScope(parameters: variables, observer: observer) { scope in
      named(named: values, in: scope)
    }
  }

  /// The loss of the model on named `inputs` and `targets` with the given parameters
  /// (differentiable).
  public func loss(
    _ loss: LossFunction, inputs: ModelInputs<Scalar>, targets: Targets<Scalar>,
    parameters variables: [Variable<Scalar>]
  ) -> Variable<Scalar> {
    loss(output(for: inputs, parameters: variables), targets)
  }
}
