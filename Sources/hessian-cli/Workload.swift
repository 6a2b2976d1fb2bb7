// The model, loss and data a subcommand analyzes, built from the shared options and checked:
// weights against the architecture, inputs against the model's input shape, labels against
// its outputs, and every value finite. Each check fails with one line naming the file.

import Autodiff
import Foundation
import HessianAnalysis
import ONNXImport
import NeuralNetworks
import TensorCore
import TensorIO

/// What is analyzed: a model at its weights, a loss, and a data set.
struct Workload<Scalar: TensorScalar> {
  var model: Model<Scalar>
  var loss: LossFunction
  var data: DataSet<Scalar>
  /// All samples' inputs by name, in order.
  var modelInputs: ModelInputs<Scalar>
  var targets: Targets<Scalar>
  /// A one-line description for reports: "mlp 2,32,32,3 tanh (built-in, trained 1500 steps)".
  var title: String
  /// The description as JSON fields.
  var fields: JSONDocument

  /// Builds the workload the options describe: the built-in one, or files.
  static func load(_ options: SharedOptions, progress: Progress) throws -> Workload {
    options.usesBuiltIn
      ? try builtIn(options, progress: progress) : try fromFiles(options, progress: progress)
  }

  /// An MLP 2-32-32-3 (tanh) trained with Adam on 900 points of three spirals (seed 0), its
  /// initialization drawn from `--seed`.
  static func builtIn(_ options: SharedOptions, progress: Progress) throws -> Workload {
    let (x, labels) = spirals(classes: 3, samplesPerClass: 300, seed: 0, as: Scalar.self)
    let widths = [2, 32, 32, 3]
    var model = Model<Scalar>(
      multilayerPerceptron(widths: widths, activation: .tanh), seed: options.analysis.seed)
    let loss = LossFunction.crossEntropy(options.model.reduction == .mean ? .mean : .sum)
    let targets = Targets<Scalar>.classes(labels)
    let steps = options.model.trainSteps
    var optimizer = Adam(for: model.parameters, learningRate: 0.01)
    progress.begin("training the built-in MLP 2-32-32-3 on spirals", total: steps, unit: "steps")
    let losses = train(
      &model, loss: loss, inputs: x, targets: targets, steps: steps, optimizer: &optimizer
    ) { step, value in
      progress.update(done: step, estimate: "loss \(format(value))")
    }
    let finalLoss = Double(model.loss(loss, inputs: x, targets: targets))
    progress.end(
      "trained \(steps) steps, loss \(format(losses.first ?? finalLoss)) -> \(format(finalLoss))")
    let n = options.data.samples.map { Swift.min($0, labels.count) } ?? labels.count
    let inputs = x.slice(0..<n, alongAxis: 0)
    let kept = Targets<Scalar>.classes(Array(labels[0..<n]))
    let batchSize = options.data.batchSize ?? n
    return Workload(
      model: model, loss: loss,
      data: DataSet(inputs: inputs, targets: kept, batchSize: Swift.min(batchSize, n)),
      modelInputs: ModelInputs(inputs), targets: kept,
      title: "built-in MLP 2-32-32-3 (tanh) trained \(steps) steps on 3 spirals",
      fields: [
        "name": "built-in mlp", "widths": .integers(widths), "activation": "tanh",
        "weights": .string(
          "trained \(steps) Adam steps (lr 0.01) from seed \(options.analysis.seed)"),
        "data": "spirals (3 classes x 300, seed 0)", "samples": .integer(n),
        "batch_size": .integer(Swift.min(batchSize, n)), "loss": "cross-entropy",
        "reduction": .string(options.model.reduction.rawValue),
        "parameter_count": .integer(model.parameters.parameterCount),
        "loss_value": .number(finalLoss),
      ])
  }

  /// The model and data named on the command line.
  static func fromFiles(_ options: SharedOptions, progress: Progress) throws -> Workload {
    let m = options.model
    guard let source = try m.source, let inputsPath = options.data.inputsPath else {
      preconditionFailure("validate() requires --model and --inputs together")
    }
    guard let name = source.builtIn else {
      return try imported(options, progress: progress)
    }
    progress.note("loading \(inputsPath)")
    var model = try buildModel(m, seed: options.analysis.seed)
    if let weights = m.weights { try loadWeights(weights, into: &model) }

    let file = try DataFiles.readInputs(
      inputsPath, normalization: options.data.normalization, limit: options.data.samples,
      as: Scalar.self)
    var inputs = try inputTensor(file, path: inputsPath, normalization: options.data.normalization)
    let available = inputs.shape.first ?? 0
    guard available > 0, inputs.count > 0 else {
      throw CLIError("\(inputsPath): the data set is empty (inputs of shape \(inputs.shape))")
    }
    if let samples = options.data.samples, samples < available {
      inputs = inputs.slice(0..<samples, alongAxis: 0)
    }
    let n = inputs.shape[0]
    inputs = try shapedForModel(inputs, model: name, options: m, path: inputsPath)
    try checkFinite(inputs, what: "inputs", path: inputsPath)

    let labelFile = try labels(options, file: file, inputsPath: inputsPath, hint: "")
    let outputs = name == .mlp ? try m.parsedWidths().last! : m.classes
    let (targets, loss) = try makeTargets(
      labelFile.0, path: labelFile.1, sampleCount: n,
      available: file.images != nil && options.data.samples != nil ? nil : available,
      outputs: outputs,
      options: m)
    let batchSize = Swift.min(options.data.batchSize ?? 200, n)
    let workload = Workload(
      model: model, loss: loss,
      data: DataSet(inputs: inputs, targets: targets, batchSize: batchSize),
      modelInputs: ModelInputs(inputs), targets: targets,
      title: "\(modelTitle(name, m)) on \(URL(fileURLWithPath: inputsPath).lastPathComponent)",
      fields: [
        "name": .string(name.rawValue),
        "widths": name == .mlp ? .integers(try m.parsedWidths()) : .null,
        "activation": name == .mlp ? .string(m.activation) : .null,
        "weights": m.weights.map { .string($0) }
          ?? .string("random (seed \(options.analysis.seed))"),
        "data": .string(inputsPath), "samples": .integer(n), "batch_size": .integer(batchSize),
        "loss": .string(m.loss.rawValue), "reduction": .string(m.reduction.rawValue),
        "mode": .string(m.mode.rawValue),
        "parameter_count": .integer(model.parameters.parameterCount),
      ])
    return workload
  }

  /// The number of outputs per sample (the sketch sizes of Hutch++ use it), from the first
  /// batch (a graph exported for a fixed batch size runs on nothing else).
  func outputsPerSample() throws -> Int {
    let batch = try data.batch(0)
    let outputs = model.output(
      for: batch.modelInputs, parameters: model.parameters.values.map { Variable($0) })
    return Swift.max(1, outputs.count / batch.count)
  }

  /// Refuses inputs an imported graph cannot run on (one sample of a graph exported for a
  /// fixed batch size), with the importer's message, before an operator is built on them.
  func checkRuns(_ inputs: ModelInputs<Scalar>) throws {
    guard let network = model.network as? ONNXNetwork<Scalar> else { return }
    try network.check(inputs)
  }

  static func modelTitle(_ name: ModelName, _ m: ModelOptions) -> String {
    switch name {
    case .mlp: "MLP \(m.widths ?? "") (\(m.activation)\(m.noBias ? ", no bias" : ""))"
    default: name.rawValue
    }
  }

  static func buildModel(_ m: ModelOptions, seed: UInt64) throws -> Model<Scalar> {
    let mode: LayerMode = m.mode == .eval ? .evaluation : .training
    switch try m.source?.builtIn {
    case .mlp:
      guard let activation = Activation<Scalar>(name: m.activation) else {
        throw CLIError(
          "unknown --activation \"\(m.activation)\"; choose one of "
            + Activation<Scalar>.allCases.map(\.name).joined(separator: ", "))
      }
      return Model(
        multilayerPerceptron(widths: try m.parsedWidths(), activation: activation, bias: !m.noBias),
        seed: seed, mode: mode)
    case .resnet20: return Model(ResNet(depth: 20, classes: m.classes), seed: seed, mode: mode)
    case .resnet32: return Model(ResNet(depth: 32, classes: m.classes), seed: seed, mode: mode)
    case .resnet56: return Model(ResNet(depth: 56, classes: m.classes), seed: seed, mode: mode)
    case nil: preconditionFailure("buildModel needs a built-in --model")
    }
  }

  /// The labels and the file they came from: `--labels`, or those stored beside the inputs.
  static func labels(
    _ options: SharedOptions, file: InputFile<Scalar>, inputsPath: String, hint: String
  ) throws -> (StoredTensor, String) {
    if let labelsPath = options.data.labels {
      return (try DataFiles.readLabels(labelsPath), labelsPath)
    }
    guard let embedded = file.labels else {
      throw CLIError("\(inputsPath) holds no labels: pass --labels\(hint)")
    }
    return (embedded, inputsPath)
  }

  /// Loads a safetensors state dict, refusing non-finite values and naming every mismatch.
  static func loadWeights(_ path: String, into model: inout Model<Scalar>) throws {
    let contents = try Safetensors.read(contentsOf: URL(fileURLWithPath: path))
    for key in contents.names {
      guard let stored = contents[key] else { continue }
      if stored.dtype == .bool {
        throw CLIError("\(path): tensor \"\(key)\" has dtype BOOL; weights must be numbers")
      }
      if stored.dtype.isFloatingPoint {
        try checkFinite(
          stored.floatingPoint(as: Scalar.self), what: "weight \"\(key)\"", path: path)
      }
    }
    do {
      try model.parameters.load(stateDict: contents.floatingPointTensors(as: Scalar.self))
    } catch {
      throw CLIError("\(path): \(error)")
    }
  }

  static func inputTensor(
    _ file: InputFile<Scalar>, path: String, normalization: NormalizationName
  ) throws -> Tensor<Scalar> {
    if let images = file.images { return images.tensor }
    guard let stored = file.inputs else { preconditionFailure("an input file yields inputs") }
    if normalization == .cifar10 || normalization == .mnist {
      throw CLIError(
        "\(path): --normalization \(normalization.rawValue) applies to CIFAR-10 and MNIST files; "
          + "arrays are used as stored")
    }
    guard stored.dtype.isFloatingPoint else {
      throw CLIError(
        "\(path): inputs have dtype \(stored.dtype.rawValue); expected a floating-point array "
          + "(F32 or F64), such as x.astype(np.float32)")
    }
    return stored.floatingPoint(as: Scalar.self)
  }

  /// The inputs in the model's layout: `[N, w0]` for an MLP (trailing dimensions flattened),
  /// `[N, 3, H, W]` for a ResNet.
  static func shapedForModel(
    _ inputs: Tensor<Scalar>, model: ModelName, options m: ModelOptions, path: String
  ) throws -> Tensor<Scalar> {
    let n = inputs.shape[0]
    switch model {
    case .mlp:
      let width = try m.parsedWidths()[0]
      let features = inputs.shape.dropFirst().reduce(1, *)
      guard inputs.rank >= 2, features == width else {
        throw CLIError(
          "\(path): inputs of shape \(inputs.shape) do not fit the MLP's input width \(width); "
            + "expected [N, \(width)] (or [N, ...] with \(width) values per sample)")
      }
      return inputs.reshaped(to: [n, width])
    default:
      guard inputs.rank == 4, inputs.shape[1] == 3, inputs.shape[2] >= 1, inputs.shape[3] >= 1
      else {
        throw CLIError(
          "\(path): inputs of shape \(inputs.shape) do not fit \(model.rawValue); expected "
            + "[N, 3, H, W] images (such as [N, 3, 32, 32])")
      }
      return inputs
    }
  }

  static func makeTargets(
    _ stored: StoredTensor, path: String, sampleCount n: Int, available: Int?, outputs: Int,
    options m: ModelOptions
  ) throws -> (Targets<Scalar>, LossFunction) {
    let reduction: Reduction = m.reduction == .mean ? .mean : .sum
    let count = stored.shape.first ?? 0
    // `available` is nil when the image reader stopped at --samples: then only `n` must exist.
    guard count == (available ?? count), count >= n else {
      throw CLIError("\(path): \(count) labels for \(available ?? n) input samples")
    }
    switch m.loss {
    case .crossEntropy:
      guard stored.dtype != .bool,
        stored.shape.count == 1 || (stored.shape.count == 2 && stored.shape[1] == 1)
      else {
        throw CLIError(
          "\(path): cross-entropy needs class indices of shape [N] (int64 or int32), got "
            + "\(stored.dtype.rawValue) \(stored.shape)")
      }
      let labels: [Int]
      do {
        labels = Array(try stored.integers().prefix(n))
      } catch {
        throw CLIError("\(path): cross-entropy needs integer class labels: \(error)")
      }
      if let bad = labels.firstIndex(where: { !(0..<outputs).contains($0) }) {
        throw CLIError(
          "\(path): label \(labels[bad]) of sample \(bad) is out of range: the model has "
            + "\(outputs) classes (0...\(outputs - 1))")
      }
      return (.classes(labels), .crossEntropy(reduction))
    case .none:
      throw CLIError("--loss none needs a model whose output is the objective (an ONNX file)")
    case .mse:
      guard stored.dtype.isFloatingPoint else {
        throw CLIError(
          "\(path): mse needs floating-point targets [N, \(outputs)], got dtype "
            + "\(stored.dtype.rawValue)")
      }
      var values = stored.floatingPoint(as: Scalar.self)
      let perSample = values.shape.dropFirst().reduce(1, *)
      guard perSample == outputs else {
        throw CLIError(
          "\(path): mse targets of shape \(values.shape) do not match the model's \(outputs) "
            + "outputs; expected [N, \(outputs)]")
      }
      values = values.slice(0..<n, alongAxis: 0).reshaped(to: [n, outputs])
      try checkFinite(values, what: "targets", path: path)
      return (.values(values), .meanSquaredError(reduction))
    }
  }

  /// Throws naming the first NaN or infinite element.
  static func checkFinite(_ tensor: Tensor<Scalar>, what: String, path: String) throws {
    let bad = tensor.withUnsafeBufferPointer { $0.firstIndex { !$0.isFinite } }
    if let bad {
      let value = tensor.withUnsafeBufferPointer { $0[bad] }
      throw CLIError(
        "\(path): \(what) hold \(value) at element \(bad) of shape \(tensor.shape); values "
          + "must be finite")
    }
  }
}

/// A number for progress lines: 4 significant digits.
func format(_ x: Double) -> String {
  guard x.isFinite else { return "\(x)" }
  let magnitude = Swift.abs(x)
  if magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e6) {
    return String(format: "%.3e", x)
  }
  return String(format: "%.4g", x)
}
