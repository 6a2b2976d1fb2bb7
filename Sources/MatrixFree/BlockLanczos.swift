// The engine behind `eigenpairs`: thick-restart block Lanczos with full reorthogonalization.
//
// A note on the formulation. With full reorthogonalization, Lanczos is Arnoldi on a symmetric
// matrix, so the engine keeps the projected matrix H = V A Vᵀ explicitly (Double, at most
// maxBasis^2) instead of a tridiagonal T: each new block W = U A is orthogonalized against the
// whole basis, and the coefficients of that projection are H's new columns. H is banded
// (block tridiagonal) until the first restart and an "arrowhead" after it, which a dense
// symmetric eigensolver (dsyevd) handles the same way. The restart is the thick restart of
// Wu & Simon (2000), which for symmetric A is Stewart's Krylov-Schur (2001): keep the wanted
// Ritz vectors Y = Sᵀ V and the pending block U; then H = diag(theta) and the coupling of U to
// Y is B S. The relation A Vᵀ = Vᵀ H + Uᵀ B holds throughout, so ||B s|| is the residual norm
// of the Ritz pair (theta, Vᵀ s) without another product.
//
// Rows whose remainder vanishes (an invariant subspace was found, or rank deficiency within a
// block) are replaced by random directions orthogonal to the basis, with zero coupling, so the
// block size stays constant until the basis spans R^n.

import TensorCore

struct ThickRestartLanczos<S: TensorScalar> {
  let dimension: Int
  let blockSize: Int
  let maxBasis: Int
  let basis: RowBasis<S>
  /// Row i is A times basis row i, for i < applied: the products, kept so that the Ritz
  /// vectors' products (A Vᵀ s = (A V)ᵀ s) and their true residuals cost no further product.
  let products: RowBasis<S>
  /// Rows 0..<applied are the basis V whose products are known: H is applied x applied.
  private(set) var applied = 0
  /// Rows applied..<applied+pending are the next block U (orthonormal to V).
  private(set) var pending = 0
  /// The size of the block applied in the previous step (0 after a restart).
  private var previousBlock = 0
  /// H, row-major with leading dimension maxBasis.
  private var h: [Double]
  /// B = U A Vᵀ (pending x applied), leading dimension maxBasis.
  private var coupling: [Double]
  private(set) var matvecCount = 0
  private(set) var steps = 0
  private(set) var restarts = 0
  /// Ritz values of H, ascending.
  private(set) var ritzValues: [Double] = []
  /// Eigenvectors of H, row-major applied x applied: column j belongs to ritzValues[j].
  private var ritzCoefficients: [Double] = []
  /// ||B s_j||: the residual norm of Ritz pair j (a lower bound once
  /// ``estimatesAreBounds`` is set).
  private(set) var residualEstimates: [Double] = []
  /// Set by ``restartWithFreshStart(keeping:using:)``: the estimates miss the residual parts
  /// that lay along the dropped continuation.
  private(set) var estimatesAreBounds = false

  init(dimension: Int, blockSize: Int, maxBasis: Int) {
    self.dimension = dimension
    self.blockSize = blockSize
    self.maxBasis = maxBasis
    basis = RowBasis(capacity: maxBasis + blockSize, dimension: dimension)
    products = RowBasis(capacity: maxBasis, dimension: dimension)
    h = [Double](repeating: 0, count: maxBasis * maxBasis)
    coupling = [Double](repeating: 0, count: blockSize * maxBasis)
  }

  /// Orthonormalizes the starting block (random Gaussian when nil) into the first pending rows.
  mutating func start(with block: Tensor<S>?, using generator: inout some RandomNumberGenerator) {
    var w =
      block ?? ProbeDistribution.gaussian.block(blockSize, dimension: dimension, using: &generator)
    let n = dimension
    let b = blockSize
    let accepted = w.withMutableBase { wp in
      let norms = (0..<b).map { Kernels.dot(wp + $0 * n, wp + $0 * n, count: n).squareRoot() }
      return GramSchmidt.orthonormalizeBlock(
        wp, count: b, referenceNorms: norms, into: basis, firstNewRow: 0,
        maxNewRows: Swift.min(b, n), replaceDeficient: true, using: &generator
      ).accepted
    }
    pending = accepted
  }

  /// One block step: applies A to the pending block, extends H, orthonormalizes the remainder
  /// into the next pending block, and recomputes the Ritz pairs.
  mutating func step<Operator: LinearOperator>(
    _ linearOperator: Operator, using generator: inout some RandomNumberGenerator
  ) throws where Operator.Scalar == S {
    let p = applied
    let q = pending
    precondition(q > 0 && p + q <= maxBasis, "Lanczos step with \(p) + \(q) rows, max \(maxBasis)")
    var w = try linearOperator.checkedApply(
      basis.tensor(rows: p..<p + q), matvecsSoFar: matvecCount)
    matvecCount += q
    steps += 1
    let total = p + q
    let n = dimension
    let ld = maxBasis
    let (accepted, r) = w.withMutableBase { wp in
      Kernels.copy(from: wp, to: products.row(p), count: q * n)
      let reference = (0..<q).map { Kernels.dot(wp + $0 * n, wp + $0 * n, count: n).squareRoot() }
      let c = GramSchmidt.projectOut(
        wp, count: q, basis: basis, basisRows: total, recentRows: q + previousBlock)
      for j in 0..<q {
        for i in 0..<total {
          h[i * ld + p + j] = c[j * total + i]
          h[(p + j) * ld + i] = c[j * total + i]
        }
      }
      for j in 0..<q {
        for i in 0..<j {
          let mean = (c[j * total + p + i] + c[i * total + p + j]) / 2
          h[(p + i) * ld + p + j] = mean
          h[(p + j) * ld + p + i] = mean
        }
      }
      return GramSchmidt.orthonormalizeBlock(
        wp, count: q, referenceNorms: reference, into: basis, firstNewRow: total,
        maxNewRows: Swift.min(q, n - total), replaceDeficient: true, using: &generator)
    }
    applied = total
    pending = accepted
    previousBlock = q
    for index in coupling.indices { coupling[index] = 0 }
    for i in 0..<accepted {
      for j in 0..<q { coupling[i * ld + p + j] = r[j * q + i] }
    }
    try rayleighRitz()
  }

  /// Eigen-decomposes H (LAPACK dsyevd, Double) and estimates the Ritz residuals.
  private mutating func rayleighRitz() throws {
    let p = applied
    let ld = maxBasis
    var a = [Double](repeating: 0, count: p * p)
    for i in 0..<p {
      for j in 0..<p { a[i * p + j] = h[i * ld + j] }
    }
    var values = [Double](repeating: 0, count: p)
    let info = a.withUnsafeMutableBufferPointer { ap in
      values.withUnsafeMutableBufferPointer { vp -> Int in
        guard let aBase = ap.baseAddress, let vBase = vp.baseAddress else { return -1 }
        return Double.symmetricEigen(n: p, a: aBase, eigenvalues: vBase, vectors: true)
      }
    }
    guard info == 0 else { throw MatrixFreeError.lapackFailure(routine: "dsyevd", info: info) }
    ritzValues = values
    ritzCoefficients = a
    residualEstimates = (0..<p).map { j in
      var sum = 0.0
      for i in 0..<pending {
        var bs = 0.0
        for l in 0..<p { bs += coupling[i * ld + l] * a[l * p + j] }
        sum += bs * bs
      }
      return sum.squareRoot()
    }
  }

  /// Thick restart with a fresh start: keeps the Ritz pairs `indices` but replaces the pending
  /// block (the Krylov continuation) by random Gaussian rows orthonormal to them, with zero
  /// coupling. The next steps then grow a Krylov space of the operator projected away from the
  /// kept vectors, `(I - Y Yᵀ) A (I - Y Yᵀ)`, from a start independent of everything before,
  /// while the Rayleigh-Ritz step still sees the kept pairs. Without the continuation the
  /// relation `A Vᵀ = Vᵀ H + Uᵀ B` no longer covers the kept vectors' residuals, so from here
  /// on ``residualEstimates`` are lower bounds: stop decisions must use the true residuals
  /// (``ritzProducts(_:)``). `indices` may keep the whole basis.
  mutating func restartWithFreshStart(
    keeping kept: [Int], using generator: inout some RandomNumberGenerator
  ) {
    restart(keeping: kept, allowingAll: true)
    let k = applied
    let fresh = Swift.min(blockSize, dimension - k)
    for i in 0..<fresh {
      GramSchmidt.randomUnitRow(
        at: basis.row(k + i), orthogonalTo: k + i, of: basis, using: &generator)
    }
    pending = fresh
    for index in coupling.indices { coupling[index] = 0 }
    for j in residualEstimates.indices { residualEstimates[j] = 0 }
    estimatesAreBounds = true
  }

  /// Starts anew from `block` (`[blockSize, n]`), keeping the counters: the basis, `H` and the
  /// coupling are dropped. Used after a deflation check found an eigenvalue the first start
  /// missed: a start made of the wanted Ritz vectors (the new one among them) converges them
  /// all again within a few steps, and unlike a continuation of the check's space it is a true
  /// Krylov space, so the cheap residual estimates hold again.
  mutating func restartFromScratch(
    with block: Tensor<S>, using generator: inout some RandomNumberGenerator
  ) {
    applied = 0
    pending = 0
    previousBlock = 0
    for index in h.indices { h[index] = 0 }
    for index in coupling.indices { coupling[index] = 0 }
    ritzValues = []
    ritzCoefficients = []
    residualEstimates = []
    estimatesAreBounds = false
    restarts += 1
    start(with: block, using: &generator)
  }

  /// Thick restart: keeps the Ritz pairs `indices` (into ``ritzValues``) and the pending block.
  mutating func restart(keeping kept: [Int], allowingAll: Bool = false) {
    // Keep the invariant that ritzValues ascend.
    let indices = kept.sorted { ritzValues[$0] < ritzValues[$1] }
    let p = applied
    let k = indices.count
    let ld = maxBasis
    precondition(
      k < p || (allowingAll && k == p), "a restart must shrink the basis: keep \(k) of \(p)")
    var s = [Double](repeating: 0, count: p * k)
    for l in 0..<p {
      for j in 0..<k { s[l * k + j] = ritzCoefficients[l * p + indices[j]] }
    }
    basis.combineRowsInPlace(coefficients: s, rows: p, ldc: k, columns: k)
    products.combineRowsInPlace(coefficients: s, rows: p, ldc: k, columns: k)
    basis.moveRows(from: p, to: k, count: pending)
    var newCoupling = [Double](repeating: 0, count: blockSize * ld)
    for i in 0..<pending {
      for j in 0..<k {
        var sum = 0.0
        for l in 0..<p { sum += coupling[i * ld + l] * s[l * k + j] }
        newCoupling[i * ld + j] = sum
      }
    }
    coupling = newCoupling
    for index in h.indices { h[index] = 0 }
    for j in 0..<k { h[j * ld + j] = ritzValues[indices[j]] }
    ritzValues = indices.map { ritzValues[$0] }
    residualEstimates = indices.map { residualEstimates[$0] }
    var identity = [Double](repeating: 0, count: k * k)
    for j in 0..<k { identity[j * k + j] = 1 }
    ritzCoefficients = identity
    applied = k
    previousBlock = 0
    restarts += 1
  }

  /// `rows` (`[m, n]`) summed into `b` rows, row `j` of `rows` into row `j mod b`: a starting
  /// block with a component along every one of them. Rows left empty (`m < b`) stay zero and
  /// are replaced by random directions when the block is orthonormalized.
  static func foldedRows(_ rows: Tensor<S>, into b: Int) -> Tensor<S> {
    let m = rows.shape[0]
    let n = rows.shape[1]
    return Tensor(shape: [b, n]) { buffer in
      guard let out = buffer.baseAddress else { return }
      out.initialize(repeating: 0, count: b * n)
      rows.withBase { rp in
        for j in 0..<m { Kernels.axpy(1, rp + j * n, out + (j % b) * n, count: n) }
      }
    }
  }

  /// The Ritz vectors `Vᵀ s_j` for `indices`, as rows of a `[indices.count, n]` tensor.
  func ritzVectors(_ indices: [Int]) -> Tensor<S> { combined(basis, indices) }

  /// The products `A Vᵀ s_j = (A V)ᵀ s_j` of the Ritz vectors for `indices`, from the stored
  /// products (no operator application).
  func ritzProducts(_ indices: [Int]) -> Tensor<S> { combined(products, indices) }

  /// `Rᵀ s_j` for the first `applied` rows `R` of `rows`, as rows of a tensor.
  private func combined(_ rows: RowBasis<S>, _ indices: [Int]) -> Tensor<S> {
    let p = applied
    let k = indices.count
    var coefficients = [S](repeating: 0, count: k * p)
    for j in 0..<k {
      for l in 0..<p { coefficients[j * p + l] = S(ritzCoefficients[l * p + indices[j]]) }
    }
    return Tensor(shape: [k, dimension]) { buffer in
      guard let out = buffer.baseAddress else { return }
      coefficients.withUnsafeBufferPointer { cp in
        guard let cBase = cp.baseAddress else { return }
        Tensor<S>.gemm(
          transposeA: false, transposeB: false, m: k, n: dimension, k: p,
          a: cBase, lda: p, b: rows.base, ldb: dimension, c: out, ldc: dimension,
          accumulate: false)
      }
    }
  }
}

/// Which Ritz pairs are wanted and which are kept at a restart.
enum RitzSelection {
  /// Indices into the ascending `values` of the wanted pairs in the documented order of
  /// ``SpectrumEnd``, or nil while fewer than the wanted number exist.
  static func wanted(_ values: [Double], which: SpectrumEnd, count: Int) -> [Int]? {
    let p = values.count
    switch which {
    case .largest:
      return p >= count ? Array((p - count..<p).reversed()) : nil
    case .smallest:
      return p >= count ? Array(0..<count) : nil
    case .bothEnds:
      return p >= 2 * count ? Array(0..<count) + Array(p - count..<p) : nil
    case .largestMagnitude:
      return p >= count ? Array(byMagnitude(values).prefix(count)) : nil
    }
  }

  /// Indices of `keep` pairs nearest the wanted end(s), for a thick restart.
  static func kept(_ values: [Double], which: SpectrumEnd, count: Int, keep: Int) -> [Int] {
    let p = values.count
    switch which {
    case .largest: return Array(p - keep..<p)
    case .smallest: return Array(0..<keep)
    case .bothEnds:
      let low = count + (keep - 2 * count) / 2
      return Array(0..<low) + Array(p - (keep - low)..<p)
    case .largestMagnitude: return Array(byMagnitude(values).prefix(keep))
    }
  }

  /// Indices sorted by decreasing absolute value (ties: larger value first).
  static func byMagnitude(_ values: [Double]) -> [Int] {
    values.indices.sorted {
      let a = Swift.abs(values[$0])
      let b = Swift.abs(values[$1])
      return a != b ? a > b : values[$0] > values[$1]
    }
  }
}
