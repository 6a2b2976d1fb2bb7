// The analysis workloads of DESIGN.md on the benchmark model: top-1 and top-5 eigenvalues
// (Lanczos, 1e-3 relative residual), Hutchinson trace to 1% standard error, and SLQ density
// with 100 Lanczos steps. Each runs once; seconds, HVP counts and the values are reported.
// Each task's seconds include building the operator: the determinism check (two gradient
// passes), which also records the primal values every product then replays, as the
// references' times include their set-up (PyHessian's graph-keeping backward pass).
//
// Task names (--tasks):
//   top1, top5          Lanczos, the default block size (eigenpairs' blockSize default)
//   top<k>-b<b>         top-k with block size b (e.g. top5-b4, top5-b8): keys top<k>-b<b>_*
//   bottom<k>           the k smallest (most negative) eigenvalues, as top<k>
//   ...-off             any of them with MissCheck.off: the rule before the deflation check
//                       (stop at the first convergence), for comparison
//   trace               Hutchinson, Rademacher, blocks of 8, to 1% standard error
//   trace-hpp<r>        adaptive Hutch++ with a sketch of r vectors, then Hutchinson on the
//                       deflated operator to 1% standard error (e.g. trace-hpp16)
//   trace-strat         stratified Hutchinson over the 43 layers' blocks (HessianOperator.
//                       perLayer) to 1% standard error; its products are of one layer each
//   trace...-max<m>     any trace task with a budget of m HVPs instead of 4000 (e.g.
//                       trace-max64: the standard error after 64 probes predicts the probes
//                       1% needs, (SE_64 / (0.01 |trace|))^2 * 64)
//   density             SLQ, 100 steps, 1 probe
//   strata              per layer: the block's trace, one Rademacher probe's standard
//                       deviation and the seconds per replayed product (16 probes each), the
//                       data behind stratifiedTrace's allocation (strata: [...])
//   products            the seconds of one product (k = 1) of the Hessian and of the
//                       Gauss-Newton operator: the first (which records the GGN's primal
//                       values; the Hessian's determinism check has recorded its own), the
//                       median of 3 replaying them, and the median of 2 without the cache
//                       (products_<hessian|ggn>_<first|replay|uncached>_s)
//
// Measured on the benchmark problem (seed 0), before the deflation check (today's top5-off):
// top1 16 HVPs, top5 22 (seeds 1, 2: 25, 22),
// top5-b4 48, top5-b5 50, top5-b8 72. Trace: Hutchinson after 640 probes 17.06 +- 0.574 (one
// probe's standard deviation 14.5), Hutch++ r = 10 after 644 HVPs 16.57 +- 0.484 (12.1 on the
// deflated operator), so 1% standard error needs about 7,400 HVPs with Hutchinson and 5,200
// with Hutch++: about ten outliers (one per class) above a flat bulk that carries most of
// ||H||_F. At about 1 s per replayed product that is 2 h and 85 min. Most of a full probe's
// variance is cross-layer (strata: the 43 blocks' probe variances add up to 14.2 of 210), so
// trace-strat reached 1% (15.78 +- 0.158) in 2,638 products of single layers and 190 s.

import Dispatch
import Foundation
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore

/// An analysis task parsed from its name.
enum AnalysisTask: Hashable {
  case top(count: Int, blockSize: Int?, which: SpectrumEnd, check: MissCheck)
  case trace(lowRankDimension: Int?, budget: Int)
  case stratifiedTrace(budget: Int)
  case density
  case products
  case strata

  init?(_ name: String) {
    if name == "density" {
      self = .density
    } else if name == "products" {
      self = .products
    } else if name == "strata" {
      self = .strata
    } else if name.hasPrefix("trace") {
      var rest = name.dropFirst("trace".count)
      var budget = 4000
      if let range = rest.range(of: "-max") {
        guard let m = Int(rest[range.upperBound...]), m >= 16 else { return nil }
        budget = m
        rest = rest[..<range.lowerBound]
      }
      if rest.isEmpty {
        self = .trace(lowRankDimension: nil, budget: budget)
      } else if rest == "-strat" {
        self = .stratifiedTrace(budget: budget)
      } else if rest.hasPrefix("-hpp"), let r = Int(rest.dropFirst(4)), r > 0 {
        self = .trace(lowRankDimension: r, budget: budget)
      } else {
        return nil
      }
    } else if name.hasPrefix("top") || name.hasPrefix("bottom") {
      let which: SpectrumEnd = name.hasPrefix("top") ? .largest : .smallest
      var rest = name.dropFirst(which == .largest ? 3 : 6)
      var check = MissCheck.standard
      if rest.hasSuffix("-off") {
        check = .off
        rest = rest.dropLast(4)
      }
      let parts = rest.split(separator: "-b", omittingEmptySubsequences: false)
      guard let count = Int(parts[0]), count > 0, parts.count <= 2 else { return nil }
      if parts.count == 2 {
        guard let b = Int(parts[1]), b > 0 else { return nil }
        self = .top(count: count, blockSize: b, which: which, check: check)
      } else {
        self = .top(count: count, blockSize: nil, which: which, check: check)
      }
    } else {
      return nil
    }
  }
}

/// Runs the selected analysis tasks (in the order given) and returns their JSON fields, keyed
/// by the task name: `<task>_s`, `<task>_hvps`, and the values.
func analysisReport(
  model: Model<Float>, inputs: Tensor<Float>, targets: Targets<Float>, tasks: Set<String>,
  seed: UInt64
) throws -> [String: Any] {
  let wanted = tasks.sorted().compactMap { name in AnalysisTask(name).map { (name, $0) } }
  guard !wanted.isEmpty else { return [:] }
  var primalBytes = 0
  func makeHessian() throws -> HessianOperator<Float> {
    try HessianOperator(
      model: model, loss: .crossEntropy(.mean), inputs: inputs, targets: targets)
  }
  /// The operator's kept primal values, noted for the report before it goes.
  func note(_ hessian: HessianOperator<Float>) {
    primalBytes = max(primalBytes, hessian.primalCacheBytes)
  }
  var report: [String: Any] = [:]
  func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let value = try body()
    return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  /// A trace run to 1% takes thousands of products: a line on stderr at least every `every`
  /// products with where it stands.
  func traceProgress(_ name: String, every: Int) -> (ProgressReport) -> Void {
    var reported = 0
    return { report in
      guard report.matvecCount >= reported + every else { return }
      reported = report.matvecCount
      let line =
        "\(name): \(report.matvecCount) products, trace \(report.values[0]) ± "
        + "\(report.standardError ?? .nan), expected \(report.expectedMatvecCount ?? -1)\n"
      FileHandle.standardError.write(Data(line.utf8))
    }
  }
  for (name, task) in wanted {
    // Each task draws from its own seeded generator: results do not depend on which other
    // tasks ran before it.
    var generator = SeededGenerator(seed: seed &+ 2)
    switch task {
    case .top(let count, let blockSize, let which, let check):
      let (result, seconds) = try timed {
        let hessian = try makeHessian()
        defer { note(hessian) }
        return try eigenpairs(
          of: hessian, count: count, which: which, tolerance: 1e-3, maxMatvecs: 2000,
          blockSize: blockSize ?? 1, missCheck: check, using: &generator)
      }
      report["\(name)_s"] = seconds
      report["\(name)_hvps"] = result.matvecCount
      report["\(name)_block_size"] = result.blockSize
      report["\(name)_steps"] = result.iterations
      report["\(name)_eigenvalues"] = result.eigenvalues
      report["\(name)_relative_residuals"] = result.relativeResiduals
      report["\(name)_converged"] = result.converged
      report["\(name)_verified"] = result.verified
      if let check = result.missCheck {
        report["\(name)_check_hvps"] = check.matvecCount
        report["\(name)_check_found"] = check.found
        report["\(name)_next_ritz_values"] = check.nextRitzValues
      }
    case .trace(let lowRankDimension, let budget):
      let (result, seconds) = try timed {
        let hessian = try makeHessian()
        defer { note(hessian) }
        let progress = traceProgress(name, every: 64)
        if let r = lowRankDimension {
          return try hutchPlusPlusTrace(
            of: hessian, lowRankDimension: r, targetRelativeError: 0.01, maxMatvecs: budget,
            blockSize: 8, using: &generator, progress: progress)
        }
        return try hutchinsonTrace(
          of: hessian, targetRelativeError: 0.01, maxMatvecs: budget, blockSize: 8,
          using: &generator, progress: progress)
      }
      report["\(name)_s"] = seconds
      report["\(name)_hvps"] = result.matvecCount
      report["\(name)"] = result.estimate
      report["\(name)_standard_error"] = result.standardError
      report["\(name)_samples"] = result.sampleCount
      report["\(name)_low_rank_trace"] = result.lowRankTrace
      report["\(name)_converged"] = result.converged
    case .density:
      let (result, seconds) = try timed {
        let hessian = try makeHessian()
        defer { note(hessian) }
        return try spectralDensity(
          of: hessian, lanczosSteps: 100, probeCount: 1, using: &generator)
      }
      report["density_s"] = seconds
      report["density_hvps"] = result.matvecCount
      report["density_kernel_width"] = result.kernelWidth
    case .stratifiedTrace(let budget):
      let (result, seconds) = try timed {
        let layers = try HessianOperator.perLayer(
          model: model, loss: .crossEntropy(.mean),
          data: DataSet(inputs: inputs, targets: targets))
        return try stratifiedLayerTraces(
          of: layers, targetRelativeError: 0.01, maxMatvecs: budget, seed: seed &+ 2,
          progress: traceProgress(name, every: 0))
      }
      report["\(name)_s"] = seconds
      report["\(name)_hvps"] = result.trace.hvpCount
      report["\(name)"] = result.trace.trace
      report["\(name)_standard_error"] = result.trace.standardError
      report["\(name)_converged"] = result.trace.converged
      report["\(name)_layers"] = result.layers.map {
        [
          "name": $0.name, "trace": $0.trace.trace, "standard_error": $0.trace.standardError,
          "samples": $0.trace.sampleCount,
        ] as [String: Any]
      }
    case .strata:
      // Per layer: one block of 8 (records), then 16 Rademacher probes replayed: the layer
      // block's trace, one probe's standard deviation, and the seconds per replayed product.
      let layers = try HessianOperator.perLayer(
        model: model, loss: .crossEntropy(.mean), data: DataSet(inputs: inputs, targets: targets))
      var rows: [[String: Any]] = []
      for layer in layers {
        let warm = Tensor<Float>(randomNormal: [8, layer.dimension], using: &generator)
        _ = try layer.apply(warm)
        let (estimate, seconds) = try timed {
          try hutchinsonTrace(
            of: layer, targetRelativeError: 0, maxMatvecs: 16, blockSize: 8, using: &generator)
        }
        rows.append([
          "name": layer.scope.name ?? "", "dimension": layer.dimension,
          "trace": estimate.estimate,
          "probe_sd": estimate.standardError * Double(estimate.sampleCount).squareRoot(),
          "seconds_per_product": seconds / Double(estimate.matvecCount),
        ])
        layer.releasePrimalCache()
        FileHandle.standardError.write(Data("strata: \(rows.last!)\n".utf8))
      }
      report["strata"] = rows
    case .products:
      let vectors = (0..<6).map { _ in
        Tensor<Float>(
          randomNormal: [1, model.parameters.values.reduce(0) { $0 + $1.count }],
          using: &generator)
      }
      func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
      func measure<Operator: CurvatureOperator>(
        _ name: String, _ make: (_ cached: Bool) throws -> Operator
      ) throws where Operator.Scalar == Float {
        let cached = try make(true)
        report["products_\(name)_first_s"] = try timed { try cached.apply(vectors[0]) }.1
        report["products_\(name)_replay_s"] = median(
          try vectors[1..<4].map { v in try timed { try cached.apply(v) }.1 })
        report["products_\(name)_cache_bytes"] = cached.primalCacheBytes
        cached.releasePrimalCache()
        let uncached = try make(false)
        report["products_\(name)_uncached_s"] = median(
          try vectors[4..<6].map { v in try timed { try uncached.apply(v) }.1 })
      }
      try measure("hessian") { cached in
        try HessianOperator(
          model: model, loss: .crossEntropy(.mean), inputs: inputs, targets: targets,
          checkDeterminism: cached)
      }
      try measure("ggn") { cached in
        try GaussNewtonOperator(
          model: model, loss: .crossEntropy(.mean),
          data: DataSet(inputs: inputs, targets: targets), checkDeterminism: cached)
      }
    }
  }
  report["primal_cache_bytes"] = primalBytes
  return report
}
