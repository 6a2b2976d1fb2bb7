// Runs an imported graph on variables: each node's inputs are looked up, its op applied, its
// outputs stored until their last use. A node's failure names the node and its op type.

import Autodiff
import NeuralNetworks
import TensorCore

/// The op implementations and the node loop, generic over the scalar type.
enum ONNXEvaluator<Scalar: TensorScalar> {
  /// Applies one node.
  static func apply(_ c: NodeContext<Scalar>) throws -> [EdgeValue<Scalar>] {
    switch c.node.opType {
    case "SplitToSequence", "SequenceAt", "SequenceLength", "ConcatFromSequence":
      return [try sequenceOp(c)]
    case "Split": return try split(c).map { .tensor($0) }
    default: return [.tensor(try applyTensorOp(c))]
    }
  }

  /// Applies a node of one tensor output.
  static func applyTensorOp(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    switch c.node.opType {
    case "Add", "Sub", "Mul", "Div": return try binary(c)
    case "Neg", "Abs", "Sqrt", "Exp", "Log", "Reciprocal", "Relu", "Sigmoid", "Tanh", "Softplus",
      "Erf", "LeakyRelu", "Elu", "Gelu", "Identity", "Dropout":
      return try unary(c)
    case "Pow": return try power(c)
    case "Clip": return try clip(c)
    case "Cast": return try cast(c)
    case "CastLike": return try castLike(c)
    case "Gemm": return try gemm(c)
    case "MatMul": return try matmul(c)
    case "Conv": return try conv(c)
    case "ConvTranspose": return try convTranspose(c)
    case "MaxPool", "AveragePool": return try pool(c)
    case "GlobalAveragePool": return try globalAveragePool(c)
    case "BatchNormalization": return try batchNormalization(c)
    case "Shape": return try shape(c)
    case "Reshape": return try reshape(c)
    case "Flatten": return try flatten(c)
    case "Transpose": return try transpose(c)
    case "Squeeze": return try squeeze(c)
    case "Unsqueeze": return try unsqueeze(c)
    case "Concat": return try concat(c)
    case "Slice": return try slice(c)
    case "Gather": return try gather(c)
    case "Expand": return try expand(c)
    case "Pad": return try pad(c)
    case "Constant": return try constant(c)
    case "ConstantOfShape": return try constantOfShape(c)
    case "Range": return try range(c)
    case "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual": return try compare(c)
    case "Not", "And", "Or": return try logic(c)
    case "Where": return try select(c)
    case "ReduceMean", "ReduceSum": return try reduce(c)
    case "Softmax", "LogSoftmax": return try softmax(c)
    case "SoftmaxCrossEntropyLoss": return try softmaxCrossEntropyLoss(c)
    case "LayerNormalization": return try layerNormalization(c)
    case "Trilu": return try trilu(c)
    case "Resize": return try resize(c)
    default: throw NodeError("is not supported")
    }
  }

  /// Runs `graph` from `inputs` and returns the values of `outputs`.
  ///
  /// - Parameters:
  ///   - variable: the differentiable value of a parameter, by name.
  ///   - scope: observes node outputs by value name when an observer is set.
  static func run(
    _ graph: ONNXGraph, inputs: [String: GraphValue<Scalar>], outputs: [String],
    variable: (String) -> Variable<Scalar>?, scope: LayerScope<Scalar>?
  ) throws -> [GraphValue<Scalar>] {
    var env = inputs.mapValues { EdgeValue.tensor($0) }
    for name in graph.parameterNames {
      guard let v = variable(name) else {
        throw ONNXImportError(path: graph.path, "parameter \"\(name)\" has no value")
      }
      env[name] = .tensor(.real(v))
    }
    let observed = scope?.isObserved ?? false
    let kept = Set(outputs)
    func lookup(_ name: String) -> EdgeValue<Scalar>? {
      if name.isEmpty { return nil }
      if let v = env[name] { return v }
      return graph.constants[name].map { .tensor(value(of: $0)) }
    }
    var skip = Set<Int>()
    for (index, node) in graph.nodes.enumerated() where !skip.contains(index) {
      let values = node.inputs.map(lookup)
      let context = NodeContext(node: node, edges: values, opset: graph.opset)
      var results: [EdgeValue<Scalar>]
      var produced = node.outputs
      do {
        if let bnIndex = graph.batchNormAfterConv[index], !observed {
          // Conv followed by its only consumer, an inference BatchNorm: one convolution with
          // the scaled weight (the built-in ResNets do the same).
          let bn = graph.nodes[bnIndex]
          let bnContext = NodeContext(node: bn, edges: bn.inputs.map(lookup), opset: graph.opset)
          let w = try context.real(1)
          let affine = try batchNormAffine(bnContext, channels: w.shape[0])
          results = [.tensor(try conv(context, batchNorm: affine))]
          produced = [bn.outputs[0]]
          skip.insert(bnIndex)
        } else {
          results = try apply(context)
        }
      } catch let e as NodeError {
        throw ONNXImportError(path: graph.path, "\(node.label): \(e.message)")
      }
      for (name, value) in zip(produced, results) where !name.isEmpty {
        if observed, case .tensor(.real(let v)) = value, let scope {
          env[name] = .tensor(.real(scope.child(name).observe(v)))
        } else {
          env[name] = value
        }
      }
      for name in node.inputs where graph.lastUse[name] == index && !kept.contains(name) {
        env[name] = nil
      }
    }
    return try outputs.map { name in
      switch env[name] ?? graph.constants[name].map({ .tensor(value(of: $0)) }) {
      case .tensor(let v)?: return v
      case .sequence?: throw ONNXImportError(path: graph.path, "graph output \"\(name)\" is a sequence")
      case nil: throw ONNXImportError(path: graph.path, "graph output \"\(name)\" was not computed")
      }
    }
  }
}
