// The workload of an ONNX model: the graph imported and checked on every batch shape before
// any computation, weights replaced by name, inputs from --inputs or --input name=file, and
// targets fitted to the graph's output (class labels per sample or per position, values, or
// none when the output is the objective).

import Foundation
import Autodiff
import HessianAnalysis
import NeuralNetworks
import ONNXImport
import TensorCore
import TensorIO

extension Workload {
  /// The model and data of `--model FILE.onnx`.
  static func imported(_ options: SharedOptions, progress: Progress) throws -> Workload {
    let m = options.model
    guard case .onnx(let modelPath)? = try m.source, let firstPath = options.data.inputsPath
    else { preconditionFailure("imported() needs --model FILE.onnx and inputs") }
    progress.note("importing \(modelPath)")
    let graph = try ONNXGraph(contentsOf: URL(fileURLWithPath: modelPath))
    if let notice = graph.foldingNotice { progress.note("warning: \(modelPath): \(notice)") }
    let network = try ONNXNetwork<Scalar>(graph, output: m.output)
    var model = Model<Scalar>(network, seed: options.analysis.seed, mode: .evaluation)
    var replaced = 0
    if let weights = m.weights { replaced = try replaceInitializers(weights, in: &model) }

    let (allInputs, firstFile) = try readGraphInputs(options, graph: graph)
    let available = allInputs.sampleCount
    guard available > 0 else { throw CLIError("\(firstPath): the data set is empty") }
    var inputs = allInputs
    if let samples = options.data.samples, samples < available { inputs = inputs.slice(0..<samples) }
    let n = inputs.sampleCount
    let batchSize = Swift.min(options.data.batchSize ?? 200, n)
    // Every batch shape runs once before any computation, on the first samples: a batch axis
    // frozen at export, channels that do not fit or a token id out of range fail here, naming
    // the node.
    var outputShape: [Int] = []
    for size in Set([batchSize, n % batchSize].filter { $0 > 0 }).sorted(by: >) {
      do {
        let shape = try network.check(inputs.slice(0..<size))
        if size == batchSize { outputShape = shape }
      } catch let error as ONNXImportError {
        throw CLIError("\(error) (inputs \(firstPath), batches of \(size))")
      }
    }

    let reduction: Reduction = m.reduction == .mean ? .mean : .sum
    let (targets, loss) = try importedTargets(
      options, file: firstFile, inputsPath: firstPath, sampleCount: n, available: available,
      outputName: network.outputName, outputShape: outputShape, reduction: reduction)
    let weightsText =
      m.weights.map { "\($0) (\(replaced) initializers replaced)" } ?? "as stored in the file"
    let inputPaths: [String] =
      try options.data.inputs.map { [$0] } ?? options.data.parsedNamedInputs().map(\.path)
    return Workload(
      model: model, loss: loss,
      data: DataSet(inputs: inputs, targets: targets, batchSize: batchSize),
      modelInputs: inputs, targets: targets,
      title: "\(URL(fileURLWithPath: modelPath).lastPathComponent) on "
        + inputPaths.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "),
      fields: [
        "name": "onnx", "file": .string(modelPath), "producer": .string(graph.producer),
        "opset": .integer(graph.opset), "inputs": .strings(inputs.names),
        "output": .string(network.outputName), "weights": .string(weightsText),
        "folding": graph.foldingNotice.map { .string($0) } ?? .null,
        "parameter_order": .strings(model.parameters.names),
        "data": .strings(inputPaths), "samples": .integer(n), "batch_size": .integer(batchSize),
        "loss": .string(m.loss.rawValue), "reduction": .string(m.reduction.rawValue),
        "class_axis": Self.classAxisField(loss), "mode": "eval",
        "parameter_count": .integer(model.parameters.parameterCount),
      ])
  }

  /// Which output axis holds the classes: 1 (PyTorch's), "last" (a language model's), or null.
  static func classAxisField(_ loss: LossFunction) -> JSONDocument {
    switch loss {
    case .crossEntropy: .integer(1)
    case .tokenCrossEntropy: .string("last")
    default: .null
    }
  }

  /// The graph's inputs from `--inputs FILE` (a graph of one input) or `--input name=file`
  /// for each: floating-point arrays as values, integer and boolean arrays as integers (token
  /// ids, masks), all with one sample count. Also returns the first file's contents (labels
  /// stored beside the inputs).
  static func readGraphInputs(
    _ options: SharedOptions, graph: ONNXGraph
  ) throws -> (ModelInputs<Scalar>, InputFile<Scalar>) {
    let graphInputs = graph.inputs.map(\.name)
    var sources: [(name: String, path: String)]
    if let path = options.data.inputs {
      guard graphInputs.count == 1 else {
        throw CLIError(
          "\(graph.path) has inputs \(graphInputs): give each with --input name=file")
      }
      sources = [(graphInputs[0], path)]
    } else {
      sources = try options.data.parsedNamedInputs()
      let given = Set(sources.map(\.name))
      if let unknown = sources.first(where: { !graphInputs.contains($0.name) }) {
        throw CLIError(
          "--input \(unknown.name)=...: \(graph.path) has no input \"\(unknown.name)\"; its "
            + "inputs are \(graphInputs)")
      }
      let missing = graphInputs.filter { !given.contains($0) }
      guard missing.isEmpty else {
        throw CLIError(
          "\(graph.path) also needs the inputs \(missing): give each with --input name=file")
      }
      sources.sort { graphInputs.firstIndex(of: $0.name)! < graphInputs.firstIndex(of: $1.name)! }
    }
    var tensors: [InputTensor<Scalar>] = []
    var first: InputFile<Scalar>?
    var count: (Int, String)?
    for (name, path) in sources {
      let file = try DataFiles.readInputs(
        path, normalization: options.data.normalization, limit: options.data.samples,
        as: Scalar.self, arrayName: options.data.inputs == nil ? name : nil)
      if first == nil { first = file }
      let tensor: InputTensor<Scalar>
      if let images = file.images {
        tensor = .real(images.tensor)
      } else if let stored = file.inputs, stored.dtype.isFloatingPoint {
        let values = stored.floatingPoint(as: Scalar.self)
        try checkFinite(values, what: "input \"\(name)\"", path: path)
        tensor = .real(values)
      } else if let stored = file.inputs {
        do {
          tensor = .integer(
            IntegerTensor(
              shape: stored.shape, values: try stored.integers(), isBoolean: stored.dtype == .bool))
        } catch {
          throw CLIError("\(path): input \"\(name)\" cannot be read as integers: \(error)")
        }
      } else {
        preconditionFailure("an input file yields inputs")
      }
      guard let samples = tensor.shape.first else {
        throw CLIError("\(path): input \"\(name)\" is a scalar; inputs need a sample axis")
      }
      if let (n, other) = count, n != samples {
        throw CLIError(
          "\(path): input \"\(name)\" has \(samples) samples but \(other) has \(n); inputs "
            + "share their sample axis")
      }
      count = count ?? (samples, path)
      tensors.append(tensor)
    }
    return (ModelInputs(names: sources.map(\.name), tensors: tensors), first!)
  }

  /// Replaces the graph's initializers with a safetensors state dict's tensors of the same
  /// names; integer entries (`num_batches_tracked`) are skipped. Returns how many were replaced.
  static func replaceInitializers(_ path: String, in model: inout Model<Scalar>) throws -> Int {
    let contents = try Safetensors.read(contentsOf: URL(fileURLWithPath: path))
    var count = 0
    var unknown: [String] = []
    for key in contents.names {
      guard let stored = contents[key], stored.dtype.isFloatingPoint else { continue }
      let tensor = stored.floatingPoint(as: Scalar.self)
      try checkFinite(tensor, what: "weight \"\(key)\"", path: path)
      let current = model.parameters[key] ?? model.parameters.buffers[key]
      guard let current else {
        unknown.append(key)
        continue
      }
      guard current.shape == tensor.shape else {
        throw CLIError(
          "\(path): \"\(key)\" has shape \(tensor.shape) in the file but \(current.shape) in "
            + "the ONNX graph")
      }
      if let i = model.parameters.names.firstIndex(of: key) {
        model.parameters.values[i] = tensor
      } else {
        model.parameters.buffers[key] = tensor
      }
      count += 1
    }
    guard unknown.isEmpty else {
      throw CLIError(
        "\(path): tensors \(unknown.prefix(5).joined(separator: ", "))"
          + "\(unknown.count > 5 ? ", ..." : "") are not initializers of the ONNX graph "
          + "(weights of another model, or an export that folded and renamed them)")
    }
    return count
  }

  /// The targets the graph's output takes: nothing for `--loss none` (a scalar output),
  /// class labels `[N]` for outputs `[N, C]` or `[N, d1, ...]` for `[N, C, d1, ...]`, values of
  /// the output's per-sample shape for MSE.
  static func importedTargets(
    _ options: SharedOptions, file: InputFile<Scalar>, inputsPath: String, sampleCount n: Int,
    available: Int, outputName: String, outputShape: [Int], reduction: Reduction
  ) throws -> (Targets<Scalar>, LossFunction) {
    let m = options.model
    if m.loss == .none {
      guard outputShape.reduce(1, *) == 1 else {
        throw CLIError(
          "\(m.model ?? ""): --loss none needs a scalar output, but output \"\(outputName)\" "
            + "has shape \(outputShape) per batch; choose a loss or --output")
      }
      return (.none(count: n), .modelOutput(reduction))
    }
    let (stored, path) = try labels(
      options, file: file, inputsPath: inputsPath, hint: " (or --loss none)")
    guard outputShape.count >= 2 else {
      throw CLIError(
        "\(m.model ?? ""): the output has shape \(outputShape); \(m.loss.rawValue) needs "
          + "[N, C, ...] (or --loss none for a scalar objective)")
    }
    guard (stored.shape.first ?? 0) >= n, (stored.shape.first ?? 0) == available
      || options.data.samples != nil
    else {
      throw CLIError("\(path): \(stored.shape.first ?? 0) labels for \(available) input samples")
    }
    switch m.loss {
    case .crossEntropy:
      // PyTorch's class axis is 1 ([N, C, d1, ...] with labels [N, d1, ...]); a language
      // model's logits [N, T, V] with labels [N, T] have it last.
      let labelAxes = Array(stored.shape.dropFirst())
      let classLast =
        outputShape.count >= 3 && labelAxes == Array(outputShape.dropFirst().dropLast())
        && labelAxes != Array(outputShape.dropFirst(2))
      let classes = classLast ? outputShape[outputShape.count - 1] : outputShape[1]
      let positions =
        classLast ? Array(outputShape.dropFirst().dropLast()) : Array(outputShape.dropFirst(2))
      let expected = [n] + positions
      let perSample = positions.reduce(1, *)
      guard stored.dtype != .bool, !stored.dtype.isFloatingPoint,
        labelAxes == positions || (positions.isEmpty && stored.shape == [stored.shape[0], 1])
      else {
        let tail = Array(outputShape.dropFirst(2)).map { ", \($0)" }.joined()
        let tokens = Array(outputShape.dropFirst().dropLast()).map { ", \($0)" }.joined()
        throw CLIError(
          "\(path): cross-entropy on outputs \(outputShape) needs integer labels [N\(tail)] "
            + "(class axis 1)\(outputShape.count >= 3 ? " or [N\(tokens)] (class axis last)" : ""), "
            + "got \(stored.dtype.rawValue) \(stored.shape)")
      }
      let labels = Array(try stored.integers().prefix(n * perSample))
      if let bad = labels.firstIndex(where: { !(0..<classes).contains($0) && $0 != -100 }) {
        throw CLIError(
          "\(path): label \(labels[bad]) at position \(bad) is out of range: the output has "
            + "\(classes) classes (0...\(classes - 1); -100 is ignored)")
      }
      let targets: Targets<Scalar> =
        positions.isEmpty && !labels.contains(-100)
        ? .classes(labels) : .positionClasses(shape: expected, labels: labels)
      return (targets, classLast ? .tokenCrossEntropy(reduction) : .crossEntropy(reduction))
    case .mse:
      guard stored.dtype.isFloatingPoint else {
        throw CLIError("\(path): mse needs floating-point targets, got \(stored.dtype.rawValue)")
      }
      let perSample = Array(outputShape.dropFirst())
      var values = stored.floatingPoint(as: Scalar.self)
      guard values.shape.dropFirst().reduce(1, *) == perSample.reduce(1, *) else {
        throw CLIError(
          "\(path): mse targets of shape \(values.shape) do not match the output's "
            + "\(perSample) per sample")
      }
      values = values.slice(0..<n, alongAxis: 0).reshaped(to: [n] + perSample)
      try checkFinite(values, what: "targets", path: path)
      return (.values(values), .meanSquaredError(reduction))
    case .none:
      preconditionFailure("handled above")
    }
  }
}
