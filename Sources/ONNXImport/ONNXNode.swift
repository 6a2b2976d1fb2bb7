// A node of the imported graph with its attributes decoded, and the typed access to its inputs
// and attributes that op implementations use (every failure names the node).

import Autodiff
import ONNXProto
import TensorCore

/// An attribute value HessianKit reads.
enum AttributeValue: Sendable {
  case int(Int)
  case float(Double)
  case string(String)
  case ints([Int])
  case floats([Double])
  case tensor(StoredConstant)
  case unsupported(String)
}

/// One node: op type, input and output value names (an empty input name is an omitted
/// optional input), attributes.
struct ONNXNode: Sendable {
  let name: String
  let opType: String
  let inputs: [String]
  let outputs: [String]
  let attributes: [String: AttributeValue]

  /// `node "name" (OpType)` for messages.
  var label: String { "node \"\(name)\" (\(opType))" }
}

/// What an op implementation sees: its node, its input values, and the graph's opset.
struct NodeContext<Scalar: TensorScalar> {
  let node: ONNXNode
  let edges: [EdgeValue<Scalar>?]
  let opset: Int

  var inputCount: Int { edges.count }

  func has(_ i: Int) -> Bool { i < edges.count && edges[i] != nil }

  /// Input `i`, a tensor.
  func value(_ i: Int) throws -> GraphValue<Scalar> {
    guard i < edges.count, let e = edges[i] else { throw NodeError("input \(i) is missing") }
    guard case .tensor(let v) = e else {
      throw NodeError("input \(i) (\"\(node.inputs[i])\") is a sequence; a tensor is needed")
    }
    return v
  }

  /// Input `i`, a sequence.
  func sequence(_ i: Int) throws -> [GraphValue<Scalar>] {
    guard i < edges.count, let e = edges[i] else { throw NodeError("input \(i) is missing") }
    guard case .sequence(let parts) = e else {
      throw NodeError("input \(i) (\"\(node.inputs[i])\") is a tensor; a sequence is needed")
    }
    return parts
  }

  /// Input `i` as a floating-point variable.
  func real(_ i: Int) throws -> Variable<Scalar> {
    switch try value(i) {
    case .real(let v): return v
    case .integer(let t):
      throw NodeError(
        "input \(i) (\"\(node.inputs[i])\") is an integer tensor of shape \(t.shape); a "
          + "floating-point tensor is needed")
    }
  }

  /// Input `i` as integers (shapes, axes, indices).
  func integers(_ i: Int) throws -> IntegerTensor {
    switch try value(i) {
    case .integer(let t): return t
    case .real(let v):
      guard !v.isDifferentiable else {
        throw NodeError(
          "input \(i) (\"\(node.inputs[i])\") must be a constant integer tensor, got a "
            + "differentiable floating-point tensor")
      }
      let scalars = v.value.scalars
      guard scalars.allSatisfy({ $0.rounded() == $0 }) else {
        throw NodeError("input \(i) (\"\(node.inputs[i])\") must hold integers")
      }
      return IntegerTensor(shape: v.shape, values: scalars.map { Int(Double($0)) })
    }
  }

  /// Input `i` as a list of integers (a rank-0 or rank-1 tensor).
  func integerList(_ i: Int) throws -> [Int] {
    let t = try integers(i)
    guard t.shape.count <= 1 else {
      throw NodeError("input \(i) (\"\(node.inputs[i])\") must be rank 1, got shape \(t.shape)")
    }
    return t.values
  }

  /// Input `i` as one floating-point constant (Clip bounds, Pow exponents).
  func constantScalar(_ i: Int) throws -> Double {
    switch try value(i) {
    case .integer(let t) where t.count == 1: return Double(t.values[0])
    case .real(let v) where v.count == 1 && !v.isDifferentiable: return Double(v.value.scalars[0])
    default:
      throw NodeError("input \(i) (\"\(node.inputs[i])\") must be a constant scalar")
    }
  }

  func int(_ name: String, default d: Int? = nil) throws -> Int {
    switch node.attributes[name] {
    case .int(let v)?: return v
    case nil:
      if let d { return d }
      throw NodeError("attribute \(name) is required")
    default: throw NodeError("attribute \(name) must be an integer")
    }
  }

  func float(_ name: String, default d: Double) throws -> Double {
    switch node.attributes[name] {
    case .float(let v)?: return v
    case .int(let v)?: return Double(v)
    case nil: return d
    default: throw NodeError("attribute \(name) must be a float")
    }
  }

  func string(_ name: String, default d: String) throws -> String {
    switch node.attributes[name] {
    case .string(let v)?: return v
    case nil: return d
    default: throw NodeError("attribute \(name) must be a string")
    }
  }

  func ints(_ name: String) throws -> [Int]? {
    switch node.attributes[name] {
    case .ints(let v)?: return v
    case nil: return nil
    default: throw NodeError("attribute \(name) must be a list of integers")
    }
  }

  /// The most elements an op may create from a file's numbers (2^28: 1 GiB of float32), so
  /// that a shape in the file cannot make HessianKit allocate far beyond what it holds.
  static var elementLimit: Int { 1 << 28 }

  /// Refuses a result of `shape` above ``elementLimit`` elements (or with a negative axis).
  func checkAllocation(_ shape: [Int], _ what: String) throws {
    var count = 1
    for d in shape {
      guard d >= 0 else { throw NodeError("\(what) has a negative dimension in \(shape)") }
      let (product, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow, product <= Self.elementLimit else {
        throw NodeError(
          "\(what) of shape \(shape) would exceed \(Self.elementLimit) elements; refused")
      }
      count = product
    }
  }

  /// Normalizes a possibly negative axis of a rank-`rank` tensor.
  func axis(_ a: Int, rank: Int) throws -> Int {
    let r = a < 0 ? a + rank : a
    guard r >= 0 && r < rank else { throw NodeError("axis \(a) is out of range for rank \(rank)") }
    return r
  }
}

extension ONNXNode {
  /// Decodes a NodeProto's attributes.
  init(_ proto: Onnx_NodeProto, index: Int, decoder: ConstantDecoder) throws {
    name = proto.name.isEmpty ? "#\(index)" : proto.name
    opType = proto.opType
    inputs = proto.input
    outputs = proto.output
    var attributes: [String: AttributeValue] = [:]
    for a in proto.attribute {
      switch a.type {
      case .int: attributes[a.name] = .int(Int(clamping: a.i))
      case .float: attributes[a.name] = .float(intendedValue(a.f))
      case .string: attributes[a.name] = .string(String(decoding: a.s, as: UTF8.self))
      case .ints: attributes[a.name] = .ints(a.ints.map { Int(clamping: $0) })
      case .floats: attributes[a.name] = .floats(a.floats.map(intendedValue))
      case .tensor:
        attributes[a.name] = .tensor(
          try decoder.decode(a.t, what: "attribute \(a.name) of node \"\(proto.name)\""))
      default:
        if !a.refAttrName.isEmpty {
          attributes[a.name] = .unsupported("a reference to function attribute \(a.refAttrName)")
        } else {
          attributes[a.name] = .unsupported("type \(a.type)")
        }
      }
    }
    self.attributes = attributes
  }
}

/// The decimal a float32 attribute was written from: its shortest round-trip representation
/// (`Float(0.2)` -> `0.2`), so that Double runs use PyTorch's `negative_slope=0.2`, not
/// `0.20000000298`. Float runs get the same float32 value back.
func intendedValue(_ f: Float) -> Double {
  guard f.isFinite else { return Double(f) }
  return Double(f.description) ?? Double(f)
}
