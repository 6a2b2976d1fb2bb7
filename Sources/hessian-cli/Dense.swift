// hessian dense: the whole Hessian of a small model, assembled from n products, its exact
// eigenvalues and trace, and each parameter's block position (seed notebook 003).

import ArgumentParser
import Foundation
import HessianAnalysis
import TensorCore
import TensorIO

struct Dense: AnalysisCommand {
  static let name = "dense"
  static let configuration = CommandConfiguration(
    abstract: "The dense Hessian of a small model, with all its eigenvalues.",
    discussion: """
      Assembled from n Hessian-vector products with blocks of the identity, symmetrized, and \
      decomposed by LAPACK. Rows and columns follow PyTorch's model.parameters() order; \
      "blocks" gives each parameter's name, shape and offset. A Hessian larger than \
      --memory-limit is refused before any work.

      JSON: parameter_count, eigenvalues (ascending), trace, asymmetry (max |H - Hᵀ| before \
      symmetrizing), blocks, hvp_count; --out writes the [n, n] matrix as .npy.
      """)

  @OptionGroup var options: SharedOptions

  var outputPaths: [String?] { [out] }

  @Option(help: ArgumentHelp("Write the [n, n] Hessian as .npy.", valueName: "file.npy"))
  var out: String?

  @Option(help: "The most memory the matrix may take, in GiB (default: a quarter of RAM).")
  var memoryLimit: Double?

  func validate() throws {
    if let memoryLimit, !(memoryLimit > 0) {
      throw ValidationError("--memory-limit must be positive")
    }
    try options.reject(perLayerIn: Self.name)
  }

  func execute<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> CommandResult {
    let hessian = try context.curvature(workload)
    let n = hessian.dimension
    let limit =
      memoryLimit.map { Int($0 * Double(1 << 30)) }
      ?? Int(ProcessInfo.processInfo.physicalMemory / 4)
    context.progress.begin("dense: \(n) x \(n) Hessian", total: n)
    let dense = try DenseHessian(
      of: ObservedOperator(base: hessian, progress: context.progress),
      segments: hessian.segments, scope: hessian.scope, memoryLimit: limit)
    context.progress.end("dense: \(n) HVPs")
    context.progress.note("dense: eigendecomposition (LAPACK)")
    let eigenvalues = try dense.eigendecomposition().eigenvalues
    var files: [(String, Data)] = []
    if let out { files.append((out, try NumPy.encode(StoredTensor(dense.matrix)))) }
    return CommandResult(
      fields: [
        "scope": .string(dense.scope.description),
        "parameter_count": .integer(n),
        "eigenvalues": .numbers(eigenvalues),
        "trace": .number(dense.trace),
        "asymmetry": .number(dense.asymmetry),
        "blocks": .array(
          dense.segments.map {
            ["name": .string($0.name), "shape": .integers($0.shape), "offset": .integer($0.offset)]
          }),
        "hvp_count": .integer(dense.hvpCount),
      ], files: files,
      summary: "dense \(n) x \(n) Hessian: eigenvalues \(format(eigenvalues.first ?? .nan)) "
        + "... \(format(eigenvalues.last ?? .nan)), trace \(format(dense.trace))")
  }
}
