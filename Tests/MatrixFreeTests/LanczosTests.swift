// Lanczos on matrices with known spectra: values, vectors, true residuals, honest flags.

import Foundation
import MatrixFree
import TensorCore
import Testing

/// Checks values against `expected` (same order), vectors up to sign, and the residual test.
func checkPairs<S: TensorScalar>(
  _ result: EigenResult<S>, expected: [Double], spectrum: KnownSpectrum<S>, rtol: Double,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(result.eigenvalues.count == expected.count, sourceLocation: sourceLocation)
  #expect(
    result.eigenvectors.shape == [expected.count, spectrum.n], sourceLocation: sourceLocation)
  #expect(
    result.allConverged, "flags \(result.converged) residuals \(result.residuals)",
    sourceLocation: sourceLocation)
  let vectors = rows(result.eigenvectors)
  for (i, lambda) in expected.enumerated() where i < result.eigenvalues.count {
    expectClose(result.eigenvalues[i], lambda, rtol: rtol, sourceLocation: sourceLocation)
    #expect(
      result.residuals[i] <= result.tolerance * Swift.abs(lambda) * 1.0001,
      sourceLocation: sourceLocation)
    // The eigenvalue must be simple in the spectrum for the vector to be unique.
    if spectrum.eigenvalues.filter({ $0 == lambda }).count == 1,
      let k = spectrum.eigenvalues.firstIndex(of: lambda)
    {
      let overlap = Swift.abs(dot(vectors[i], spectrum.vector(k)))
      #expect(
        overlap >= 1 - 10 * rtol, "overlap \(overlap) for \(lambda)", sourceLocation: sourceLocation
      )
    }
  }
}

func lanczosEnds<S: TensorScalar>(_: S.Type, blockSize: Int) throws {
  let spectrum = KnownSpectrum<S>(mixedSpectrum)
  let (tol, rtol) = eigenTolerance(S.self)
  var g = SeededGenerator(seed: 1)
  let cases: [(SpectrumEnd, Int, [Double])] = [
    (.largest, 3, [100, 99.9, 99.8]),
    (.smallest, 2, [-40, -39.5]),
    (.bothEnds, 2, [-40, -39.5, 99.9, 100]),
    (.largestMagnitude, 4, [100, 99.9, 99.8, 60]),
  ]
  for (which, count, expected) in cases {
    let result = try eigenpairs(
      of: spectrum.dense, count: count, which: which, tolerance: tol, maxMatvecs: 2000,
      blockSize: blockSize, using: &g)
    checkPairs(result, expected: expected, spectrum: spectrum, rtol: rtol)
    #expect(result.which == which && result.blockSize == blockSize)
    #expect(result.matvecCount <= 2000)
  }
}

@Test(arguments: [1, 4]) func lanczosFindsBothEndsDouble(blockSize: Int) throws {
  try lanczosEnds(Double.self, blockSize: blockSize)
}

@Test(arguments: [1, 4]) func lanczosFindsBothEndsFloat(blockSize: Int) throws {
  try lanczosEnds(Float.self, blockSize: blockSize)
}

@Test(arguments: [1, 3]) func thickRestartKeepsConverging(blockSize: Int) throws {
  // A basis of 14 vectors forces many restarts on a spectrum whose top is a tight cluster.
  let spectrum = KnownSpectrum<Double>(mixedSpectrum, seed: 11)
  var g = SeededGenerator(seed: 2)
  let result = try eigenpairs(
    of: spectrum.dense, count: 3, which: .largest, tolerance: 1e-10, maxMatvecs: 3000,
    blockSize: blockSize, basisSize: 14, using: &g)
  #expect(result.restarts > 0)
  checkPairs(result, expected: [100, 99.9, 99.8], spectrum: spectrum, rtol: 1e-8)
}

@Test func blockLanczosResolvesMultipleEigenvalues() throws {
  // 50 with multiplicity 3: single-vector Krylov spaces see one copy; a block of 3 sees all.
  let values = [50.0, 50, 50] + linspace(-10, 10, 97)
  let spectrum = KnownSpectrum<Double>(values, seed: 5)
  var g = SeededGenerator(seed: 3)
  let result = try eigenpairs(
    of: spectrum.dense, count: 4, which: .largest, tolerance: 1e-10, maxMatvecs: 2000,
    blockSize: 3, using: &g)
  checkPairs(result, expected: [50, 50, 50, 10], spectrum: spectrum, rtol: 1e-8)
  // The three vectors span the eigenspace: they are orthonormal.
  let v = rows(result.eigenvectors)
  for i in 0..<3 { for j in 0..<i { #expect(Swift.abs(dot(v[i], v[j])) < 1e-8) } }
}

@Test func flagsAreHonestWhenTheBudgetIsTooSmall() throws {
  // A tight cluster at the top needs many products; 8 are not enough.
  let spectrum = KnownSpectrum<Double>(mixedSpectrum)
  var g = SeededGenerator(seed: 4)
  let result = try eigenpairs(
    of: spectrum.dense, count: 2, which: .largest, tolerance: 1e-10, maxMatvecs: 8, using: &g)
  #expect(result.matvecCount <= 8)
  #expect(!result.allConverged)
  for (value, (residual, flag)) in zip(result.eigenvalues, zip(result.residuals, result.converged))
  {
    #expect(flag == (residual <= 1e-10 * Swift.abs(value)))
  }
}

@Test func invariantSubspaceOnADiagonalMatrix() throws {
  // 5 distinct eigenvalues, each 12 times, in R^60: the Krylov space of one vector is invariant
  // after 5 steps; the engine must continue with a fresh direction rather than divide by zero.
  let values = (0..<60).map { Double($0 % 5) * 2 - 3 }
  let spectrum = KnownSpectrum<Double>(values, rotated: false)
  var g = SeededGenerator(seed: 6)
  let single = try eigenpairs(
    of: spectrum.dense, count: 1, which: .bothEnds, tolerance: 1e-10, using: &g)
  #expect(single.allConverged)
  expectClose(single.eigenvalues[0], -3, atol: 1e-10)
  expectClose(single.eigenvalues[1], 5, atol: 1e-10)
  // A block of 2 sees two copies of each eigenvalue.
  let block = try eigenpairs(
    of: spectrum.dense, count: 2, which: .bothEnds, tolerance: 1e-10, blockSize: 2, using: &g)
  #expect(block.allConverged)
  for (value, expected) in zip(block.eigenvalues, [-3.0, -3, 5, 5]) {
    expectClose(value, expected, atol: 1e-10)
  }
}

@Test func seedHessianThroughDenseOperator() throws {
  var g = SeededGenerator(seed: 0)
  let hessian = DenseOperator(seedHessian(Double.self))
  let top = try eigenpairs(of: hessian, count: 1, tolerance: 1e-12, using: &g)
  expectClose(top.eigenvalues[0], 122.032250, atol: 5e-7)
  #expect(top.allConverged)
  let ends = try eigenpairs(of: hessian, count: 1, which: .bothEnds, tolerance: 1e-12, using: &g)
  expectClose(ends.eigenvalues[0], -2.828427, atol: 5e-7)
  expectClose(ends.eigenvalues[1], 122.032250, atol: 5e-7)
  // Per-layer (diagonal-block) eigenvalues of the note: 20 and 100.
  let layer1 = DenseOperator(
    Tensor<Double>(shape: [4, 4], scalars: [8, 8, 4, 4, 8, 8, 4, 4, 4, 4, 2, 2, 4, 4, 2, 2]))
  let layer2 = DenseOperator(Tensor<Double>(shape: [2, 2], scalars: [50, 50, 50, 50]))
  expectClose(
    try eigenpairs(of: layer1, count: 1, tolerance: 1e-12, using: &g).eigenvalues[0], 20,
    rtol: 1e-12)
  expectClose(
    try eigenpairs(of: layer2, count: 1, tolerance: 1e-12, using: &g).eigenvalues[0], 100,
    rtol: 1e-12)
}

@Test func eigenResultRoundTripsThroughJSON() throws {
  var g = SeededGenerator(seed: 0)
  let result = try eigenpairs(of: DenseOperator(seedHessian(Float.self)), count: 1, using: &g)
  let data = try JSONEncoder().encode(result)
  let decoded = try JSONDecoder().decode(EigenResult<Float>.self, from: data)
  #expect(decoded.eigenvalues == result.eigenvalues)
  #expect(decoded.eigenvectors == result.eigenvectors)
  #expect(decoded.converged == result.converged)
}

/// The residuals Lanczos reports come from the stored products of its basis (no extra
/// product): they must equal `||A y - lambda y||` recomputed with the dense matrix in Double,
/// through thick restarts, and the operator must be applied exactly `matvecCount` times.
func lanczosResidualsMatchDenseProducts<S: TensorScalar>(_: S.Type, blockSize: Int) throws {
  let spectrum = KnownSpectrum<S>(mixedSpectrum)
  let n = spectrum.n
  let a = spectrum.matrix.scalars.map { Double($0) }
  let counter = ApplicationCounter()
  let counted = ClosureOperator<S>(dimension: n) { block in
    counter.count += block.shape[0]
    return try spectrum.dense.apply(block)
  }
  var g = SeededGenerator(seed: 11)
  // basisSize 10 forces thick restarts (the products are recombined with the basis).
  let result = try eigenpairs(
    of: counted, count: 3, which: .largest, tolerance: S.self == Double.self ? 1e-9 : 2e-5,
    maxMatvecs: 3000, blockSize: blockSize, basisSize: 10, using: &g)
  #expect(result.restarts > 0, "basisSize 10 should force restarts")
  #expect(
    counter.count == result.matvecCount,
    "applied \(counter.count), reported \(result.matvecCount)")
  let ulp = Double(S.ulpOfOne)
  for (i, y) in rows(result.eigenvectors).enumerated() {
    let ay = (0..<n).map { r in (0..<n).reduce(0.0) { $0 + a[r * n + $1] * y[$1] } }
    let rho = dot(y, ay) / dot(y, y)
    let residual = zip(ay, y).map { ($0 - rho * $1) * ($0 - rho * $1) }.reduce(0, +).squareRoot()
    expectClose(result.eigenvalues[i], rho, rtol: 10 * ulp, atol: 100 * ulp)
    // The stored-product residual differs from the dense one by rounding: O(ulp ||A||).
    expectClose(result.residuals[i], residual, atol: 100 * ulp * 100)
  }
  #expect(result.allConverged)
}

/// Counts vectors applied (the closure operator is called sequentially).
final class ApplicationCounter: @unchecked Sendable { var count = 0 }

@Test(arguments: [1, 3]) func lanczosResidualsAreTrueResidualsDouble(blockSize: Int) throws {
  try lanczosResidualsMatchDenseProducts(Double.self, blockSize: blockSize)
}

@Test func lanczosResidualsAreTrueResidualsFloat() throws {
  try lanczosResidualsMatchDenseProducts(Float.self, blockSize: 1)
}
