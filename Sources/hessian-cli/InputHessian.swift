// hessian input-hessian: the Hessian of one sample's loss with respect to that sample's input
// (the model's parameters held fixed): dense for small inputs, Lanczos and Hutchinson beyond.

import ArgumentParser
import Foundation
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore
import TensorIO

struct InputHessian: AnalysisCommand {
  static let name = "input-hessian"
  static let configuration = CommandConfiguration(
    commandName: "input-hessian",
    abstract: "The Hessian of one sample's loss with respect to its input.",
    discussion: """
      ∇²ₓ loss(model(x), y) for sample --sample, parameters fixed. Inputs with at most \
      --dense-limit values get the whole matrix (exact eigenvalues and trace); larger ones the \
      top --top eigenvalues by Lanczos and the trace by Hutchinson.

      JSON: sample, dimension, eigenvalues (largest first), residuals, trace, standard_error, \
      method (dense or lanczos), hvp_count.
      """)

  @OptionGroup var options: SharedOptions

  var outputPaths: [String?] { [out] }

  @Option(help: "The sample's index in the data set.")
  var sample: Int = 0

  @Option(
    help: ArgumentHelp(
      "The input to differentiate, for models of several inputs (default: the first "
        + "floating-point one).", valueName: "name"))
  var withRespectTo: String?

  @Option(help: "Largest eigenvalues to report.")
  var top: Int = 5

  @Option(help: "Inputs with at most this many values get the dense Hessian.")
  var denseLimit: Int = 1024

  @Option(help: ArgumentHelp("Write the dense input Hessian as .npy.", valueName: "file.npy"))
  var out: String?

  func validate() throws {
    guard sample >= 0 else { throw ValidationError("--sample must be >= 0") }
    guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    try options.reject(perLayerIn: Self.name)
    try options.reject(gaussNewtonIn: Self.name)
    if options.analysis.parameterPattern != nil {
      throw ValidationError("--parameters does not apply to the input Hessian")
    }
  }

  /// The input differentiated: `--with-respect-to`, or the first floating-point input.
  func differentiatedInput<Scalar>(_ inputs: ModelInputs<Scalar>) throws -> String {
    let real = zip(inputs.names, inputs.tensors).compactMap { name, tensor -> String? in
      if case .real = tensor { return name }
      return nil
    }
    if let chosen = withRespectTo {
      guard real.contains(chosen) else {
        throw CLIError(
          "input-hessian: --with-respect-to \(chosen) is not a floating-point input; the model's "
            + "floating-point inputs are \(real)")
      }
      return chosen
    }
    guard let first = real.first else {
      throw CLIError(
        "input-hessian: the model's inputs \(inputs.names) are all integers (token ids); an "
          + "input Hessian needs a floating-point input")
    }
    return first
  }

  func execute<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> CommandResult {
    let count = workload.targets.count
    guard sample < count else {
      throw CLIError(
        "input-hessian: --sample \(sample) is out of range: the data set has \(count) samples")
    }
    let inputs = workload.modelInputs.slice(sample..<sample + 1)
    try workload.checkRuns(inputs)
    let name = try differentiatedInput(inputs)
    guard case .real(let x)? = inputs[name] else { preconditionFailure("checked above") }
    let target = workload.targets.slice(sample..<sample + 1)
    let loss = workload.loss
    let hessian = try explained {
      try InputHessianOperator(
        model: workload.model, inputs: inputs, withRespectTo: name, method: context.method,
        checkDeterminism: context.checksDeterminism
      ) { output in loss(output, target) }
    }
    let n = hessian.dimension
    let observed = ObservedOperator(base: hessian, progress: context.progress)
    var fields: JSONDocument = [
      "scope": "input", "input": .string(name), "sample": .integer(sample),
      "dimension": .integer(n),
      "input_shape": .integers(x.shape), "loss": .number(try hessian.value()),
    ]
    var files: [(String, Data)] = []
    let top: [Double]
    let hvps: Int
    if n <= denseLimit {
      context.progress.begin("input-hessian: dense \(n) x \(n)", total: n)
      let dense = try DenseHessian(
        of: observed, segments: hessian.segments, scope: hessian.scope)
      let all = try dense.eigendecomposition().eigenvalues
      context.progress.end("input-hessian: \(n) HVPs")
      top = Array(all.reversed().prefix(self.top))
      hvps = n
      fields = fields.adding("method", "dense").adding("eigenvalues", .numbers(top))
        .adding("residuals", .numbers(top.map { _ in 0 }))
        .adding("all_eigenvalues", .numbers(all)).adding("trace", .number(dense.trace))
        .adding("standard_error", .number(0)).adding("hvp_count", .integer(n))
      if let out { files.append((out, try NumPy.encode(StoredTensor(dense.matrix)))) }
    } else {
      guard self.top < n else {
        throw CLIError("input-hessian: --top \(self.top) needs fewer than the input's \(n) values")
      }
      if out != nil {
        throw CLIError(
          "input-hessian: --out needs the dense Hessian; the input has \(n) values, above "
            + "--dense-limit \(denseLimit)")
      }
      var generator = SeededGenerator(seed: context.seed)
      context.progress.begin("input-hessian: Lanczos top \(self.top) of \(n)", budget: 1000)
      let eigen = try eigenpairs(
        of: observed, count: self.top, using: &generator,
        progress: context.progress.eigenReporter)
      context.progress.begin("input-hessian: Hutchinson trace", budget: 1000)
      let trace = try hutchinsonTrace(
        of: observed, using: &generator, progress: context.progress.traceReporter)
      context.progress.end("input-hessian: \(eigen.matvecCount + trace.matvecCount) HVPs")
      top = eigen.eigenvalues
      hvps = eigen.matvecCount + trace.matvecCount
      fields = fields.adding("method", "lanczos").adding("eigenvalues", .numbers(top))
        .adding("residuals", .numbers(eigen.residuals))
        .adding("converged", .booleans(eigen.converged))
        .adding(eigen.evidenceFields)
        .adding("trace", .number(trace.estimate))
        .adding("standard_error", .number(trace.standardError))
        .adding("hvp_count", .integer(hvps))
    }
    return CommandResult(
      fields: fields, files: files,
      summary: "input Hessian of sample \(sample) (\(n) values): top eigenvalue "
        + "\(format(top.first ?? .nan)), \(hvps) HVPs")
  }
}
