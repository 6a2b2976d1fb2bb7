// ReduceMean, ReduceSum, Softmax and LogSoftmax.

import Autodiff
import TensorCore

extension ONNXEvaluator {
  static func reduce(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.real(0)
    let rank = x.shape.count
    let keep = try c.int("keepdims", default: 1) != 0
    var axes = try axesList(c, input: 1).map { try $0.map { try c.axis($0, rank: rank) } } ?? []
    if axes.isEmpty {
      if try c.int("noop_with_empty_axes", default: 0) != 0 { return .real(x) }
      axes = Array(0..<rank)
    }
    guard Set(axes).count == axes.count else { throw NodeError("axes \(axes) repeat an axis") }
    var y = c.node.opType == "ReduceMean" ? x.mean(alongAxes: axes) : x.sum(alongAxes: axes)
    if !keep { y = y.reshaped(to: x.shape.indices.filter { !axes.contains($0) }.map { x.shape[$0] }) }
    return .real(y)
  }

  static func softmax(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.real(0)
    guard c.opset >= 13 else {
      throw NodeError("opset \(c.opset) Softmax (flattening semantics) is not supported; export with opset 13 or later")
    }
    let axis = try c.axis(try c.int("axis", default: -1), rank: x.shape.count)
    return .real(c.node.opType == "Softmax" ? x.softmax(alongAxis: axis) : x.logSoftmax(alongAxis: axis))
  }
}
