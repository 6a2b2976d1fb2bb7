// hessian trace --method stratified: the Hessian's trace as the sum of its layers' block
// traces, each layer sampled on its own operator, with every layer's trace in the JSON.

import Foundation
import HessianAnalysis
import MatrixFree
import TensorCore

extension Trace {
  func stratified<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> CommandResult {
    let layers = try context.layerHessians(workload, checkDeterminism: context.checksDeterminism)
    let pilot = 8
    guard maxProbes >= pilot * layers.count else {
      throw CLIError(
        "trace: --method stratified starts with \(pilot) probes for each of the \(layers.count) "
          + "layers: --max-probes must be at least \(pilot * layers.count), got \(maxProbes)")
    }
    let n = layers.reduce(0) { $0 + $1.hessian.dimension }
    context.progress.begin(
      "trace: stratified over \(layers.count) layers (\(n) parameters)", budget: maxProbes)
    let (total, traces) = try stratifiedLayerTraces(
      of: layers.map(\.hessian), targetRelativeError: targetError, pilotSampleCount: pilot,
      maxMatvecs: maxProbes, distribution: ProbeDistribution(rawValue: distribution)!,
      blockSize: blockSize, seed: context.seed, progress: context.progress.traceReporter)
    context.progress.end(
      "trace: \(format(total.trace)) ± \(format(total.standardError)) in \(total.hvpCount) "
        + "products of \(layers.count) layers")
    return CommandResult(
      fields: [
        "scope": "full",
        "parameter_count": .integer(n),
        "method": .string(total.method.rawValue),
        "trace": .number(total.trace),
        "standard_error": .number(total.standardError),
        "relative_standard_error": .number(total.standardError / Swift.abs(total.trace)),
        "target_error": .number(targetError),
        "converged": .bool(total.converged),
        "hvp_count": .integer(total.hvpCount),
        "sample_count": .integer(total.sampleCount),
        "distribution": .string(distribution),
        "layers": .array(traces.map { labeledTraceJSON($0, sizeKey: "parameter_count") }),
      ],
      summary: "trace \(format(total.trace)) ± \(format(total.standardError)) "
        + "(full, stratified over \(layers.count) layers, \(total.hvpCount) products"
        + (total.converged ? ")" : ", target error NOT reached: raise --max-probes)"))
  }
}
