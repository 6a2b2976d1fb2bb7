// Shape ops. On integer tensors (shapes, indices) they run eagerly, which folds the shape
// subgraphs exporters write (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) from the
// actual input shapes; on floating-point tensors they are Autodiff's linear shape primitives.

import Autodiff
import TensorCore

extension ONNXEvaluator {
  static func shape(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let s = try c.value(0).shape
    let rank = s.count
    func clamp(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + rank : i, 0), rank) }
    let start = clamp(try c.int("start", default: 0))
    let end = clamp(try c.int("end", default: rank))
    return .integer(IntegerTensor(Array(s[start..<Swift.max(start, end)])))
  }

  /// The target shape of Reshape: `0` copies the input's dimension (unless `allowzero`), one
  /// `-1` is inferred.
  static func reshapeTarget(_ requested: [Int], input: [Int], allowZero: Bool) throws -> [Int] {
    var shape = requested
    for (i, d) in shape.enumerated() where d == 0 && !allowZero {
      guard i < input.count else { throw NodeError("shape \(requested) copies a missing axis \(i) of \(input)") }
      shape[i] = input[i]
    }
    let count = input.reduce(1, *)
    let unknown = shape.indices.filter { shape[$0] == -1 }
    guard unknown.count <= 1, shape.allSatisfy({ $0 >= -1 }) else {
      throw NodeError("shape \(requested) is not a valid target shape")
    }
    if let u = unknown.first {
      let known = shape.enumerated().filter { $0.offset != u }.reduce(1) { $0 * $1.element }
      guard known > 0, count % known == 0 else {
        throw NodeError("cannot reshape \(input) (\(count) elements) to \(requested)")
      }
      shape[u] = count / known
    }
    guard shape.reduce(1, *) == count else {
      throw NodeError("cannot reshape \(input) (\(count) elements) to \(requested)")
    }
    return shape
  }

  static func reshaped(_ v: GraphValue<Scalar>, to shape: [Int]) -> GraphValue<Scalar> {
    switch v {
    case .real(let x): .real(x.shape == shape ? x : x.reshaped(to: shape))
    case .integer(let t): .integer(t.reshaped(to: shape))
    }
  }

  static func reshape(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.value(0)
    let target = try reshapeTarget(
      try c.integerList(1), input: x.shape, allowZero: try c.int("allowzero", default: 0) != 0)
    return reshaped(x, to: target)
  }

  static func flatten(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.value(0)
    let rank = x.shape.count
    var axis = try c.int("axis", default: 1)
    if axis < 0 { axis += rank }
    guard axis >= 0 && axis <= rank else { throw NodeError("axis is out of range for \(x.shape)") }
    return reshaped(x, to: [x.shape[..<axis].reduce(1, *), x.shape[axis...].reduce(1, *)])
  }

  static func transpose(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.value(0)
    let rank = x.shape.count
    let perm = try c.ints("perm") ?? Array((0..<rank).reversed())
    guard perm.sorted() == Array(0..<rank) else {
      throw NodeError("perm \(perm) is not a permutation of the \(rank) axes of \(x.shape)")
    }
    switch x {
    case .real(let v): return .real(v.permuted(perm))
    case .integer(let t): return .integer(t.permuted(perm))
    }
  }

  /// The axes of Squeeze, Unsqueeze and the reductions: an input from opset 13 (18 for most
  /// reductions), an attribute before.
  static func axesList(_ c: NodeContext<Scalar>, input: Int) throws -> [Int]? {
    if c.has(input) { return try c.integerList(input) }
    return try c.ints("axes")
  }

  static func squeeze(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.value(0)
    let rank = x.shape.count
    let axes = try axesList(c, input: 1).map { try $0.map { try c.axis($0, rank: rank) } }
      ?? x.shape.indices.filter { x.shape[$0] == 1 }
    for a in axes where x.shape[a] != 1 {
      throw NodeError("cannot squeeze axis \(a) of size \(x.shape[a]) in \(x.shape)")
    }
    return reshaped(x, to: x.shape.indices.filter { !axes.contains($0) }.map { x.shape[$0] })
  }

  static func unsqueeze(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.value(0)
    guard let raw = try axesList(c, input: 1) else { throw NodeError("needs axes") }
    let rank = x.shape.count + raw.count
    let axes = Set(try raw.map { try c.axis($0, rank: rank) })
    guard axes.count == raw.count else { throw NodeError("axes \(raw) repeat an axis") }
    var shape: [Int] = []
    var source = x.shape.makeIterator()
    for i in 0..<rank { shape.append(axes.contains(i) ? 1 : source.next()!) }
    return reshaped(x, to: shape)
  }

  static func concat(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let values = try (0..<c.inputCount).map { try c.value($0) }
    guard let first = values.first else { throw NodeError("has no inputs") }
    let axis = try c.axis(try c.int("axis"), rank: first.shape.count)
    for v in values {
      var a = v.shape
      var b = first.shape
      guard a.count == b.count else { throw NodeError("inputs differ in rank: \(values.map(\.shape))") }
      a[axis] = 0
      b[axis] = 0
      guard a == b else { throw NodeError("inputs \(values.map(\.shape)) differ off axis \(axis)") }
    }
    let reals = values.compactMap { if case .real(let v) = $0 { v } else { nil } }
    if reals.count == values.count { return .real(Variable.concatenated(reals, alongAxis: axis)) }
    let ints = values.compactMap { if case .integer(let t) = $0 { t } else { nil } }
    guard ints.count == values.count else { throw NodeError("inputs mix floating-point and integer tensors") }
    let outer = first.shape[..<axis].reduce(1, *)
    var out: [Int] = []
    for o in 0..<outer {
      for t in ints {
        let inner = t.shape[axis...].reduce(1, *)
        out.append(contentsOf: t.values[o * inner..<(o + 1) * inner])
      }
    }
    var shape = first.shape
    shape[axis] = ints.reduce(0) { $0 + $1.shape[axis] }
    return .integer(IntegerTensor(shape: shape, values: out, isBoolean: ints[0].isBoolean))
  }

  /// The indices `start, start + step, ...` that ONNX Slice takes along an axis of `size`.
  static func sliceIndices(start: Int, end: Int, step: Int, size: Int) -> [Int] {
    func clamp(_ i: Int, _ lo: Int, _ hi: Int) -> Int { Swift.min(Swift.max(i, lo), hi) }
    var s = start < 0 ? start + size : start
    var e = end < 0 ? end + size : end
    if step > 0 {
      s = clamp(s, 0, size)
      e = clamp(e, 0, size)
      return Array(stride(from: s, to: e, by: step))
    }
    s = clamp(s, 0, size - 1)
    e = clamp(e, -1, size - 1)
    return Array(stride(from: s, to: e, by: step))
  }

  static func slice(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    var x = try c.value(0)
    let starts = try c.integerList(1)
    let ends = try c.integerList(2)
    let rank = x.shape.count
    let axes = try (c.has(3) ? try c.integerList(3) : Array(0..<starts.count)).map {
      try c.axis($0, rank: rank)
    }
    let steps = c.has(4) ? try c.integerList(4) : [Int](repeating: 1, count: starts.count)
    guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count,
      !steps.contains(0)
    else { throw NodeError("starts, ends, axes and steps differ in length or a step is 0") }
    for i in starts.indices {
      let picked = sliceIndices(start: starts[i], end: ends[i], step: steps[i], size: x.shape[axes[i]])
      x = try take(x, indices: picked, axis: axes[i])
    }
    return x
  }

  /// The elements at `indices` along `axis` (kept as an axis of `indices.count`).
  static func take(_ x: GraphValue<Scalar>, indices: [Int], axis: Int) throws -> GraphValue<Scalar> {
    let size = x.shape[axis]
    guard indices.allSatisfy({ 0 <= $0 && $0 < size }) else {
      throw NodeError("an index in \(indices) is out of range for axis \(axis) of size \(size)")
    }
    if indices == Array(0..<size) { return x }
    switch x {
    case .real(let v):
      if let first = indices.first, indices == Array(first..<first + indices.count) {
        return .real(v.slice(first..<first + indices.count, alongAxis: axis))
      }
      guard !indices.isEmpty else {
        var s = v.shape
        s[axis] = 0
        return .real(Variable(Tensor(zeros: s)))
      }
      return .real(v.gathered(indices, alongAxis: axis))
    case .integer(let t):
      let outer = t.shape[..<axis].reduce(1, *)
      let inner = t.shape[(axis + 1)...].reduce(1, *)
      var out: [Int] = []
      out.reserveCapacity(outer * indices.count * inner)
      for o in 0..<outer {
        for i in indices {
          let base = (o * size + i) * inner
          out.append(contentsOf: t.values[base..<base + inner])
        }
      }
      var shape = t.shape
      shape[axis] = indices.count
      return .integer(IntegerTensor(shape: shape, values: out, isBoolean: t.isBoolean))
    }
  }

  static func gather(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.value(0)
    let indices = try c.integers(1)
    let axis = try c.axis(try c.int("axis", default: 0), rank: x.shape.count)
    let size = x.shape[axis]
    let picked = indices.values.map { $0 < 0 ? $0 + size : $0 }
    let taken = try take(x, indices: picked, axis: axis)
    var shape = Array(x.shape[..<axis]) + indices.shape
    shape += x.shape[(axis + 1)...]
    return reshaped(taken, to: shape)
  }

  static func split(_ c: NodeContext<Scalar>) throws -> [GraphValue<Scalar>] {
    let x = try c.value(0)
    let axis = try c.axis(try c.int("axis", default: 0), rank: x.shape.count)
    let size = x.shape[axis]
    let parts = c.node.outputs.count
    var sizes: [Int]
    if c.has(1) {
      sizes = try c.integerList(1)
    } else if let s = try c.ints("split") {
      sizes = s
    } else {
      let n = try c.int("num_outputs", default: parts)
      let chunk = (size + n - 1) / Swift.max(n, 1)
      sizes = (0..<n).map { Swift.max(0, Swift.min(chunk, size - $0 * chunk)) }
    }
    guard sizes.count == parts, sizes.reduce(0, +) == size, sizes.allSatisfy({ $0 >= 0 }) else {
      throw NodeError("split sizes \(sizes) do not divide axis \(axis) of size \(size) into \(parts)")
    }
    var start = 0
    return try sizes.map { n in
      defer { start += n }
      return try take(x, indices: Array(start..<start + n), axis: axis)
    }
  }

  static func expand(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.value(0)
    let requested = try c.integerList(1)
    let shape = try broadcastShapes(x.shape, requested)
    try c.checkAllocation(shape, "the output")
    switch x {
    case .real(let v):
      let aligned = v.shape.count < shape.count
        ? v.reshaped(to: [Int](repeating: 1, count: shape.count - v.shape.count) + v.shape) : v
      return .real(aligned.shape == shape ? aligned : aligned.broadcasted(to: shape))
    case .integer(let t): return .integer(try t.expanded(to: shape))
    }
  }

  /// Constant-mode Pad with zeros (asymmetric amounts and negative crops included).
  static func pad(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let mode = try c.string("mode", default: "constant")
    guard mode == "constant" else { throw NodeError("mode \"\(mode)\" is not supported (constant)") }
    var x = try c.real(0)
    let pads = try c.has(1) ? try c.integerList(1) : (c.ints("pads") ?? [])
    if c.has(2), try c.constantScalar(2) != 0 {
      throw NodeError("a non-zero constant_value is not supported")
    }
    let rank = x.shape.count
    let axes = try (c.has(3) ? try c.integerList(3) : Array(0..<rank)).map { try c.axis($0, rank: rank) }
    guard pads.count == 2 * axes.count else {
      throw NodeError("pads \(pads) do not give two amounts per axis of \(x.shape)")
    }
    var padded = x.shape
    for (i, axis) in axes.enumerated() {
      let (a, o1) = padded[axis].addingReportingOverflow(pads[i])
      let (b, o2) = a.addingReportingOverflow(pads[i + axes.count])
      guard !o1, !o2, b >= 0 else {
        throw NodeError("pads \(pads) crop more than axis \(axis) of \(x.shape) holds")
      }
      padded[axis] = b
    }
    try c.checkAllocation(padded, "the padded output")
    for (i, axis) in axes.enumerated() where pads[i] != 0 || pads[i + axes.count] != 0 {
      x = zeroPadded(x, axis: axis, before: pads[i], after: pads[i + axes.count])
    }
    return .real(x)
  }

  static func constant(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    switch c.node.attributes.first(where: { $0.key.hasPrefix("value") || $0.key == "sparse_value" }) {
    case (_, .tensor(let stored))?: return value(of: stored)
    case (_, .float(let f))?: return .real(Variable(Tensor(Scalar(f))))
    case (_, .floats(let f))?: return .real(Variable(Tensor(f.map { Scalar($0) })))
    case (_, .int(let i))?: return .integer(IntegerTensor(shape: [], values: [i]))
    case (_, .ints(let i))?: return .integer(IntegerTensor(i))
    default: throw NodeError("has no supported value attribute")
    }
  }

  static func value(of stored: StoredConstant) -> GraphValue<Scalar> {
    if case .integer(let t) = stored { return .integer(t) }
    return .real(Variable(stored.real(as: Scalar.self)!))
  }

  static func constantOfShape(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let shape = try c.integerList(0)
    try c.checkAllocation(shape, "the output")
    guard case .tensor(let stored)? = c.node.attributes["value"] else {
      return .real(Variable(Tensor(zeros: shape)))
    }
    switch value(of: stored) {
    case .real(let v):
      return .real(Variable(Tensor(repeating: v.value.scalars.first ?? 0, shape: shape)))
    case .integer(let t):
      return .integer(
        IntegerTensor(
          shape: shape, values: [Int](repeating: t.values.first ?? 0, count: shape.reduce(1, *)),
          isBoolean: t.isBoolean))
    }
  }

  static func range(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    if case .integer = try c.value(0) {
      let (start, limit, delta) = (try c.integerList(0), try c.integerList(1), try c.integerList(2))
      guard start.count == 1, limit.count == 1, delta.count == 1, delta[0] != 0 else {
        throw NodeError("needs scalar start, limit and a non-zero delta")
      }
      let span = limit[0].subtractingReportingOverflow(start[0])
      guard !span.overflow else { throw NodeError("the range \(start[0])..<\(limit[0]) overflows") }
      let n = Swift.max(0, (span.partialValue + delta[0] - (delta[0] > 0 ? 1 : -1)) / delta[0])
      try c.checkAllocation([n], "the range")
      return .integer(IntegerTensor((0..<n).map { start[0] + $0 * delta[0] }))
    }
    let (start, limit, delta) = (try c.constantScalar(0), try c.constantScalar(1), try c.constantScalar(2))
    guard delta != 0, start.isFinite, limit.isFinite, delta.isFinite else {
      throw NodeError("start, limit and delta must be finite with a non-zero delta")
    }
    let steps = ((limit - start) / delta).rounded(.up)
    guard steps < Double(NodeContext<Scalar>.elementLimit) else { throw NodeError("the range has \(steps) elements; refused") }
    let n = Swift.max(0, Int(steps))
    return .real(Variable(Tensor((0..<n).map { Scalar(start + Double($0) * delta) })))
  }
}
