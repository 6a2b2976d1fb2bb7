// Comparisons, boolean logic, Where, and the sequence ops the dynamo exporter writes for
// split and chunk. Comparisons give boolean tensors, which carry no derivatives; Where selects
// without multiplying by its mask, so a -inf in the branch not taken stays out of the result.

import Autodiff
import TensorCore

extension ONNXEvaluator {
  /// The elements of an integer or constant real input as Doubles, for comparisons.
  static func comparable(_ c: NodeContext<Scalar>, _ i: Int) throws -> (shape: [Int], values: [Double]) {
    switch try c.value(i) {
    case .integer(let t): return (t.shape, t.values.map(Double.init))
    case .real(let v): return (v.shape, v.value.scalars.map { Double($0) })
    }
  }

  static func compare(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let (sa, a) = try comparable(c, 0)
    let (sb, b) = try comparable(c, 1)
    let shape = try broadcastShapes(sa, sb)
    let ia = broadcastIndices(from: sa, to: shape)
    let ib = broadcastIndices(from: sb, to: shape)
    let test: (Double, Double) -> Bool
    switch c.node.opType {
    case "Equal": test = (==)
    case "Greater": test = (>)
    case "Less": test = (<)
    case "GreaterOrEqual": test = (>=)
    default: test = (<=)
    }
    return .integer(
      IntegerTensor(
        shape: shape, values: zip(ia, ib).map { test(a[$0], b[$1]) ? 1 : 0 }, isBoolean: true))
  }

  static func logic(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    if c.node.opType == "Not" {
      let t = try c.integers(0)
      return .integer(IntegerTensor(shape: t.shape, values: t.values.map { $0 == 0 ? 1 : 0 }, isBoolean: true))
    }
    let and = c.node.opType == "And"
    return .integer(
      try IntegerTensor.broadcasting(try c.integers(0), try c.integers(1), boolean: true) {
        let (x, y) = ($0 != 0, $1 != 0)
        return (and ? x && y : x || y) ? 1 : 0
      })
  }

  static func select(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let condition = try c.integers(0)
    switch (try c.value(1), try c.value(2)) {
    case let (.real(a), .real(b)):
      _ = try broadcastShapes(try broadcastShapes(condition.shape, a.shape), b.shape)
      let mask = Tensor<Scalar>(shape: condition.shape, scalars: condition.values.map { Scalar($0) })
      return .real(Variable.selecting(mask, a, b))
    case let (.integer(a), .integer(b)):
      let shape = try broadcastShapes(try broadcastShapes(condition.shape, a.shape), b.shape)
      let ci = broadcastIndices(from: condition.shape, to: shape)
      let ai = broadcastIndices(from: a.shape, to: shape)
      let bi = broadcastIndices(from: b.shape, to: shape)
      return .integer(
        IntegerTensor(
          shape: shape,
          values: (0..<ci.count).map {
            condition.values[ci[$0]] != 0 ? a.values[ai[$0]] : b.values[bi[$0]]
          }, isBoolean: a.isBoolean))
    default: throw NodeError("branches mix floating-point and integer tensors")
    }
  }

  /// Trilu: the lower (`upper` = 0) or upper triangle of the last two axes, from diagonal `k`,
  /// the rest zero (PyTorch `torch.tril`, `torch.triu`; a causal mask).
  static func trilu(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.value(0)
    let k = c.has(1) ? try c.integerList(1).first ?? 0 : 0
    let upper = try c.int("upper", default: 1) != 0
    guard x.shape.count >= 2 else { throw NodeError("needs rank 2 or more, got \(x.shape)") }
    let (rows, columns) = (x.shape[x.shape.count - 2], x.shape[x.shape.count - 1])
    let count = x.shape.reduce(1, *)
    let keep: [Bool] = (0..<count).map { flat in
      let j = flat % columns
      let i = (flat / columns) % rows
      return upper ? j - i >= k : j - i <= k
    }
    switch x {
    case .integer(let t):
      return .integer(
        IntegerTensor(
          shape: t.shape, values: zip(t.values, keep).map { $1 ? $0 : 0 }, isBoolean: t.isBoolean))
    case .real(let v):
      let mask = Tensor<Scalar>(shape: v.shape, scalars: keep.map { $0 ? 1 : 0 })
      return .real(Variable.selecting(mask, v, Variable(Tensor(Scalar(0)))))
    }
  }

  /// SplitToSequence (split sizes, or chunks of `split` elements, or single elements with
  /// keepdims), SequenceAt, SequenceLength and ConcatFromSequence.
  static func sequenceOp(_ c: NodeContext<Scalar>) throws -> EdgeValue<Scalar> {
    switch c.node.opType {
    case "SplitToSequence":
      let x = try c.value(0)
      let axis = try c.axis(try c.int("axis", default: 0), rank: x.shape.count)
      let size = x.shape[axis]
      var sizes: [Int]
      var squeeze = false
      if c.has(1) {
        let split = try c.integers(1)
        if split.shape.isEmpty {
          let chunk = split.values[0]
          guard chunk >= 1 else { throw NodeError("split \(chunk) is not positive") }
          sizes = stride(from: 0, to: size, by: chunk).map { Swift.min(chunk, size - $0) }
        } else {
          sizes = split.values
        }
      } else {
        sizes = [Int](repeating: 1, count: size)
        squeeze = try c.int("keepdims", default: 1) == 0
      }
      guard sizes.reduce(0, +) == size, sizes.allSatisfy({ $0 >= 0 }) else {
        throw NodeError("split sizes \(sizes) do not divide axis \(axis) of size \(size)")
      }
      var start = 0
      var parts: [GraphValue<Scalar>] = []
      for n in sizes {
        var part = try take(x, indices: Array(start..<start + n), axis: axis)
        if squeeze {
          var shape = part.shape
          shape.remove(at: axis)
          part = reshaped(part, to: shape)
        }
        parts.append(part)
        start += n
      }
      return .sequence(parts)
    case "SequenceAt":
      let parts = try c.sequence(0)
      let position = try c.integerList(1)
      guard position.count == 1, -parts.count <= position[0], position[0] < parts.count else {
        throw NodeError("position \(position) is out of range for \(parts.count) elements")
      }
      return .tensor(parts[position[0] < 0 ? position[0] + parts.count : position[0]])
    case "SequenceLength":
      return .tensor(.integer(IntegerTensor(shape: [], values: [try c.sequence(0).count])))
    default:  // ConcatFromSequence
      let parts = try c.sequence(0)
      guard !parts.isEmpty else { throw NodeError("input 0 is an empty sequence") }
      let reals = parts.compactMap { if case .real(let v) = $0 { v } else { nil } }
      guard reals.count == parts.count else { throw NodeError("supports floating-point sequences only") }
      let rank = reals[0].shape.count
      if try c.int("new_axis", default: 0) != 0 {
        let axis = try c.axis(try c.int("axis"), rank: rank + 1)
        let lifted = reals.map { v -> Variable<Scalar> in
          var s = v.shape
          s.insert(1, at: axis)
          return v.reshaped(to: s)
        }
        return .tensor(.real(Variable.concatenated(lifted, alongAxis: axis)))
      }
      let axis = try c.axis(try c.int("axis"), rank: rank)
      return .tensor(.real(Variable.concatenated(reals, alongAxis: axis)))
    }
  }
}
