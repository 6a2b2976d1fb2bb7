// The result of the eigensolvers: eigenpairs with the evidence of their accuracy.

import TensorCore

/// The method that produced an ``EigenResult``.
public enum EigenMethod: String, Codable, Sendable {
  /// Thick-restart Lanczos with full reorthogonalization (``eigenpairs(of:count:which:tolerance:maxMatvecs:blockSize:basisSize:startingBlock:missCheck:using:)``).
  case lanczos
  /// Deflated power iteration, as in PyHessian
  /// (``deflatedPowerIteration(of:count:tolerance:maxIterations:residualTolerance:using:)``).
  case powerIteration
}

/// Eigenpairs of a symmetric operator, each with its true residual and a convergence flag.
///
/// Every number here was checked after the iteration with the products `A Y` of the returned
/// vectors (power iteration: one more block product; Lanczos: the linear combination of the
/// products of its basis, which costs none): ``eigenvalues`` are the Rayleigh quotients
/// `yᵀ A y` of the unit vectors `y`, ``residuals`` are `||A y - lambda y||`, and ``converged``
/// compares them with the tolerance. A `false` flag means the budget ran out first: the pair is the best found, not a
/// converged one (SciPy raises `ArpackNoConvergence` carrying the same partial result).
///
/// Equivalents: hessian-eigenthings `EigenResult(eigenvalues, eigenvectors, residuals,
/// iterations, converged)`; PyHessian `eigenvalues()` returns only values and vectors.
public struct EigenResult<Scalar: TensorScalar>: Sendable {
  /// The eigenvalues, in the order documented for ``which`` (``SpectrumEnd``): the one rule
  /// for every eigenvalue result is "nearest the searched end first" (descending for
  /// ``SpectrumEnd/largest``, ascending for ``SpectrumEnd/smallest``, by decreasing magnitude
  /// for ``SpectrumEnd/largestMagnitude``), and ascending for a whole spectrum
  /// (``SpectrumEnd/bothEnds``, ``symmetricEigendecomposition(of:)``,
  /// ``symmetricEigenvalues(of:)``), as NumPy's `eigh` and SciPy's `eigsh` return them.
  public var eigenvalues: [Double]
  /// The unit eigenvectors as rows, shape `[count, n]`; row `i` belongs to `eigenvalues[i]`.
  /// The sign is fixed so that the entry of largest magnitude is positive.
  public var eigenvectors: Tensor<Scalar>
  /// The true residual norms `||A y_i - lambda_i y_i||` of the unit vectors.
  public var residuals: [Double]
  /// Whether each residual meets the test
  /// `residual <= max(tolerance * |lambda|, residualFloor)` (see ``tolerance``).
  public var converged: [Bool]
  /// The absolute residual that rounding lets the test demand at best,
  /// `64 ulp ||A||_est`, with `ulp` the unit roundoff of `Scalar` (`1.19e-7` for Float,
  /// `2.22e-16` for Double) and `||A||_est` the largest `|Ritz value|` seen. A pair whose
  /// `tolerance * |lambda|` lies below it, i.e. whose `|lambda| < residualFloor / tolerance`,
  /// is flagged converged at a relative residual above the tolerance: in Float at tolerance
  /// `1e-3` that is every eigenvalue smaller in magnitude than `0.0076 ||A||`.
  public var residualFloor: Double
  /// The products with the operator spent, in vectors, including the final check (power
  /// iteration; Lanczos' check needs none).
  public var matvecCount: Int
  /// Block products in the iteration (Lanczos steps, or power iterations summed over pairs).
  public var iterations: Int
  /// Thick restarts performed (0 for power iteration).
  public var restarts: Int
  /// The spectrum end that was asked for.
  public var which: SpectrumEnd
  /// The relative residual tolerance of the convergence test.
  public var tolerance: Double
  /// The algorithm that produced the pairs.
  public var method: EigenMethod
  /// The block size (vectors per product) of the iteration.
  public var blockSize: Int
  /// The seed of the random start, when the solver was called with `seed:` rather than a
  /// generator (nil otherwise).
  public var seed: UInt64? = nil
  /// What the deflation check established (``MissCheck``); nil when no check ran (power
  /// iteration, which gives no such guarantee, or Lanczos with ``MissCheck/off``).
  public var missCheck: MissCheckReport? = nil

  /// True when the deflation check found no eigenvalue beyond the reported ones and every pair
  /// converged (see ``MissCheckReport/verified``). A small residual (``converged``) shows that
  /// a pair is an eigenpair; `verified` adds that no eigenvalue nearer the searched end was
  /// seen by an independent random start. Always false for power iteration.
  public var verified: Bool { missCheck?.verified ?? false }

  /// True when every pair converged.
  public var allConverged: Bool { converged.allSatisfy { $0 } }

  /// The relative residuals `residual / |lambda|` (infinite for a zero eigenvalue).
  public var relativeResiduals: [Double] {
    zip(residuals, eigenvalues).map { $0 / Swift.abs($1) }
  }
}

extension EigenResult: Codable {
  enum CodingKeys: String, CodingKey {
    case eigenvalues, eigenvectors, residuals, converged, matvecCount, iterations, restarts
    case which, tolerance, method, blockSize, missCheck, residualFloor, seed
  }

  /// Decodes a result written by ``encode(to:)``.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    eigenvalues = try c.decode([Double].self, forKey: .eigenvalues)
    eigenvectors = try c.decode(TensorPayload<Scalar>.self, forKey: .eigenvectors).tensor
    residuals = try c.decode([Double].self, forKey: .residuals)
    converged = try c.decode([Bool].self, forKey: .converged)
    residualFloor = try c.decodeIfPresent(Double.self, forKey: .residualFloor) ?? 0
    seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
    matvecCount = try c.decode(Int.self, forKey: .matvecCount)
    iterations = try c.decode(Int.self, forKey: .iterations)
    restarts = try c.decode(Int.self, forKey: .restarts)
    which = try c.decode(SpectrumEnd.self, forKey: .which)
    tolerance = try c.decode(Double.self, forKey: .tolerance)
    method = try c.decode(EigenMethod.self, forKey: .method)
    blockSize = try c.decode(Int.self, forKey: .blockSize)
    missCheck = try c.decodeIfPresent(MissCheckReport.self, forKey: .missCheck)
  }

  /// Encodes every field; the eigenvectors as `{"shape": [...], "scalars": [...]}`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(eigenvalues, forKey: .eigenvalues)
    try c.encode(TensorPayload(eigenvectors), forKey: .eigenvectors)
    try c.encode(residuals, forKey: .residuals)
    try c.encode(converged, forKey: .converged)
    try c.encode(residualFloor, forKey: .residualFloor)
    try c.encodeIfPresent(seed, forKey: .seed)
    try c.encode(matvecCount, forKey: .matvecCount)
    try c.encode(iterations, forKey: .iterations)
    try c.encode(restarts, forKey: .restarts)
    try c.encode(which, forKey: .which)
    try c.encode(tolerance, forKey: .tolerance)
    try c.encode(method, forKey: .method)
    try c.encode(blockSize, forKey: .blockSize)
    try c.encodeIfPresent(missCheck, forKey: .missCheck)
  }
}

/// A tensor as a Codable shape and scalar list (TensorCore's `Tensor` is not Codable itself).
struct TensorPayload<Scalar: TensorScalar>: Codable {
  var shape: [Int]
  var scalars: [Scalar]

  init(_ tensor: Tensor<Scalar>) {
    shape = tensor.shape
    scalars = tensor.scalars
  }

  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    shape = try c.decode([Int].self, forKey: .shape)
    scalars = try c.decode([Scalar].self, forKey: .scalars)
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == scalars.count else {
      throw DecodingError.dataCorruptedError(
        forKey: .scalars, in: c,
        debugDescription: "shape \(shape) does not hold \(scalars.count) scalars")
    }
  }

  var tensor: Tensor<Scalar> { Tensor(shape: shape, scalars: scalars) }
}
