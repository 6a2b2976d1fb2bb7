// Dense eigendecomposition and dense matrices of operators.

import MatrixFree
import TensorCore
import Testing

@Test func seedHessianFullSpectrum() throws {
  let hessian = seedHessian(Double.self)
  let (values, vectors) = try symmetricEigendecomposition(of: hessian)
  let expected = [-2.828427, -2.032250, 0, 0, 2.828427, 122.032250]
  for (value, e) in zip(values.scalars, expected) { expectClose(value, e, atol: 1e-6) }
  // Each row is a unit eigenvector: A v = lambda v.
  let v = rows(vectors)
  let a = rows(hessian)
  for (i, vector) in v.enumerated() {
    expectClose(dot(vector, vector), 1, atol: 1e-12)
    for r in 0..<6 { expectClose(dot(a[r], vector), values.scalars[i] * vector[r], atol: 1e-10) }
  }
  // The diagonal blocks (per-layer Hessians): top eigenvalues 20 and 100.
  let layer1 = try symmetricEigendecomposition(
    of: Tensor<Double>(shape: [4, 4], scalars: [8, 8, 4, 4, 8, 8, 4, 4, 4, 4, 2, 2, 4, 4, 2, 2]))
  expectClose(layer1.eigenvalues.scalars[3], 20, atol: 1e-12)
  let layer2 = try symmetricEigendecomposition(
    of: Tensor<Double>(shape: [2, 2], scalars: [50, 50, 50, 50]))
  expectClose(layer2.eigenvalues.scalars[1], 100, atol: 1e-12)
}

func denseRoundTrip<S: TensorScalar>(_: S.Type) throws {
  let spectrum = KnownSpectrum<S>(linspace(-5, 5, 37), seed: 41)
  let assembled = try denseMatrix(of: spectrum.dense, blockSize: 5)
  #expect(assembled.shape == [37, 37])
  let difference =
    zip(assembled.scalars, spectrum.matrix.scalars).map { Swift.abs(Double($0) - Double($1)) }.max()
    ?? 1
  #expect(difference < (S.self == Double.self ? 1e-13 : 1e-5))
  let (values, _) = try symmetricEigendecomposition(of: assembled)
  for (value, e) in zip(values.scalars, spectrum.eigenvalues) {
    expectClose(Double(value), e, atol: S.self == Double.self ? 1e-12 : 1e-4)
  }
}

@Test func denseMatrixRoundTripDouble() throws { try denseRoundTrip(Double.self) }
@Test func denseMatrixRoundTripFloat() throws { try denseRoundTrip(Float.self) }

@Test func denseMatrixRefusesTooMuchMemory() throws {
  let big = ClosureOperator<Float>(dimension: 300_000) { $0 }
  #expect(
    throws: MatrixFreeError.denseMatrixTooLarge(
      dimension: 300_000, bytes: 360_000_000_000, limit: 1 << 30)
  ) {
    _ = try denseMatrix(of: big)
  }
  let small = ClosureOperator<Double>(dimension: 100) { $0 }
  #expect(throws: MatrixFreeError.self) { _ = try denseMatrix(of: small, memoryLimit: 79_999) }
  #expect(try denseMatrix(of: small, memoryLimit: 80_000).shape == [100, 100])
}

/// Float eigenvectors of a 3,000 x 3,000 matrix: LAPACKE_ssyevd's own workspace query rounds
/// `1 + 6n + 2n^2` down in float32 past 2^24 and fails (info -9); the explicit workspace does
/// not. The matrix is diag(1, ..., n) with its first two coordinates mixed by a rotation, so the
/// eigenvalues are known: 1, ..., n.
@Test func floatEigenvectorsOfALargeMatrix() throws {
  let n = 3000
  var a = Tensor<Float>(zeros: [n, n])
  a.withUnsafeMutableBufferPointer { p in
    for i in 0..<n { p[i * n + i] = Float(i + 1) }
    // R diag(1, 2) Rᵀ with R a rotation by 45 degrees: [[1.5, 0.5], [0.5, 1.5]].
    p[0] = 1.5
    p[1] = 0.5
    p[n] = 0.5
    p[n + 1] = 1.5
  }
  let (values, _) = try symmetricEigendecomposition(of: a)
  let v = values.scalars
  #expect(abs(v[0] - 1) < 1e-4 && abs(v[1] - 2) < 1e-4 && abs(v[n - 1] - Float(n)) < 1e-2)
}
