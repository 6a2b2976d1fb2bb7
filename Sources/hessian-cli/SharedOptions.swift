// The options every subcommand shares: the model and its loss, the data, and how the analysis
// runs and reports. Cross-option rules live in `validate()` so mistakes fail before any work.

import ArgumentParser
import Foundation

/// Which network to analyze.
enum ModelName: String, ExpressibleByArgument, CaseIterable {
  case mlp, resnet20, resnet32, resnet56
}

/// The loss whose Hessian is taken.
enum LossName: String, ExpressibleByArgument, CaseIterable {
  case crossEntropy = "cross-entropy"
  case mse
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
  @Option(help: "The architecture (default: the built-in MLP, trained on built-in data).")
  var model: ModelName?

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
        + "initialization from --seed).", valueName: "file"))
  var weights: String?

  @Option(help: "The loss.")
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

  mutating func validate() throws {
    if let model {
      if model == .mlp { _ = try parsedWidths() }
      if model != .mlp && widths != nil {
        throw ValidationError("--widths applies to --model mlp only")
      }
    } else if weights != nil || widths != nil {
      throw ValidationError("--weights and --widths need --model (mlp, resnet20, ...)")
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

  @Option(help: "Samples per batch; the Hessian is of the loss over all samples.")
  var batchSize: Int?

  @Option(help: "Use only the first N samples.")
  var samples: Int?

  @Option(help: "Pixel normalization of image files.")
  var normalization: NormalizationName = .auto

  mutating func validate() throws {
    if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
    if inputs == nil && labels != nil { throw ValidationError("--labels needs --inputs") }
  }
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
    if model.model != nil && data.inputs == nil {
      throw ValidationError("--model needs --inputs (and --labels unless the inputs file has them)")
    }
    if model.model == nil && data.inputs != nil {
      throw ValidationError("--inputs needs --model (mlp, resnet20, resnet32 or resnet56)")
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
  }
}
