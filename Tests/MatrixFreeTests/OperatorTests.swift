// The operator contract: dense and closure operators, composition, failures.

import MatrixFree
import TensorCore
import Testing

@Test func denseOperatorAppliesRowsAsVectors() throws {
  let a = DenseOperator(Tensor<Double>(shape: [2, 2], scalars: [2, 1, 1, 3]))
  let result = try a.apply(Tensor(shape: [2, 2], scalars: [1, 0, 1, 1]))
  #expect(result.scalars == [2, 1, 3, 4])
  #expect(a.dimension == 2)
}

@Test func compositionShiftsScalesAndAdds() throws {
  let spectrum = KnownSpectrum<Double>(mixedSpectrum)
  var g = SeededGenerator(seed: 51)
  // The smallest eigenvalues of A are the largest of -A.
  let negated = try eigenpairs(
    of: spectrum.dense.scaled(by: -1), count: 2, tolerance: 1e-10, using: &g)
  expectClose(negated.eigenvalues[0], 40, rtol: 1e-8)
  expectClose(negated.eigenvalues[1], 39.5, rtol: 1e-8)
  // A + 7 I shifts every eigenvalue by 7; A + A doubles them.
  let shifted = try eigenpairs(
    of: spectrum.dense.shifted(by: 7), count: 1, tolerance: 1e-10, using: &g)
  expectClose(shifted.eigenvalues[0], 107, rtol: 1e-8)
  let doubled = spectrum.dense.adding(spectrum.dense)
  let x = Tensor<Double>(randomNormal: [3, spectrum.n], using: &g)
  let direct = try spectrum.dense.apply(x) * 2
  let sum = try doubled.apply(x)
  #expect(zip(direct.scalars, sum.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-10 })
}

struct InjectedFailure: Error, Equatable {}

@Test func operatorFailuresPropagate() throws {
  var g = SeededGenerator(seed: 52)
  let failing = ClosureOperator<Double>(dimension: 20) { _ in throw InjectedFailure() }
  #expect(throws: InjectedFailure()) { _ = try eigenpairs(of: failing, count: 1, using: &g) }
  #expect(throws: InjectedFailure()) { _ = try hutchinsonTrace(of: failing, using: &g) }
  let nonFinite = ClosureOperator<Float>(dimension: 20) { $0 * Float.nan }
  #expect(throws: MatrixFreeError.nonFiniteProduct(matvecCount: 0)) {
    _ = try spectralDensity(of: nonFinite, lanczosSteps: 5, using: &g)
  }
  // Fails on the third product of a power iteration.
  var calls = 0
  let lateFailure = ClosureOperator<Double>(dimension: 20) { x in
    calls += 1
    return calls >= 3 ? x * Double.infinity : x
  }
  #expect(throws: MatrixFreeError.nonFiniteProduct(matvecCount: 2)) {
    _ = try deflatedPowerIteration(of: lateFailure, count: 1, using: &g)
  }
}

@Test func closureOperatorCountsProductsInVectors() throws {
  // matvecCount counts vectors, not calls: a block of k counts k.
  let spectrum = KnownSpectrum<Double>(mixedSpectrum)
  var vectors = 0
  let counted = ClosureOperator<Double>(dimension: spectrum.n) { x in
    vectors += x.shape[0]
    return try spectrum.dense.apply(x)
  }
  var g = SeededGenerator(seed: 53)
  let result = try eigenpairs(of: counted, count: 2, which: .bothEnds, blockSize: 4, using: &g)
  #expect(result.matvecCount == vectors)
  vectors = 0
  let trace = try hutchinsonTrace(of: counted, targetRelativeError: 0, maxMatvecs: 37, using: &g)
  #expect(trace.matvecCount == 37 && vectors == 37)
  vectors = 0
  let density = try spectralDensity(of: counted, lanczosSteps: 12, probeCount: 5, using: &g)
  #expect(density.matvecCount == vectors)
}
