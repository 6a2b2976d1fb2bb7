// Elementwise ops: arithmetic with broadcasting (on floats, and on integers for shape
// arithmetic), activations, Clip, Cast, Identity and Dropout. Each maps onto Autodiff's
// differentiable primitives, whose derivative rules (forward, JVP, pullback) live together
// in Autodiff.

import Autodiff
import TensorCore

extension ONNXEvaluator {
  static func binary(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    switch (try c.value(0), try c.value(1)) {
    case let (.real(a), .real(b)):
      _ = try broadcastShapes(a.shape, b.shape)
      switch c.node.opType {
      case "Add": return .real(a + b)
      case "Sub": return .real(a - b)
      case "Mul": return .real(a * b)
      default: return .real(a / b)
      }
    case let (.integer(a), .integer(b)):
      let op = c.node.opType
      return .integer(
        try IntegerTensor.broadcasting(a, b) { x, y in
          switch op {
          case "Add": return x &+ y
          case "Sub": return x &- y
          case "Mul": return x &* y
          default:
            guard y != 0 else { throw NodeError("integer division by zero") }
            // ONNX integer Div truncates toward zero, as C does.
            return x / y
          }
        })
    default:
      throw NodeError("inputs mix floating-point and integer tensors")
    }
  }

  static func unary(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    if case .integer(let t) = try c.value(0) {
      switch c.node.opType {
      case "Neg": return .integer(IntegerTensor(shape: t.shape, values: t.values.map { -$0 }))
      case "Abs": return .integer(IntegerTensor(shape: t.shape, values: t.values.map { Swift.abs($0) }))
      case "Identity", "Dropout": return .integer(t)
      default: throw NodeError("needs a floating-point input, got integers")
      }
    }
    let x = try c.real(0)
    switch c.node.opType {
    case "Neg": return .real(-x)
    case "Abs": return .real(x * x.value.map { $0 < 0 ? -1 : 1 })
    case "Sqrt": return .real(x.squareRoot())
    case "Exp": return .real(x.exp())
    case "Log": return .real(x.log())
    case "Reciprocal": return .real(Variable(Tensor(Scalar(1))) / x)
    case "Relu": return .real(x.relu())
    case "Sigmoid": return .real(x.sigmoid())
    case "Tanh": return .real(x.tanh())
    case "Softplus": return .real(x.softplus())
    case "Erf": return .real(x.erf())
    case "LeakyRelu":
      return .real(x.leakyRelu(negativeSlope: Scalar(try c.float("alpha", default: 0.01))))
    case "Elu": return .real(x.elu(alpha: Scalar(try c.float("alpha", default: 1))))
    case "Gelu":
      switch try c.string("approximate", default: "none") {
      case "none": return .real(x.gelu())
      case "tanh": return .real(geluTanh(x))
      case let other: throw NodeError("approximate=\"\(other)\" is not supported (none, tanh)")
      }
    case "Identity": return .real(x)
    case "Dropout":
      // Inference: the identity (a training_mode input that is true is refused).
      if c.has(2), try c.integerList(2).first ?? 0 != 0 {
        throw NodeError("training_mode is true; export the model in eval() mode")
      }
      return .real(x)
    default: throw NodeError("is not an elementwise op")
  }
  }

  /// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (PyTorch `GELU(approximate='tanh')`).
  static func geluTanh(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let inner = (x + x * x * x * Scalar(0.044715)) * Scalar((2 / Double.pi).squareRoot())
    return x * (inner.tanh() + 1) * Scalar(0.5)
  }

  /// `x^p` for a constant exponent: squares, square roots and integer powers exactly; other
  /// exponents as `exp(p log x)` (positive `x`, as PyTorch's gradient assumes).
  static func power(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.real(0)
    let p = try c.constantScalar(1)
    switch p {
    case 1: return .real(x)
    case 2: return .real(x * x)
    case 3: return .real(x * x * x)
    case 0.5: return .real(x.squareRoot())
    case -1: return .real(Variable(Tensor(Scalar(1))) / x)
    case 0: return .real(Variable(Tensor(repeating: 1, shape: x.shape)))
    default: return .real((x.log() * Scalar(p)).exp())
    }
  }

  /// `min(max(x, lo), hi)`: the derivative passes where `lo < x < hi` (PyTorch `clamp`), the
  /// second derivative is zero.
  static func clip(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.real(0)
    let lo = c.has(1) ? try c.constantScalar(1) : -Double.infinity
    let hi = c.has(2) ? try c.constantScalar(2) : Double.infinity
    let mask = x.value.map { Double($0) > lo && Double($0) < hi ? Scalar(1) : 0 }
    let clamped = x.value.map { Scalar(Swift.min(Swift.max(Double($0), lo), hi)) }
    // x * mask + (clamped - x) * (1 - mask) with the second term constant: the value is the
    // clamped one, the derivative the mask.
    return .real(x * mask + Variable(clamped - x.value * mask))
  }

  /// `CastLike`: a cast to the element type of input 1.
  static func castLike(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    switch try c.value(1) {
    case .real: return try converted(try c.value(0), toFloat: true, boolean: false, to: "FLOAT")
    case .integer(let like):
      return try converted(
        try c.value(0), toFloat: false, boolean: like.isBoolean, to: like.isBoolean ? "BOOL" : "INT64")
    }
  }

  /// `Cast` between the types HessianKit holds: floats stay floats (the computation has one
  /// precision), integers and booleans stay integers; a constant float becomes integers.
  static func cast(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let to = Int32(clamping: try c.int("to"))
    let toFloat = to == ONNXDataType.float.rawValue || to == ONNXDataType.double.rawValue
      || to == 10 || to == 16
    return try converted(
      try c.value(0), toFloat: toFloat, boolean: to == ONNXDataType.bool.rawValue,
      to: ONNXDataType.name(to))
  }

  /// `value` as floating point, or as integers (booleans: 0 or 1; floats truncated toward
  /// zero, as ONNX casts them), refusing to cut a differentiable value from its derivatives.
  static func converted(
    _ value: GraphValue<Scalar>, toFloat: Bool, boolean: Bool, to name: String
  ) throws -> GraphValue<Scalar> {
    let values: [Int]
    switch value {
    case .real(let x):
      if toFloat { return .real(x) }
      guard !x.isDifferentiable else { throw NodeError("casts a differentiable value to \(name)") }
      values = x.value.scalars.map { Int(Double($0).rounded(.towardZero)) }
    case .integer(let t):
      if toFloat {
        return .real(Variable(Tensor(shape: t.shape, scalars: t.values.map { Scalar($0) })))
      }
      values = t.values
    }
    return .integer(
      IntegerTensor(
        shape: value.shape, values: boolean ? values.map { $0 != 0 ? 1 : 0 } : values,
        isBoolean: boolean))
  }
}
