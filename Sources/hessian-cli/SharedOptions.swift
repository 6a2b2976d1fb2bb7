// The options every subcommand shares: the model and its loss, the data, and how the analysis
// runs and reports. Cross-option rules live in `validate()` so mistakes fail before any work.

import ArgumentParser
import Foundation

/// Which built-in network to analyze.
enum ModelName: String, ExpressibleByArgument, CaseIterable {
  case mlp, resnet20, resnet32, resnet56
}

/// Where the model comes from: a built-in builder or an ONNX file.
enum ModelSource: Equatable {
  case builtIn(ModelName)
  case onnx(path: String)

  /// A built-in name, or a path ending in `.onnx` (or naming an existing file).
  init(_ argument: String) throws {
    if let name = ModelName(rawValue: argument) {
      self = .builtIn(name)
    } else if argument.lowercased().hasSuffix(".onnx")
      || FileManager.default.fileExists(atPath: argument)
    {
      self = .onnx(path: argument)
    } else {
      throw ValidationError(
        "unknown --model \"\(argument)\": choose mlp, resnet20, resnet32, resnet56, or an ONNX "
          + "file exported from PyTorch (model.onnx)")
    }
  }

  /// The built-in name, or nil for a file.
  var builtIn: ModelName? {
    if case .builtIn(let name) = self { return name }
    return nil
  }
}

/// The loss whose Hessian is taken.
enum LossName: String, ExpressibleByArgument, CaseIterable {
  case crossEntropy = "cross-entropy"
  case mse
  /// The model's output is the objective (a scalar the graph computes).
  case none
}

/// How per-sample losses combine (PyTorch `reduction=`).
enum ReductionName: String, ExpressibleByArgument, CaseIterable {
  case mean, sum
}

/// Batch statistics (train) or running statistics (eval) in BatchNorm; dropout on or off.
enum ModeName: String, ExpressibleByArgument, CaseIterable {
  case eval, train
}

/// The floating-point type of the whole computation.
enum Precision: String, ExpressibleByArgument, CaseIterable {
  case single, double
}

/// Exact (forward-over-reverse) or finite-difference Hessian-vector products.
enum HVPMethod: String, ExpressibleByArgument, CaseIterable {
  case exact
  case finiteDifference = "finite-difference"
}

/// Pixel normalization for image files.
enum NormalizationName: String, ExpressibleByArgument, CaseIterable {
  /// CIFAR-10 and MNIST files get their data set's standard statistics; arrays are used as is.
  case auto
  case none
  case cifar10
  case mnist
}

struct ModelOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "The architecture: mlp, resnet20, resnet32, resnet56, or an ONNX file exported from "
        + "PyTorch (default: the built-in MLP, trained on built-in data).",
      valueName: "name|file.onnx"))
  var model: String?

  @Option(
    help: ArgumentHelp(
      "The ONNX graph output to analyze, when the graph has several.", valueName: "name"))
  var output: String?

  @Option(
    help: ArgumentHelp(
      "MLP layer widths from input to output, as nn.Sequential(Linear, act, ..., Linear).",
      valueName: "w0,w1,...,wL"))
  var widths: String?

  @Option(
    help: ArgumentHelp(
      "MLP activation: identity, relu, leaky-relu, tanh, sigmoid, gelu, softplus, elu.",
      valueName: "name"))
  var activation: String = "relu"

  @Flag(help: "MLP layers without bias (Linear(..., bias=False)).")
  var noBias = false

  @Option(help: "ResNet output classes.")
  var classes: Int = 10

  @Option(
    help: ArgumentHelp(
      "A safetensors state dict saved from PyTorch (default: PyTorch-style random "
        + "initialization from --seed; for ONNX models, the file's initializers, which the "
        + "state dict replaces by name).", valueName: "file"))
  var weights: String?

  @Option(
    help: """
      The loss: cross-entropy over the class axis (labels per sample, or per position for \
      outputs [N, C, d1, ...], -100 ignored), mse, or none when the model's output is the \
      scalar objective itself.
      """)
  var loss: LossName = .crossEntropy

  @Option(help: "How the loss combines samples.")
  var reduction: ReductionName = .mean

  @Option(help: "Layer mode: eval (running BatchNorm statistics, no dropout) or train.")
  var mode: ModeName = .eval

  @Option(help: "Floating-point precision of the computation.")
  var precision: Precision = .single

  @Option(help: "Training steps of the built-in model (Adam, full batch).")
  var trainSteps: Int = 1000

  /// The parsed widths.
  func parsedWidths() throws -> [Int] {
    guard let widths else {
      throw ValidationError("--model mlp needs --widths, such as --widths 784,128,10")
    }
    let parts = widths.split(separator: ",", omittingEmptySubsequences: false)
    let values = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard values.count == parts.count, values.count >= 2, values.allSatisfy({ $0 >= 1 }) else {
      throw ValidationError(
        "--widths must be at least two positive integers separated by commas, got \"\(widths)\"")
    }
    return values
  }

  /// The parsed `--model`.
  var source: ModelSource? { get throws { try model.map(ModelSource.init) } }

  mutating func validate() throws {
    if let source = try source {
      if source == .builtIn(.mlp) { _ = try parsedWidths() }
      if source != .builtIn(.mlp) && widths != nil {
        throw ValidationError("--widths applies to --model mlp only")
      }
      if source.builtIn != nil && output != nil {
        throw ValidationError("--output applies to ONNX models")
      }
      if source.builtIn != nil && loss == LossName.none {
        throw ValidationError(
          "--loss none needs a model whose output is the objective (an ONNX file); the "
            + "built-in models output logits")
      }
      if case .onnx = source, mode == .train {
        throw ValidationError(
          "--mode train does not apply to ONNX models: the graph runs as exported (eval)")
      }
    } else if weights != nil || widths != nil || output != nil {
      throw ValidationError("--weights, --widths and --output need --model (mlp, resnet20, ...)")
    }
    guard classes >= 2 else { throw ValidationError("--classes must be at least 2") }
    guard trainSteps >= 0 else { throw ValidationError("--train-steps must be >= 0") }
  }
}

struct DataOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Inputs: .npy, .npz or .safetensors (array \"inputs\"), a CIFAR-10 .bin batch, or an "
        + "MNIST images IDX file.", valueName: "file"))
  var inputs: String?

  @Option(
    help: ArgumentHelp(
      "Labels: class indices (int64/int32) for cross-entropy, float targets [N, outputs] for "
        + "mse; .npy, .npz/.safetensors (array \"labels\"), or an MNIST labels IDX file. "
        + "Optional when the inputs file holds them.", valueName: "file"))
  var labels: String?

  @Option(
    name: .customLong("input"),
    help: ArgumentHelp(
      "A named graph input and its file (.npy, .npz, .safetensors; floating-point, or integer "
        + "token ids and masks), for ONNX graphs; repeat it for each input, instead of --inputs.",
      valueName: "name=file"))
  var namedInputs: [String] = []

  @Option(help: "Samples per batch; the Hessian is of the loss over all samples.")
  var batchSize: Int?

  @Option(help: "Use only the first N samples.")
  var samples: Int?

  @Option(help: "Pixel normalization of image files.")
  var normalization: NormalizationName = .auto

  mutating func validate() throws {
    if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
    if inputs != nil && !namedInputs.isEmpty {
      throw ValidationError("--inputs and --input name=file cannot be combined")
    }
    let named = try parsedNamedInputs()
    if Set(named.map(\.name)).count != named.count {
      throw ValidationError("--input names repeat: \(named.map(\.name))")
    }
    if inputs == nil && namedInputs.isEmpty && labels != nil {
      throw ValidationError("--labels needs --inputs")
    }
  }

  /// Each `--input name=file`, split.
  func parsedNamedInputs() throws -> [(name: String, path: String)] {
    try namedInputs.map { argument in
      guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex,
        argument.index(after: equals) != argument.endIndex
      else {
        throw ValidationError(
          "--input takes name=file, such as --input z=z.npy; got \"\(argument)\"")
      }
      return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }
  }

  /// The (first) inputs file, from `--inputs` or `--input name=file`.
  var inputsPath: String? { inputs ?? (try? parsedNamedInputs())?.first?.path }
}

struct AnalysisOptions: ParsableArguments {
  @Option(
    name: .customLong("parameters"),
    help: ArgumentHelp(
      "Only parameters whose state-dict names match this glob (* and ?), such as 'layer1.*'.",
      valueName: "pattern"))
  var parameterPattern: String?

  @Flag(help: "Each layer's own diagonal block of the Hessian, layer by layer.")
  var perLayer = false

  @Flag(
    help: """
      Parameter blocks as transformer block-heterogeneity studies draw them: each module's \
      diagonal block of the Hessian, with a fused attention projection (c_attn, qkv, \
      in_proj_weight) split by rows into query, key and value; each block labeled embedding, \
      query, key, value, attention-output, mlp-in, mlp-out, norm, head or other (eigen, \
      trace, density, report).
      """)
  var blocks = false

  @Option(
    help: """
      The matrix: the Hessian, or the generalized Gauss-Newton matrix Jᵀ H_loss J (the \
      Hessian without the network's second derivatives; positive semi-definite), for eigen, \
      trace, diag, density, dense and hvp.
      """)
  var curvature: CurvatureName = .hessian

  @Option(help: "Hessian-vector products: exact (forward-over-reverse) or finite-difference.")
  var hvp: HVPMethod = .exact

  @Flag(
    help: """
      Skip the check that two gradient passes over the data agree (dropout in train mode \
      fails it). Products then recompute their primal values: about a third slower.
      """)
  var skipDeterminismCheck = false

  @Option(help: "Seeds initialization, probes and starting vectors.")
  var seed: UInt64 = 0

  @Option(help: "Worker threads (default: all cores).")
  var threads: Int?

  @Option(
    help: ArgumentHelp("Write the JSON result to this file instead of stdout.", valueName: "file"))
  var json: String?

  @Flag(help: "No progress on stderr.")
  var quiet = false

  mutating func validate() throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    if blocks && (perLayer || parameterPattern != nil || curvature == .ggn) {
      throw ValidationError(
        "--blocks takes the Hessian's diagonal blocks of all parameters: not with --per-layer, "
          + "--parameters or --curvature ggn")
    }
    if perLayer && parameterPattern != nil {
      throw ValidationError("--per-layer and --parameters cannot be combined")
    }
    if perLayer && curvature == .ggn {
      throw ValidationError(
        "--per-layer takes the Hessian's diagonal blocks; it cannot be combined with "
          + "--curvature ggn (use --parameters for one layer's block of the GGN)")
    }
  }
}

/// Model, data and analysis options, shared by every subcommand.
struct SharedOptions: ParsableArguments {
  @OptionGroup(title: "Model and loss") var model: ModelOptions
  @OptionGroup(title: "Data") var data: DataOptions
  @OptionGroup(title: "Analysis and output") var analysis: AnalysisOptions

  mutating func validate() throws {
    if model.model != nil && data.inputsPath == nil {
      throw ValidationError("--model needs --inputs (and --labels unless the inputs file has them)")
    }
    if model.model == nil && data.inputsPath != nil {
      throw ValidationError(
        "--inputs needs --model (mlp, resnet20, resnet32, resnet56 or an ONNX file)")
    }
    if try model.source?.builtIn != nil && !data.namedInputs.isEmpty {
      throw ValidationError("--input name=file applies to ONNX models; use --inputs")
    }
    if model.loss == LossName.none && data.labels != nil {
      throw ValidationError("--loss none takes no labels: the model's output is the objective")
    }
    if model.model == nil && model.loss == .mse {
      throw ValidationError("the built-in model is a classifier: use --loss cross-entropy")
    }
  }

  /// Whether the built-in model and data are used.
  var usesBuiltIn: Bool { model.model == nil }

  /// A refusal for an option the subcommand does not support.
  func reject(perLayerIn command: String) throws {
    if analysis.perLayer {
      throw ValidationError("--per-layer is not supported by `hessian \(command)`")
    }
    try reject(blocksIn: command)
  }

  /// A refusal of --blocks for a subcommand that does not support it.
  func reject(blocksIn command: String) throws {
    if analysis.blocks {
      throw ValidationError("--blocks is not supported by `hessian \(command)`")
    }
  }
}
