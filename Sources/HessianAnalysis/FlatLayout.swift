// A list of tensors seen as one flat vector (the operators' vectors), and a thread-safe
// counter of the products an operator has applied.

import Foundation
import TensorCore

/// The shapes of a list of tensors laid end to end in one flat vector, in order.
struct FlatLayout: Sendable, Equatable {
  let shapes: [[Int]]
  let offsets: [Int]
  let dimension: Int

  init(shapes: [[Int]]) {
    self.shapes = shapes
    var offsets: [Int] = []
    var offset = 0
    for shape in shapes {
      offsets.append(offset)
      offset += shape.reduce(1, *)
    }
    self.offsets = offsets
    self.dimension = offset
  }

  /// Checks that `block` is `[k, n]` with `k >= 1` (a programmer error otherwise).
  func checkBlock<S>(_ block: Tensor<S>) {
    precondition(
      block.rank == 2 && block.shape[1] == dimension && block.shape[0] >= 1,
      "a block for an operator of dimension \(dimension) must be [k, \(dimension)] with k >= 1, "
        + "got \(block.shape)")
  }

  /// A block `[k, n]` split into one tensor `[k] + shape` per entry.
  func split<S: TensorScalar>(_ block: Tensor<S>) -> [Tensor<S>] {
    precondition(
      block.rank == 2 && block.shape[1] == dimension,
      "expected a block [k, \(dimension)], got \(block.shape)")
    let k = block.shape[0]
    if shapes.count == 1 { return [block.reshaped(to: [k] + shapes[0])] }
    return zip(shapes, offsets).map { shape, offset in
      let count = shape.reduce(1, *)
      return block.slice(offset..<offset + count, alongAxis: 1).reshaped(to: [k] + shape)
    }
  }

  /// Tensors `[k] + shape` (one per entry) joined into a block `[k, n]`.
  func join<S: TensorScalar>(_ parts: [Tensor<S>], rows k: Int) -> Tensor<S> {
    precondition(parts.count == shapes.count, "expected \(shapes.count) parts, got \(parts.count)")
    let rows = parts.map { $0.reshaped(to: [k, $0.count / Swift.max(k, 1)]) }
    return rows.count == 1 ? rows[0] : Tensor.concatenated(rows, alongAxis: 1)
  }

  /// Tensors of the entries' shapes joined into a vector `[n]`.
  func flatten<S: TensorScalar>(_ parts: [Tensor<S>]) -> Tensor<S> {
    join(parts.map { $0.expandingShape(at: 0) }, rows: 1).reshaped(to: [dimension])
  }

  /// A vector `[n]` split into tensors of the entries' shapes.
  func unflatten<S: TensorScalar>(_ vector: Tensor<S>) -> [Tensor<S>] {
    split(vector.reshaped(to: [1, dimension])).map { $0.reshaped(to: Array($0.shape.dropFirst())) }
  }
}

/// Counts the vectors an operator has been applied to, across copies of the operator and
/// threads.
final class ProductCounter: @unchecked Sendable {
  private let lock = NSLock()
  private var total = 0

  func add(_ count: Int) {
    lock.lock()
    total += count
    lock.unlock()
  }

  var value: Int {
    lock.lock()
    defer { lock.unlock() }
    return total
  }
}

/// The Euclidean norm of a list of tensors taken as one vector, in Double.
func euclideanNorm<S: TensorScalar>(_ tensors: [Tensor<S>]) -> Double {
  tensors.reduce(0.0) { $0 + Double($1.dot($1)) }.squareRoot()
}
