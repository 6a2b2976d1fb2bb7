// The dense Hessian of a small model in parameter order, with each block's name and offset,
// and its eigendecomposition (seed notebook 003).

import MatrixFree
import NeuralNetworks
import TensorCore

/// A dense Hessian (or Gauss-Newton matrix, input or activation Hessian) with the name, shape
/// and offset of each block of rows and columns.
///
/// Row and column `offset ..< offset + count` of a segment belong to that parameter, so the
/// block of parameters `a` and `b` is `matrix[a.offset..., b.offset...]`
/// (``block(_:_:)``). Built from `n` products with the identity
/// (``init(of:segments:scope:blockSize:memoryLimit:)``), then symmetrized: ``matrix`` is
/// `(A + Aᵀ) / 2` of the assembled `A`, whose asymmetry ``asymmetry`` (`max |A - Aᵀ|`) is the
/// rounding evidence (exactly 0 for a symmetric assembly, around `eps ||A||` for exact
/// products, larger for finite differences).
///
/// ```swift
/// let hessian = try HessianOperator(model: model, loss: .meanSquaredError(.sum), data: data)
/// let dense = try DenseHessian(of: hessian)
/// print(dense.segments.map { ($0.name, $0.offset) })   // [("0.weight", 0), ("1.weight", 4)]
/// let (values, vectors) = try dense.eigendecomposition()
/// ```
///
/// Equivalents: `torch.autograd.functional.hessian` of the loss as a function of the flattened
/// parameters; curvlinops `HessianLinearOperator(...) @ torch.eye(n)`.
public struct DenseHessian<Scalar: TensorScalar>: Sendable {
  /// The symmetric `[n, n]` matrix, rows and columns in ``segments`` order.
  public let matrix: Tensor<Scalar>
  /// The named blocks of rows (and columns), in order.
  public let segments: [VectorSegment]
  /// Which Hessian this is.
  public let scope: CurvatureScope
  /// `max_ij |A_ij - A_ji|` of the assembled matrix before symmetrizing.
  public let asymmetry: Double
  /// Products spent assembling it (`n`).
  public let hvpCount: Int

  /// The dense matrix of any curvature operator, assembled from `n` products with blocks of
  /// the identity (MatrixFree's ``denseMatrix(of:blockSize:memoryLimit:)``).
  ///
  /// - Parameters:
  ///   - linearOperator: the operator (dimension `n`).
  ///   - segments: the names of its blocks (default one segment `"vector"` of length `n`).
  ///   - scope: the label (default ``CurvatureScope/full``).
  ///   - blockSize: identity rows per product (default 32).
  ///   - memoryLimit: the most bytes the matrix may take (default 1 GiB).
  /// - Throws: ``HessianAnalysisError/denseHessianTooLarge(dimension:bytes:limit:)`` before any
  ///   product when `n^2` scalars exceed `memoryLimit`; errors of the operator.
  /// - Complexity: `n` products, `n^2` scalars of memory (twice, briefly).
  public init<Operator: LinearOperator>(
    of linearOperator: Operator, segments: [VectorSegment]? = nil, scope: CurvatureScope = .full,
    blockSize: Int = 32, memoryLimit: Int = 1 << 30
  ) throws where Operator.Scalar == Scalar {
    let n = linearOperator.dimension
    try Self.checkSize(dimension: n, memoryLimit: memoryLimit)
    let segments = segments ?? [VectorSegment(name: "vector", shape: [n], offset: 0)]
    precondition(
      segments.reduce(0) { $0 + $1.count } == n,
      "segments cover \(segments.reduce(0) { $0 + $1.count }) entries, the operator has \(n)")
    let assembled: Tensor<Scalar>
    do {
      assembled = try denseMatrix(
        of: linearOperator, blockSize: blockSize, memoryLimit: memoryLimit)
    } catch MatrixFreeError.denseMatrixTooLarge(let dimension, let bytes, let limit) {
      throw HessianAnalysisError.denseHessianTooLarge(
        dimension: dimension, bytes: bytes, limit: limit)
    }
    let transposed = assembled.transposed()
    self.matrix = (assembled + transposed) * Scalar(0.5)
    self.asymmetry = Double((assembled - transposed).abs().max())
    self.segments = segments
    self.scope = scope
    self.hvpCount = n
  }

  /// The dense matrix of a ``CurvatureOperator``, its blocks named by its segments (the
  /// parameters, the input, or the activations) and labeled with its scope.
  public init<Operator: CurvatureOperator>(
    of curvature: Operator, blockSize: Int = 32, memoryLimit: Int = 1 << 30
  ) throws where Operator.Scalar == Scalar {
    try self.init(
      of: curvature, segments: curvature.segments, scope: curvature.scope, blockSize: blockSize,
      memoryLimit: memoryLimit)
  }

  /// Throws when an `n x n` matrix of `Scalar` would exceed `memoryLimit` bytes.
  static func checkSize(dimension n: Int, memoryLimit: Int) throws {
    let (square, overflow1) = n.multipliedReportingOverflow(by: n)
    let (bytes, overflow2) = square.multipliedReportingOverflow(by: MemoryLayout<Scalar>.size)
    if overflow1 || overflow2 || bytes > memoryLimit {
      throw HessianAnalysisError.denseHessianTooLarge(
        dimension: n, bytes: overflow1 || overflow2 ? Int.max : bytes, limit: memoryLimit)
    }
  }

  /// The dimension `n`.
  public var dimension: Int { matrix.shape[0] }

  /// The block of rows of segment `rowName` and columns of segment `columnName`
  /// (`[rowCount, columnCount]`).
  ///
  /// - Precondition: both names are segments.
  public func block(_ rowName: String, _ columnName: String) -> Tensor<Scalar> {
    guard let r = segments.first(where: { $0.name == rowName }),
      let c = segments.first(where: { $0.name == columnName })
    else {
      preconditionFailure(
        "no segment \"\(rowName)\" or \"\(columnName)\"; segments: \(segments.map(\.name))")
    }
    return matrix.slice(r.offset..<r.offset + r.count, alongAxis: 0)
      .slice(c.offset..<c.offset + c.count, alongAxis: 1)
  }

  /// `tr(H)`, exactly.
  public var trace: Double {
    let n = dimension
    return matrix.withUnsafeBufferPointer { p in (0..<n).reduce(0.0) { $0 + Double(p[$1 * n + $1]) }
    }
  }

  /// All eigenvalues, ascending, without eigenvectors (``symmetricEigenvalues(of:)``): much
  /// faster than ``eigendecomposition()`` when the vectors are not needed.
  ///
  /// PyTorch: `torch.linalg.eigvalsh(H)`.
  ///
  /// - Throws: ``MatrixFreeError/lapackFailure(routine:info:)``.
  /// - Complexity: about `4 n^3 / 3` flops.
  public func eigenvalues() throws -> [Double] {
    try symmetricEigenvalues(of: matrix).scalars.map(Double.init)
  }

  /// All eigenvalues (ascending) and unit eigenvectors (rows, matching) by LAPACK `?syevd`.
  ///
  /// - Throws: ``MatrixFreeError/lapackFailure(routine:info:)``.
  /// - Complexity: `O(n^3)` flops.
  public func eigendecomposition() throws -> (eigenvalues: [Double], eigenvectors: Tensor<Scalar>) {
    let (values, vectors) = try symmetricEigendecomposition(of: matrix)
    return (values.scalars.map(Double.init), vectors)
  }
}

extension DenseHessian: Codable {
  enum CodingKeys: String, CodingKey {
    case dimension, matrix, segments, scope, asymmetry, hvpCount
  }

  /// Decodes the fields written by ``encode(to:)``.
  ///
  /// - Throws: `DecodingError.dataCorrupted` when `matrix` does not hold `dimension^2` values.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let n = try c.decode(Int.self, forKey: .dimension)
    let values = try c.decode([Double].self, forKey: .matrix)
    guard n >= 0, values.count == n * n else {
      throw DecodingError.dataCorruptedError(
        forKey: .matrix, in: c, debugDescription: "expected \(n * n) values, got \(values.count)")
    }
    matrix = Tensor(shape: [n, n], scalars: values.map { Scalar($0) })
    segments = try c.decode([VectorSegment].self, forKey: .segments)
    scope = try c.decode(CurvatureScope.self, forKey: .scope)
    asymmetry = try c.decode(Double.self, forKey: .asymmetry)
    hvpCount = try c.decode(Int.self, forKey: .hvpCount)
  }

  /// Encodes the matrix row-major as `matrix` (Doubles) with its `dimension`, the segments,
  /// the scope, the asymmetry and the product count.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(dimension, forKey: .dimension)
    try c.encode(matrix.scalars.map { Double($0) }, forKey: .matrix)
    try c.encode(segments, forKey: .segments)
    try c.encode(scope, forKey: .scope)
    try c.encode(asymmetry, forKey: .asymmetry)
    try c.encode(hvpCount, forKey: .hvpCount)
  }
}
