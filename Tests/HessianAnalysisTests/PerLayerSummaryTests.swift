// One operator's summary (what `hessian eigen --per-layer` and the report compute per layer)
// on the seed-001 blocks, whose matrices are hand-worked: layer 0's block is 2 a aᵀ with
// a = (2, 2, 1, 1) (eigenvalues 20, 0, 0, 0), layer 1's is [[50, 50], [50, 50]] (100, 0). The
// products are checked against the operators' own counters.

import HessianAnalysis
import MatrixFree
import TensorCore
import Testing
import _TestSupport

@Suite("Per-operator eigenvalue and curvature summaries on the seed-001 blocks")
struct PerLayerSummaryTests {
  static func layers() throws -> [HessianOperator<Double>] {
    try HessianOperator.perLayer(model: Seed001.model, loss: Seed001.loss, data: Seed001.data)
  }

  @Test func denseBlocksCostOneProductPerParameterAndNothingElse() throws {
    let layers = try Self.layers()
    var generator = SeededGenerator(seed: 4)
    var calls = 0
    let summaries = try layers.map { layer in
      let before = layer.hvpCount
      let summary = try eigenvalueSummary(
        of: layer, count: 2, using: &generator, progress: { _ in calls += 1 })
      #expect(summary.hvpCount == layer.hvpCount - before, "\(summary.name)")
      return summary
    }
    #expect(summaries.map(\.name) == ["0", "1"])
    #expect(summaries.map(\.scope) == [.perLayer("0"), .perLayer("1")])
    #expect(summaries.map(\.parameterNames) == [["0.weight"], ["1.weight"]])
    #expect(summaries.map(\.parameterCount) == [4, 2])
    #expect(summaries.map(\.eigenMethod) == ["dense", "dense"])
    #expect(summaries.map(\.hvpCount) == [4, 2])
    #expect(allClose(summaries[0].eigenvalues, [20, 0], rtol: 0, atol: 1e-12))
    #expect(allClose(summaries[1].eigenvalues, [100, 0], rtol: 0, atol: 1e-12))
    #expect(summaries.allSatisfy { $0.converged == [true, true] && $0.residuals == [0, 0] })
    #expect(calls == 0)  // no Lanczos step to report
  }

  @Test func lanczosBlocksSpendOnlyLanczosProducts() throws {
    let layers = try Self.layers()
    var generator = SeededGenerator(seed: 5)
    for (layer, exact) in zip(layers, [20.0, 100]) {
      let before = layer.hvpCount
      var reports: [ProgressReport] = []
      let summary = try eigenvalueSummary(
        of: layer, count: 1, tolerance: 1e-9, denseThreshold: 0, using: &generator,
        progress: { reports.append($0) })
      #expect(summary.eigenMethod == "lanczos")
      #expect(abs(summary.eigenvalues[0] - exact) <= 1e-8 * exact, "\(summary.eigenvalues)")
      #expect(summary.converged == [true])
      #expect(summary.residuals[0] <= 1e-9 * exact)
      // Every product the operator made is Lanczos': no trace, no check beyond the basis.
      let spent = layer.hvpCount - before
      #expect(summary.hvpCount == spent)
      #expect(
        spent >= 1 && spent <= layer.dimension, "\(spent) products for n = \(layer.dimension)")
      // The progress closure saw each step, the last with the final count.
      #expect(reports.last?.matvecCount == spent)
      #expect(abs((reports.last?.values.first ?? 0) - exact) <= 1e-6 * exact)
    }
  }

  @Test func curvatureSummaryCountsEigenvaluesAndTraceSeparately() throws {
    let layers = try Self.layers()
    var generator = SeededGenerator(seed: 6)
    for (layer, exact) in zip(layers, [20.0, 100]) {
      let before = layer.hvpCount
      var traceReports = 0
      let summary = try curvatureSummary(
        of: layer, tolerance: 1e-9, traceTargetRelativeError: 1e-9, traceMaxMatvecs: 60,
        denseThreshold: 0, using: &generator, traceProgress: { _ in traceReports += 1 })
      #expect(summary.hvpCount == layer.hvpCount - before)
      #expect(summary.hvpCount == summary.eigenMatvecCount + summary.trace.hvpCount)
      #expect(summary.trace.hvpCount > 0 && traceReports > 0)
      let t = summary.trace
      #expect(abs(t.trace - exact) <= 4 * t.standardError + 1e-9, "\(t)")
      let eigen = summary.eigenvalueSummary
      #expect(eigen.hvpCount == summary.eigenMatvecCount && eigen.eigenMethod == "lanczos")
      #expect(abs(eigen.eigenvalues[0] - exact) <= 1e-8 * exact)
    }
    // A dense block's trace is its matrix's: exact, and free.
    let dense = try curvatureSummary(of: layers[0], using: &generator)
    #expect(dense.trace.method == .exact && dense.trace.trace == 20 && dense.hvpCount == 4)
  }
}
