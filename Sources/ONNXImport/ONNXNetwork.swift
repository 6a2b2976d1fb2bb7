// An imported graph as a Layer: the same Model type the built-in builders make, so every
// operator, the CLI and the state-dict tools work on it unchanged.

import Autodiff
import NeuralNetworks
import TensorCore

/// An imported ONNX graph as a network: a source of the same ``NeuralNetworks/Model`` the
/// built-in builders make, taking the graph's inputs by name (floating-point images or latent
/// codes, integer token ids and masks) and returning one of its outputs.
///
/// ```swift
/// let graph = try ONNXGraph(contentsOf: URL(fileURLWithPath: "lenet.onnx"))
/// let network = try ONNXNetwork<Float>(graph)
/// let model = Model(network)                          // parameters: the graph's initializers
/// let inputs = ModelInputs(names: network.inputNames, tensors: [.real(x)])
/// try network.check(inputs)                           // before computing anything
/// let hessian = try HessianOperator(
///   model: model, loss: .crossEntropy(.mean), data: DataSet(inputs: inputs, targets: .classes(y)))
/// ```
///
/// Parameters and buffers are declared with the file's values under their ONNX names (the
/// PyTorch state-dict names for unfolded exports); `seed` has no effect on them. Shape
/// subgraphs are evaluated on the actual input shapes on every pass (they cost microseconds),
/// so a graph exported with a dynamic batch axis takes batches of any size. A Conv whose only
/// consumer is an inference BatchNormalization runs as one convolution with the scaled weight,
/// as the built-in ResNets do, unless an observer watches node outputs (activation Hessians
/// then see each node's output by its ONNX value name).
public struct ONNXNetwork<Scalar: TensorScalar>: NamedInputNetwork {
  /// The imported graph.
  public let graph: ONNXGraph
  /// The graph's inputs, in order.
  public var inputNames: [String] { graph.inputs.map(\.name) }
  /// The input the one-input form (``callAsFunction(_:in:)``) feeds: the graph's only input,
  /// or the one named at creation; nil for a graph of several inputs and none named.
  public let inputName: String?
  /// The graph output the network returns.
  public let outputName: String

  /// Wraps `graph`, choosing its output.
  ///
  /// - Parameters:
  ///   - input: the input the one-input form feeds; default the graph's only input.
  ///   - output: the output's name; default the graph's only output.
  /// - Throws: ``ONNXImportError`` when the graph has several outputs and none is named, or a
  ///   named input or output does not exist.
  public init(_ graph: ONNXGraph, input: String? = nil, output: String? = nil) throws {
    self.graph = graph
    let inputNames = graph.inputs.map(\.name)
    if let input {
      guard inputNames.contains(input) else {
        throw ONNXImportError(
          path: graph.path, "has no input \"\(input)\"; its inputs are \(inputNames)")
      }
      inputName = input
    } else {
      inputName = inputNames.count == 1 ? inputNames[0] : nil
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

  /// The graph's output for its one floating-point input, with parameters and buffers from
  /// `scope`.
  ///
  /// - Precondition: the graph runs on this input (``check(_:)`` finds out without stopping
  ///   the program, and the CLI calls it for every batch shape first), and it has no other
  ///   input.
  public func callAsFunction(_ input: Variable<Scalar>, in scope: LayerScope<Scalar>) -> Variable<Scalar> {
    guard let inputName, graph.inputs.count == 1 else {
      preconditionFailure(
        "\(graph.path) has inputs \(inputNames): pass them by name (ModelInputs)")
    }
    return callAsFunction(named: [inputName: .real(input)], in: scope)
  }

  /// The graph's output for its inputs by name, with parameters and buffers from `scope`.
  ///
  /// - Precondition: as ``callAsFunction(_:in:)``, for every input.
  public func callAsFunction(
    named inputs: [String: InputVariable<Scalar>], in scope: LayerScope<Scalar>
  ) -> Variable<Scalar> {
    do {
      return try output(for: inputs, in: scope)
    } catch {
      preconditionFailure("\(error)")
    }
  }

  func output(
    for inputs: [String: InputVariable<Scalar>], in scope: LayerScope<Scalar>?
  ) throws -> Variable<Scalar> {
    var values: [String: GraphValue<Scalar>] = [:]
    for info in graph.inputs {
      guard let value = inputs[info.name] else {
        throw ONNXImportError(
          path: graph.path,
          "input \"\(info.name)\" is missing; the graph's inputs are \(inputNames)")
      }
      switch value {
      case .real(let v):
        guard info.isFloatingPoint else {
          throw ONNXImportError(
            path: graph.path,
            "input \"\(info.name)\" holds \(info.elementType); got floating-point values")
        }
        values[info.name] = .real(v)
      case .integer(let t):
        guard !info.isFloatingPoint else {
          throw ONNXImportError(
            path: graph.path, "input \"\(info.name)\" holds \(info.elementType); got integers")
        }
        values[info.name] = .integer(t)
      }
      try checkDeclaredShape(info, value.shape)
    }
    for name in graph.bufferNames {
      values[name] = .real(
        Variable(scope?.buffer(name) ?? graph.constants[name]!.real(as: Scalar.self)!))
    }
    let results = try ONNXEvaluator<Scalar>.run(
      graph, inputs: values, outputs: [outputName],
      variable: { name in
        scope.map { $0.parameter(name) }
          ?? graph.constants[name].flatMap { $0.real(as: Scalar.self) }.map { Variable($0) }
      }, scope: scope)
    guard case .real(let y) = results[0] else {
      throw ONNXImportError(path: graph.path, "output \"\(outputName)\" is an integer tensor")
    }
    return y
  }

  /// Refuses an input whose shape differs from a fixed dimension the file declares.
  func checkDeclaredShape(_ info: ONNXValueInfo, _ shape: [Int]) throws {
    guard let declared = info.shape else { return }
    let mismatch =
      declared.count != shape.count
      || zip(declared, shape).contains { d, s in d.map { $0 != s } ?? false }
    guard mismatch else { return }
    let text = declared.map { $0.map(String.init) ?? "?" }.joined(separator: ", ")
    throw ONNXImportError(
      path: graph.path,
      "input \"\(info.name)\" is declared [\(text)], got \(shape); a batch axis fixed at "
        + "export needs batches of that size (export with dynamic_axes or dynamic_shapes for "
        + "any batch size)")
  }

  /// Runs the graph once on `inputs` with the file's parameters and returns the output's
  /// shape: every shape error (a batch size baked into a Reshape, channels that do not fit, an
  /// index out of range) surfaces here as an ``ONNXImportError`` naming the node.
  ///
  /// - Complexity: one forward pass.
  @discardableResult
  public func check(_ inputs: ModelInputs<Scalar>) throws -> [Int] {
    var named: [String: InputVariable<Scalar>] = [:]
    for (name, tensor) in zip(inputs.names, inputs.tensors) {
      switch tensor {
      case .real(let t): named[name] = .real(Variable(t))
      case .integer(let t): named[name] = .integer(t)
      }
    }
    return try output(for: named, in: nil).shape
  }

  /// ``check(_:)`` on zeros of `inputShape` for the graph's one floating-point input.
  @discardableResult
  public func check(inputShape: [Int]) throws -> [Int] {
    guard let inputName else {
      throw ONNXImportError(path: graph.path, "has inputs \(inputNames); check them by name")
    }
    return try check(ModelInputs(names: [inputName], tensors: [.real(Tensor(zeros: inputShape))]))
  }
}
