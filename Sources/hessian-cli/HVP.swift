// hessian hvp: Hessian-vector products with vectors from a .npy file, written to another.

import ArgumentParser
import Foundation
import HessianAnalysis
import TensorCore
import TensorIO

struct HVP: AnalysisCommand {
  static let name = "hvp"
  static let configuration = CommandConfiguration(
    commandName: "hvp",
    abstract: "Hessian-vector products H v for vectors from a .npy file.",
    discussion: """
      --vector holds one flat vector [n] or a block [k, n], entries in PyTorch's \
      model.parameters() order (torch.cat([p.flatten() for p in model.parameters()])). \
      --out receives H v with the same shape. One pass computes all k products.

      JSON: parameter_count, vector_count, loss, gradient_norm, v_hv (vᵀHv per vector), \
      hv_norms, hvp_count.
      """)

  @OptionGroup var options: SharedOptions

  var outputPaths: [String?] { [out] }

  @Option(help: ArgumentHelp("The vectors, [n] or [k, n].", valueName: "v.npy"))
  var vector: String

  @Option(help: ArgumentHelp("Where to write H v (same shape).", valueName: "hv.npy"))
  var out: String

  func validate() throws { try options.reject(perLayerIn: Self.name) }

  func execute<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> CommandResult {
    let hessian = try context.curvature(workload)
    let n = hessian.dimension
    let stored = try NumPy.read(contentsOf: URL(fileURLWithPath: vector))
    guard stored.dtype.isFloatingPoint else {
      throw CLIError("\(vector): vectors have dtype \(stored.dtype.rawValue); expected F32 or F64")
    }
    let shape = stored.shape
    guard
      (shape.count == 1 && shape[0] == n) || (shape.count == 2 && shape[1] == n && shape[0] >= 1)
    else {
      throw CLIError(
        "\(vector): shape \(shape) does not match the Hessian's \(n) parameters; expected [\(n)] "
          + "or [k, \(n)]")
    }
    let block = stored.floatingPoint(as: Scalar.self).reshaped(to: [
      shape.count == 1 ? 1 : shape[0], n,
    ])
    try Workload<Scalar>.checkFinite(block, what: "vectors", path: vector)
    let k = block.shape[0]
    context.progress.begin("hvp: \(k) product(s) over \(n) parameters", total: k)
    let products = try ObservedOperator(base: hessian, progress: context.progress).apply(block)
    context.progress.end("hvp: \(k) HVPs")
    let (loss, gradient) = try hessian.lossAndGradient()
    let quadratic = (block * products).sum(squeezingAxes: [1]).scalars.map(Double.init)
    let norms = (products * products).sum(squeezingAxes: [1]).squareRoot().scalars.map(Double.init)
    let result = products.reshaped(to: shape)
    return CommandResult(
      fields: [
        "scope": .string(hessian.scope.description),
        "parameter_count": .integer(n),
        "vector_count": .integer(k),
        "loss": .number(loss),
        "gradient_norm": .number(Double(gradient.norm())),
        "v_hv": .numbers(quadratic),
        "hv_norms": .numbers(norms),
        "hvp_count": .integer(k),
        "out": .string(out),
      ], files: [(out, try NumPy.encode(StoredTensor(result)))],
      summary: "wrote \(k) Hessian-vector product(s) to \(out)")
  }
}
