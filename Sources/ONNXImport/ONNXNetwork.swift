// An imported graph as a Layer: the same Model type the built-in builders make, so every
// operator, the CLI and the state-dict tools work on it unchanged.

import Autodiff
import NeuralNetworks
import TensorCore

/// An imported ONNX graph as a network of one floating-point input and one output: a source
/// of the same ``NeuralNetworks/Model`` the built-in builders make.
///
/// ```swift
/// let graph = try ONNXGraph(contentsOf: URL(fileURLWithPath: "lenet.onnx"))
/// let network = try ONNXNetwork<Float>(graph)
/// try network.check(inputShape: [200, 1, 16, 16])    // before computing anything
/// let model = Model(network)                          // parameters: the graph's initializers
/// let hessian = try HessianOperator(model: model, loss: .crossEntropy(.mean), data: data)
/// ```
///
/// Parameters and buffers are declared with the file's values under their ONNX names (the
/// PyTorch state-dict names for unfolded exports); `seed` has no effect on them. Shape
/// subgraphs are evaluated on the actual input shapes on every pass (they cost microseconds),
/// so a graph exported with a dynamic batch axis takes batches of any size. A Conv whose only
/// consumer is an inference BatchNormalization runs as one convolution with the scaled weight,
/// as the built-in ResNets do, unless an observer watches node outputs (activation Hessians
/// then see each node's output by its ONNX value name).
public struct ONNXNetwork<Scalar: TensorScalar>: Layer {
  /// The imported graph.
  public let graph: ONNXGraph
  /// The graph input the network's input feeds.
  public let inputName: String
  /// The graph output the network returns.
  public let outputName: String

  /// Wraps `graph`, choosing its floating-point input and its output.
  ///
  /// - Parameters:
  ///   - input: the input's name; default the graph's only input.
  ///   - output: the output's name; default the graph's only output.
  /// - Throws: ``ONNXImportError`` when the graph has several inputs or outputs and none is
  ///   named, or the named one does not exist or is not floating-point.
  public init(_ graph: ONNXGraph, input: String? = nil, output: String? = nil) throws {
    self.graph = graph
    let inputNames = graph.inputs.map(\.name)
    if let input {
      guard let info = graph.inputs.first(where: { $0.name == input }) else {
        throw ONNXImportError(
          path: graph.path, "has no input \"\(input)\"; its inputs are \(inputNames)")
      }
      guard info.isFloatingPoint else {
        throw ONNXImportError(
          path: graph.path, "input \"\(input)\" holds \(info.elementType); it must be floating-point")
      }
      inputName = input
    } else {
      guard graph.inputs.count == 1, graph.inputs[0].isFloatingPoint else {
        throw ONNXImportError(
          path: graph.path,
          "has inputs \(graph.inputs.map { "\($0.name) (\($0.elementType))" }); a network of "
            + "one floating-point input is needed")
      }
      inputName = graph.inputs[0].name
    }
    let outputNames = graph.outputs.map(\.name)
    if let output {
      guard outputNames.contains(output) else {
        throw ONNXImportError(
          path: graph.path, "has no output \"\(output)\"; its outputs are \(outputNames)")
      }
      outputName = output
    } else {
      guard outputNames.count == 1 else {
        throw ONNXImportError(
          path: graph.path, "has outputs \(outputNames); name the one to analyze")
      }
      outputName = outputNames[0]
    }
  }

  /// Declares the graph's parameters and buffers with the file's values.
  public func declareState(into d: inout StateDeclarations<Scalar>) {
    for name in graph.parameterNames { d.parameter(name, graph.constants[name]!.real(as: Scalar.self)!) }
    for name in graph.bufferNames { d.buffer(name, graph.constants[name]!.real(as: Scalar.self)!) }
  }

  /// The graph's output for `input`, with parameters and buffers from `scope`.
  ///
  /// - Precondition: the graph runs on this input's shape; ``check(inputShape:)`` finds out
  ///   without stopping the program, and the CLI calls it for every batch shape first.
  public func callAsFunction(_ input: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<Scalar> {
    do {
      return try output(for: input, in: scope)
    } catch {
      preconditionFailure("\(error)")
    }
  }

  func output(for input: Variable<Scalar>, in scope: LayerScope<Scalar>?) throws -> Variable<Scalar> {
    let buffers = Dictionary(
      uniqueKeysWithValues: graph.bufferNames.map { name in
        (name, GraphValue<Scalar>.real(Variable(scope?.buffer(name) ?? graph.constants[name]!.real(as: Scalar.self)!)))
      })
    let results = try ONNXEvaluator<Scalar>.run(
      graph, inputs: buffers.merging([inputName: .real(input)]) { $1 }, outputs: [outputName],
      variable: { name in
        scope.map { $0.parameter(name) } ?? graph.constants[name].flatMap { $0.real(as: Scalar.self) }.map { Variable($0) }
      }, scope: scope)
    guard case .real(let y) = results[0] else {
      throw ONNXImportError(path: graph.path, "output \"\(outputName)\" is an integer tensor")
    }
    return y
  }

  /// Runs the graph once on zeros of `inputShape` with the file's parameters, and returns the
  /// output's shape: every shape error (a batch size baked into a Reshape, channels that do not
  /// fit) surfaces here as an ``ONNXImportError`` naming the node.
  ///
  /// - Complexity: one forward pass.
  @discardableResult
  public func check(inputShape: [Int]) throws -> [Int] {
    if let declared = graph.inputs.first(where: { $0.name == inputName })?.shape {
      let mismatch =
        declared.count != inputShape.count
        || zip(declared, inputShape).contains { d, s in d.map { $0 != s } ?? false }
      if mismatch {
        let text = declared.map { $0.map(String.init) ?? "?" }.joined(separator: ", ")
        throw ONNXImportError(
          path: graph.path,
          "input \"\(inputName)\" is declared [\(text)], got \(inputShape); a batch axis fixed "
            + "at export needs batches of that size (export with dynamic_axes or dynamic_shapes "
            + "for any batch size)")
      }
    }
    return try output(for: Variable(Tensor(zeros: inputShape)), in: nil).shape
  }
}
