// The 2-2-1 network of seed notebook 001 against its hand-worked Hessian: the full Hessian's
// spectrum (top eigenvalue 122.032250) and the per-layer blocks' top eigenvalues 20 and 100.

import Foundation
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@Suite("Seed 001: full vs per-layer Hessian of the 2-2-1 network")
struct Seed001Tests {
  @Test func denseHessianEqualsTheHandWorkedMatrixWithNamedBlocks() throws {
    let hessian = try HessianOperator(model: Seed001.model, loss: Seed001.loss, data: Seed001.data)
    let dense = try DenseHessian(of: hessian)
    let expected = Tensor<Double>(shape: [6, 6], scalars: Seed001.hessian)
    let r = closeness(dense.matrix, expected, rtol: 0, atol: 1e-12)
    #expect(r.passes, "\(r)")
    #expect(dense.scope == .full)
    #expect(dense.segments.map(\.name) == ["0.weight", "1.weight"])
    #expect(dense.segments.map(\.offset) == [0, 4])
    #expect(dense.segments.map(\.shape) == [[2, 2], [1, 2]])
    #expect(dense.block("1.weight", "1.weight").scalars == [50, 50, 50, 50])
    #expect(dense.block("0.weight", "1.weight").shape == [4, 2])
    #expect(dense.asymmetry == 0)
    #expect(dense.hvpCount == 6 && hessian.hvpCount == 6)
    let values = try dense.eigendecomposition().eigenvalues
    #expect(allClose(values, Seed001.eigenvalues, rtol: 0, atol: 1e-12), "\(values)")
    let decoded = try JSONDecoder().decode(
      DenseHessian<Double>.self, from: JSONEncoder().encode(dense))
    #expect(
      decoded.matrix == dense.matrix && decoded.segments == dense.segments && decoded.scope == .full
    )
  }

  @Test func lanczosFindsTheFullSpectrumAndTopEigenvector() throws {
    let hessian = try HessianOperator(model: Seed001.model, loss: Seed001.loss, data: Seed001.data)
    var generator = SeededGenerator(seed: 1)
    let top = try eigenpairs(of: hessian, count: 1, tolerance: 1e-10, using: &generator)
    #expect(abs(top.eigenvalues[0] - 122.032250) < 5e-7)
    #expect(abs(top.eigenvalues[0] - Seed001.eigenvalues[5]) < 1e-10)
    #expect(top.allConverged)
    // Both ends (2 each: 4 of 6): -2.828427, -2.032250 and 2.828427, 122.032250.
    let ends = try eigenpairs(
      of: hessian, count: 2, which: .bothEnds, tolerance: 1e-10, using: &generator)
    let expectedEnds = [0, 1, 4, 5].map { Seed001.eigenvalues[$0] }
    #expect(allClose(ends.eigenvalues, expectedEnds, rtol: 1e-9), "\(ends.eigenvalues)")
    // The whole spectrum by Lanczos: the 5 smallest (block size 2 for the double zero) and
    // the top one.
    let lower = try eigenpairs(
      of: hessian, count: 5, which: .smallest, tolerance: 1e-10, blockSize: 2, using: &generator)
    let spectrum = lower.eigenvalues + top.eigenvalues
    #expect(allClose(spectrum, Seed001.eigenvalues, rtol: 1e-9, atol: 1e-9), "\(spectrum)")
    // Eigenvectors up to sign against the dense decomposition.
    let dense = try DenseHessian(of: hessian).eigendecomposition()
    let v = dense.eigenvectors.slice(5..<6, alongAxis: 0)
    let overlap = abs(v.reshaped(to: [6]).dot(top.eigenvectors.reshaped(to: [6])))
    #expect(abs(overlap - 1) < 1e-9, "overlap \(overlap)")
    for (i, j) in [0, 1, 4, 5].enumerated() {
      let d = dense.eigenvectors.slice(j..<j + 1, alongAxis: 0).reshaped(to: [6])
      let e = ends.eigenvectors.slice(i..<i + 1, alongAxis: 0).reshaped(to: [6])
      #expect(abs(abs(d.dot(e)) - 1) < 1e-8, "eigenvector \(j)")
    }
  }

  @Test func perLayerBlocksHaveTopEigenvalues20And100() throws {
    let layers = try HessianOperator.perLayer(
      model: Seed001.model, loss: Seed001.loss, data: Seed001.data)
    #expect(layers.map(\.scope) == [.perLayer("0"), .perLayer("1")])
    #expect(layers.map(\.dimension) == [4, 2])
    var generator = SeededGenerator(seed: 2)
    let tops = try layers.map {
      try eigenpairs(of: $0, count: 1, tolerance: 1e-10, using: &generator).eigenvalues[0]
    }
    #expect(allClose(tops, [20, 100], rtol: 1e-10), "\(tops)")
    // The blocks themselves.
    let first = try DenseHessian(of: layers[0]).matrix.scalars
    #expect(first == [8, 8, 4, 4, 8, 8, 4, 4, 4, 4, 2, 2, 4, 4, 2, 2])
    #expect(try DenseHessian(of: layers[1]).matrix.scalars == [50, 50, 50, 50])
  }

  @Test func perLayerSummaryLabelsFullAndPerLayerNumbers() throws {
    let report = try perLayerCurvature(
      model: Seed001.model, loss: Seed001.loss, data: Seed001.data, seed: 3)
    let full = try #require(report.full)
    #expect(full.scope == .full && full.name == "full")
    #expect(abs(full.eigenvalues[0] - 122.032250) < 5e-7)
    #expect(abs(full.trace.trace - 120) < 1e-12 && full.trace.method == .exact)
    #expect(report.layers.map(\.scope) == [.perLayer("0"), .perLayer("1")])
    #expect(report.layers.map(\.parameterNames) == [["0.weight"], ["1.weight"]])
    #expect(allClose(report.layers.map { $0.eigenvalues[0] }, [20, 100], rtol: 1e-12))
    #expect(allClose(report.layers.map(\.trace.trace), [20, 100], rtol: 1e-12))
    #expect(report.hvpCount == 6 + 4 + 2)
    #expect(report.seed == 3)
    // Forcing the iterative path on the same tiny blocks gives the same numbers.
    let iterative = try perLayerCurvature(
      model: Seed001.model, loss: Seed001.loss, data: Seed001.data, tolerance: 1e-9,
      traceTargetRelativeError: 1e-9, traceMaxMatvecs: 200, denseThreshold: 0, seed: 3)
    let tops = iterative.layers.map { $0.eigenvalues[0] }
    #expect(allClose(tops, [20, 100], rtol: 1e-8), "\(tops)")
    #expect(iterative.layers.allSatisfy { $0.eigenMethod == "lanczos" })
    for layer in iterative.layers {
      let t = layer.trace
      #expect(abs(t.trace - [20.0, 100][layer.name == "0" ? 0 : 1]) <= 4 * t.standardError + 1e-9)
    }
  }

  @Test func reportsRoundTripThroughJSONWithTheirLabels() throws {
    let report = try perLayerCurvature(
      model: Seed001.model, loss: Seed001.loss, data: Seed001.data, seed: 9)
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    let data = try encoder.encode(report)
    let text = String(decoding: data, as: UTF8.self)
    for key in [
      "\"parameter_count\":4", "\"hvp_count\"", "\"eigenvalues\"", "\"trace\"", "\"seed\":9",
      "\"kind\":\"full\"",
    ] {
      #expect(text.contains(key), "\(key) in \(text)")
    }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    let back = try decoder.decode(PerLayerCurvature.self, from: data)
    #expect(back.layers.map(\.scope) == report.layers.map(\.scope))
    #expect(back.layers.map(\.eigenvalues) == report.layers.map(\.eigenvalues))
    #expect(back.full?.trace == report.full?.trace && back.method == .exact)
  }

  @Test func theScopeEncodesAsKindAndName() throws {
    let data = try JSONEncoder().encode([CurvatureScope.full, .perLayer("layer1.0.conv1")])
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.contains("\"kind\":\"per-layer\"") && text.contains("\"name\":\"layer1.0.conv1\""))
    #expect(CurvatureScope.perLayer("1").description == "per-layer 1")
  }
}
