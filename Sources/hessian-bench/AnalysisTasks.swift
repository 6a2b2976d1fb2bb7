// The analysis workloads of DESIGN.md on the benchmark model: top-1 and top-5 eigenvalues
// (Lanczos, 1e-3 relative residual), Hutchinson trace to 1% standard error, and SLQ density
// with 100 Lanczos steps. Each runs once; seconds, HVP counts and the values are reported.

import Dispatch
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore

/// Runs the selected analysis tasks and returns their JSON fields.
func analysisReport(
  model: Model<Float>, inputs: Tensor<Float>, targets: Targets<Float>, tasks: Set<String>,
  seed: UInt64
) throws -> [String: Any] {
  let wanted = tasks.intersection(["top1", "top5", "trace", "density"])
  guard !wanted.isEmpty else { return [:] }
  let hessian = try HessianOperator(
    model: model, loss: .crossEntropy(.mean), inputs: inputs, targets: targets,
    checkDeterminism: false)
  var report: [String: Any] = [:]
  func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let value = try body()
    return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  var generator = SeededGenerator(seed: seed &+ 2)
  for count in [1, 5] where wanted.contains("top\(count)") {
    let (result, seconds) = try timed {
      try eigenpairs(
        of: hessian, count: count, which: .largest, tolerance: 1e-3, maxMatvecs: 2000,
        using: &generator)
    }
    report["top\(count)_s"] = seconds
    report["top\(count)_hvps"] = result.matvecCount
    report["top\(count)_eigenvalues"] = result.eigenvalues
    report["top\(count)_relative_residuals"] = result.relativeResiduals
    report["top\(count)_converged"] = result.converged
  }
  if wanted.contains("trace") {
    let (result, seconds) = try timed {
      try hutchinsonTrace(
        of: hessian, targetRelativeError: 0.01, maxMatvecs: 4000, blockSize: 8, using: &generator)
    }
    report["trace_s"] = seconds
    report["trace_hvps"] = result.matvecCount
    report["trace"] = result.estimate
    report["trace_standard_error"] = result.standardError
    report["trace_converged"] = result.converged
  }
  if wanted.contains("density") {
    let (result, seconds) = try timed {
      try spectralDensity(of: hessian, lanczosSteps: 100, probeCount: 1, using: &generator)
    }
    report["density_s"] = seconds
    report["density_hvps"] = result.matvecCount
    report["density_kernel_width"] = result.kernelWidth
  }
  return report
}
