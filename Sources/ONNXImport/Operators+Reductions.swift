// ReduceMean, ReduceSum, Softmax and LogSoftmax.

import Autodiff
import NeuralNetworks
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

extension ONNXEvaluator {
  /// SoftmaxCrossEntropyLoss (a model exported with its loss: `F.cross_entropy` inside
  /// `forward`): scores `[N, C, d1, ...]` against integer labels `[N, d1, ...]`, labels equal to
  /// `ignore_index` skipped, `reduction` mean (over the labeled positions, PyTorch's) or sum.
  /// Class weights, `reduction="none"` and the second output (log-probabilities) are refused.
  static func softmaxCrossEntropyLoss(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let scores = try c.real(0)
    let labels = try c.integers(1)
    guard !c.has(2) else { throw NodeError("class weights (input 2) are not supported") }
    guard c.node.outputs.count < 2 || c.node.outputs[1].isEmpty else {
      throw NodeError("the log-probability output is not supported")
    }
    guard scores.shape.count >= 2 else {
      throw NodeError("scores must be [N, C, ...], got shape \(scores.shape)")
    }
    let expected = [scores.shape[0]] + Array(scores.shape.dropFirst(2))
    guard labels.shape == expected else {
      throw NodeError("labels have shape \(labels.shape); scores \(scores.shape) need \(expected)")
    }
    let classes = scores.shape[1]
    let ignore: Int? = c.node.attributes["ignore_index"] == nil ? nil : try c.int("ignore_index")
    var mapped: [Int] = []
    mapped.reserveCapacity(labels.count)
    for (i, label) in labels.values.enumerated() {
      if label == ignore {
        mapped.append(Targets<Scalar>.ignoreIndex)
      } else if 0 <= label && label < classes {
        mapped.append(label)
      } else {
        throw NodeError(
          "label \(label) at position \(i) is not a class in 0..<\(classes)"
            + (ignore.map { " nor the ignore_index \($0)" } ?? ""))
      }
    }
    switch try c.string("reduction", default: "mean") {
    case "mean": return .real(crossEntropy(logits: scores, labels: mapped, reduction: .mean))
    case "sum": return .real(crossEntropy(logits: scores, labels: mapped, reduction: .sum))
    case let other: throw NodeError("reduction \"\(other)\" is not supported (mean or sum)")
    }
  }
}
