// hessian diag: the Hessian's diagonal estimated from random probes, with a standard error for
// every entry, summarized per parameter tensor.

import ArgumentParser
import Foundation
import HessianAnalysis
import MatrixFree
import TensorCore
import TensorIO

struct Diag: AnalysisCommand {
  static let name = "diag"
  static let configuration = CommandConfiguration(
    abstract: "The diagonal of the Hessian (Hutchinson), with per-entry standard errors.",
    discussion: """
      diag(H) ≈ mean over probes z of z ⊙ Hz (Bekas, Kokiopoulou and Saad 2007). Entries \
      follow PyTorch's model.parameters() order.

      JSON: diagonal, standard_errors, hvp_count, and per parameter tensor {name, offset, \
      count, sum, mean}; --out writes the diagonal as a flat .npy array.
      """)

  @OptionGroup var options: SharedOptions

  var outputPaths: [String?] { [out] }

  @Option(help: "Random probes (one Hessian-vector product each).")
  var probes: Int = 100

  @Option(help: "Probes per product pass.")
  var blockSize: Int = 8

  @Option(help: ArgumentHelp("Write the diagonal as a flat .npy array.", valueName: "file.npy"))
  var out: String?

  func validate() throws {
    guard probes >= 2 else { throw ValidationError("--probes must be at least 2") }
    guard blockSize >= 1 else { throw ValidationError("--block-size must be at least 1") }
    try options.reject(perLayerIn: Self.name)
  }

  func execute<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> CommandResult {
    let hessian = try context.curvature(workload)
    var generator = SeededGenerator(seed: context.seed)
    context.progress.begin(
      "diag: \(probes) probes over \(hessian.dimension) parameters", total: probes)
    let estimate = try diagonalEstimate(
      of: ObservedOperator(base: hessian, progress: context.progress), matvecCount: probes,
      blockSize: blockSize, using: &generator)
    context.progress.end("diag: \(estimate.matvecCount) HVPs")
    let diagonal = estimate.diagonal.scalars.map(Double.init)
    let errors = estimate.standardErrors.scalars.map(Double.init)
    let tensors: [JSONDocument] = hessian.segments.map { s in
      let sum = diagonal[s.offset..<s.offset + s.count].reduce(0, +)
      return [
        "name": .string(s.name), "shape": .integers(s.shape), "offset": .integer(s.offset),
        "count": .integer(s.count), "sum": .number(sum), "mean": .number(sum / Double(s.count)),
      ]
    }
    var files: [(String, Data)] = []
    if let out { files.append((out, try NumPy.encode(StoredTensor(estimate.diagonal)))) }
    return CommandResult(
      fields: [
        "scope": .string(hessian.scope.description),
        "parameter_count": .integer(hessian.dimension),
        "hvp_count": .integer(estimate.matvecCount),
        "sample_count": .integer(estimate.sampleCount),
        "trace": .number(diagonal.reduce(0, +)),
        "tensors": .array(tensors),
        "diagonal": .numbers(diagonal),
        "standard_errors": .numbers(errors),
      ], files: files,
      summary: "diagonal of \(hessian.dimension) entries from \(estimate.matvecCount) HVPs, sum "
        + format(diagonal.reduce(0, +)))
  }
}
