// Element-wise activation layers.

import Autodiff
import TensorCore

/// An element-wise activation function, as a layer without parameters.
public enum Activation<Scalar: TensorScalar>: Layer, Hashable, CaseIterable {
  /// `nn.Identity()`.
  case identity
  /// `nn.ReLU()`: `max(x, 0)`.
  case relu
  /// `nn.LeakyReLU(0.01)` (use ``leakyRelu(negativeSlope:)`` for another slope).
  case leakyRelu
  /// `nn.Tanh()`.
  case tanh
  /// `nn.Sigmoid()`.
  case sigmoid
  /// `nn.GELU()` (exact erf form).
  case gelu
  /// `nn.Softplus()` (beta 1).
  case softplus
  /// `nn.ELU()` (alpha 1).
  case elu

  /// The name used on the command line and in reports: `relu`, `tanh`, ...
  public var name: String {
    switch self {
    case .identity: "identity"
    case .relu: "relu"
    case .leakyRelu: "leaky-relu"
    case .tanh: "tanh"
    case .sigmoid: "sigmoid"
    case .gelu: "gelu"
    case .softplus: "softplus"
    case .elu: "elu"
    }
  }

  /// The activation with the given ``name``, or nil.
  public init?(name: String) {
    guard let a = Self.allCases.first(where: { $0.name == name }) else { return nil }
    self = a
  }

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {}

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    let y: Variable<Scalar>
    switch self {
    case .identity: y = x
    case .relu: y = x.relu()
    case .leakyRelu: y = x.leakyRelu()
    case .tanh: y = x.tanh()
    case .sigmoid: y = x.sigmoid()
    case .gelu: y = x.gelu()
    case .softplus: y = x.softplus()
    case .elu: y = x.elu()
    }
    return scope.observe(y)
  }
}

/// An element-wise function with a parameter: `nn.LeakyReLU(negative_slope)` or `nn.ELU(alpha)`.
public struct ParametricActivation<Scalar: TensorScalar>: Layer {
  enum Kind: Sendable { case leakyRelu, elu }
  let kind: Kind
  /// The negative slope (LeakyReLU) or alpha (ELU).
  public let parameter: Scalar

  /// `nn.LeakyReLU(negative_slope)`.
  public static func leakyRelu(negativeSlope: Scalar) -> Self {
    Self(kind: .leakyRelu, parameter: negativeSlope)
  }
  /// `nn.ELU(alpha)`.
  public static func elu(alpha: Scalar) -> Self { Self(kind: .elu, parameter: alpha) }

  /// Declares this layer's parameters and buffers; see ``Layer/declareState(into:)``.
  public func declareState(into d: inout StateDeclarations<Scalar>) {}

  /// The layer's output for `x`; see ``Layer/callAsFunction(_:in:)``.
  public func callAsFunction(_ x: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<
    Scalar
  > {
    switch kind {
    case .leakyRelu: scope.observe(x.leakyRelu(negativeSlope: parameter))
    case .elu: scope.observe(x.elu(alpha: parameter))
    }
  }
}
