// Integer-tensor operations of imported graphs (broadcasting arithmetic, Expand, Transpose):
// they run eagerly, which folds shape subgraphs from the actual input shapes.

import TensorCore

extension IntegerTensor {
  /// `op(a, b)` elementwise with NumPy broadcasting.
  static func broadcasting(
    _ a: IntegerTensor, _ b: IntegerTensor, boolean: Bool = false, _ op: (Int, Int) throws -> Int
  ) throws -> IntegerTensor {
    let shape = try broadcastShapes(a.shape, b.shape)
    let ai = broadcastIndices(from: a.shape, to: shape)
    let bi = broadcastIndices(from: b.shape, to: shape)
    var out: [Int] = []
    out.reserveCapacity(ai.count)
    for (i, j) in zip(ai, bi) { out.append(try op(a.values[i], b.values[j])) }
    return IntegerTensor(shape: shape, values: out, isBoolean: boolean)
  }

  /// The elements repeated to `shape` (ONNX `Expand` semantics: two-way broadcasting).
  func expanded(to target: [Int]) throws -> IntegerTensor {
    let shape = try broadcastShapes(self.shape, target)
    return IntegerTensor(
      shape: shape, values: broadcastIndices(from: self.shape, to: shape).map { values[$0] },
      isBoolean: isBoolean)
  }

  /// The axes reordered.
  func permuted(_ perm: [Int]) -> IntegerTensor {
    let newShape = perm.map { shape[$0] }
    let strides = rowMajorStrides(shape)
    let order = permutedIndices(shape: newShape, sourceStrides: perm.map { strides[$0] })
    return IntegerTensor(shape: newShape, values: order.map { values[$0] }, isBoolean: isBoolean)
  }
}

/// The NumPy broadcast of two shapes.
func broadcastShapes(_ a: [Int], _ b: [Int]) throws -> [Int] {
  let rank = Swift.max(a.count, b.count)
  let pa = [Int](repeating: 1, count: rank - a.count) + a
  let pb = [Int](repeating: 1, count: rank - b.count) + b
  return try zip(pa, pb).map { x, y in
    if x == y || y == 1 { return x }
    if x == 1 { return y }
    throw NodeError("shapes \(a) and \(b) do not broadcast")
  }
}

/// Row-major strides.
func rowMajorStrides(_ shape: [Int]) -> [Int] {
  var strides = [Int](repeating: 1, count: shape.count)
  var s = 1
  for i in shape.indices.reversed() {
    strides[i] = s
    s *= shape[i]
  }
  return strides
}

/// For each element of `target` (row-major), the index of the element of a tensor of shape
/// `source` that broadcasting maps to it.
func broadcastIndices(from source: [Int], to target: [Int]) -> [Int] {
  let padded = [Int](repeating: 1, count: target.count - source.count) + source
  let strides = rowMajorStrides(padded).enumerated().map { padded[$0.offset] == 1 ? 0 : $0.element }
  return permutedIndices(shape: target, sourceStrides: strides)
}

/// The source offsets of the elements of `shape` in row-major order, given a source stride
/// per axis.
func permutedIndices(shape: [Int], sourceStrides: [Int]) -> [Int] {
  let count = shape.reduce(1, *)
  var out = [Int](repeating: 0, count: count)
  guard count > 0 else { return out }
  var index = [Int](repeating: 0, count: shape.count)
  var offset = 0
  for i in 0..<count {
    out[i] = offset
    var axis = shape.count - 1
    while axis >= 0 {
      index[axis] += 1
      offset += sourceStrides[axis]
      if index[axis] < shape[axis] { break }
      offset -= sourceStrides[axis] * shape[axis]
      index[axis] = 0
      axis -= 1
    }
  }
  return out
}
