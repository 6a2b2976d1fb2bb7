// Progress reports of the trace estimator: counts that grow block by block, the running estimate
// that ends at the result, and an expected total that respects the budget.

import MatrixFree
import TensorCore
import Testing
import _TestSupport

@Suite("Progress reports")
struct ProgressReportTests {
  @Test func hutchinsonReportsEachBlockAndEndsAtItsResult() throws {
    let diagonal = (1...40).map(Double.init)
    var entries = [Double](repeating: 0, count: 1600)
    for i in 0..<40 {
      for j in 0..<40 { entries[i * 40 + j] = i == j ? diagonal[i] : (i + j) % 7 == 0 ? 0.5 : 0 }
    }
    let a = DenseOperator(Tensor<Double>(shape: [40, 40], scalars: entries))
    var reports: [ProgressReport] = []
    var generator = SeededGenerator(seed: 3)
    let result = try hutchinsonTrace(
      of: a, targetRelativeError: 1e-3, maxMatvecs: 64, blockSize: 8, using: &generator
    ) { reports.append($0) }
    #expect(
      reports.map(\.matvecCount) == Array(stride(from: 8, through: result.matvecCount, by: 8)))
    let last = try #require(reports.last)
    #expect(last.values == [result.estimate] && last.standardError == result.standardError)
    #expect(
      reports.allSatisfy {
        ($0.expectedMatvecCount ?? 0) <= 64 && ($0.expectedMatvecCount ?? 0) >= $0.matvecCount
      })
    // The target is out of reach in 64 products: the prediction says so (the whole budget).
    #expect(!result.converged && last.expectedMatvecCount == 64)
  }

  @Test func lanczosReportsRitzValuesThatEndAtItsEigenvalues() throws {
    let a = DenseOperator(Tensor<Double>(shape: [6, 6], scalars: Seed001Oracle.hessian))
    var reports: [ProgressReport] = []
    var generator = SeededGenerator(seed: 5)
    let result = try eigenpairs(of: a, count: 2, tolerance: 1e-8, using: &generator) {
      reports.append($0)
    }
    #expect(!reports.isEmpty)
    #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.matvecCount < $1.matvecCount })
    let last = try #require(reports.last)
    #expect(last.matvecCount == result.matvecCount)
    #expect(zip(last.values, result.eigenvalues).allSatisfy { abs($0 - $1) < 1e-8 })
    #expect((last.relativeResidual ?? 1) <= 1e-8)
  }
}
