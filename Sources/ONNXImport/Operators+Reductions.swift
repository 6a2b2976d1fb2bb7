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

  /// LayerNormalization over the axes from `axis` on (PyTorch `nn.LayerNorm`): `(x - mean) /
  /// sqrt(var + eps) * scale + bias`, the variance biased (divided by the count), as PyTorch.
  static func layerNormalization(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.real(0)
    let rank = x.shape.count
    let axis = try c.axis(try c.int("axis", default: -1), rank: rank)
    if c.node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
      throw NodeError("the Mean and InvStdDev outputs are not supported")
    }
    let axes = Array(axis..<rank)
    let normalizedShape = Array(x.shape[axis...])
    let scale = try c.real(1)
    let bias = c.has(2) ? try c.real(2) : nil
    for (name, v) in [("scale", scale), ("B", bias)] {
      guard let v else { continue }
      _ = try broadcastShapes(normalizedShape, v.shape)
      guard v.shape.count <= normalizedShape.count else {
        throw NodeError("\(name) has shape \(v.shape) for normalized axes \(normalizedShape)")
      }
    }
    let epsilon = Scalar(try c.float("epsilon", default: 1e-5))
    let centered = x - x.mean(alongAxes: axes)
    let variance = centered.squared().mean(alongAxes: axes)
    var y = centered / (variance + epsilon).squareRoot() * scale
    if let bias { y = y + bias }
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
