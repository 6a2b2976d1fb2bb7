// A block of orthonormal rows stored as one [capacity, n] buffer, and the Gram-Schmidt steps
// that keep it orthonormal: block classical Gram-Schmidt (GEMMs, or memory-bound row kernels
// for a few rows), repeated until "twice is enough" holds (Kahan, in Parlett's The Symmetric
// Eigenvalue Problem; Giraud, Langou & Rozloznik 2005), and a rank-revealing
// orthonormalization of a new block.

import TensorCore

/// Rows of `dimension` scalars in one contiguous row-major buffer (the basis V as [m, n]).
final class RowBasis<S: TensorScalar> {
  let dimension: Int
  let capacity: Int
  let base: UnsafeMutablePointer<S>

  init(capacity: Int, dimension: Int) {
    self.capacity = capacity
    self.dimension = dimension
    let count = Swift.max(capacity * dimension, 1)
    base = .allocate(capacity: count)
    base.initialize(repeating: 0, count: count)
  }

  deinit { base.deallocate() }

  /// The address of row `i`.
  @inline(__always)
  func row(_ i: Int) -> UnsafeMutablePointer<S> { base + i * dimension }

  /// A copy of rows `range` as a [range.count, n] tensor.
  func tensor(rows range: Range<Int>) -> Tensor<S> {
    Tensor(shape: [range.count, dimension]) { buffer in
      guard let destination = buffer.baseAddress else { return }
      Kernels.copy(from: row(range.lowerBound), to: destination, count: range.count * dimension)
    }
  }

  /// Copies `count` rows starting at `source` to the rows starting at `destination`
  /// (overlapping ranges allowed).
  func moveRows(from source: Int, to destination: Int, count: Int) {
    if count == 0 || source == destination { return }
    UnsafeMutableRawPointer(row(destination)).copyMemory(
      from: UnsafeRawPointer(row(source)), byteCount: count * dimension * MemoryLayout<S>.stride)
  }

  /// Replaces rows `0..<coefficients.columns` by the combinations
  /// `new row j = sum_l coefficients[l][j] * row l` for `l` in `0..<coefficients.rows`,
  /// in place, in column chunks so that the extra memory is `columns x chunk` scalars.
  ///
  /// `coefficients` is row-major `rows x ldc` in Double (only its first `columns` columns are
  /// used); `columns <= rows`.
  func combineRowsInPlace(coefficients: [Double], rows: Int, ldc: Int, columns: Int) {
    precondition(columns <= rows, "cannot make \(columns) rows from \(rows)")
    if columns == 0 { return }
    // transposed[j][l] = coefficients[l][j], in the working precision for the GEMM.
    var transposed = [S](repeating: 0, count: columns * rows)
    for l in 0..<rows {
      for j in 0..<columns { transposed[j * rows + l] = S(coefficients[l * ldc + j]) }
    }
    let chunk = Swift.min(dimension, 4096)
    let scratch = UnsafeMutablePointer<S>.allocate(capacity: columns * chunk)
    defer { scratch.deallocate() }
    transposed.withUnsafeBufferPointer { t in
      guard let tBase = t.baseAddress else { return }
      var start = 0
      while start < dimension {
        let width = Swift.min(chunk, dimension - start)
        Tensor<S>.gemm(
          transposeA: false, transposeB: false, m: columns, n: width, k: rows,
          a: tBase, lda: rows, b: base + start, ldb: dimension, c: scratch, ldc: width,
          accumulate: false)
        for j in 0..<columns {
          Kernels.copy(from: scratch + j * width, to: row(j) + start, count: width)
        }
        start += width
      }
    }
  }
}

enum GramSchmidt {
  /// Removes from each of the `count` rows at `w` (row stride n) its components along rows
  /// `0..<basisRows` of `basis`, by block classical Gram-Schmidt.
  ///
  /// When `recentRows > 0`, the components along the last `recentRows` basis rows (in Lanczos,
  /// the current and previous blocks, which carry the large coefficients alpha and beta) are
  /// removed first, twice; then passes over the whole basis run until one removes less than a
  /// factor 1/sqrt(2) of a row's norm (the DGKS test: Daniel, Gragg, Kaufman & Stewart 1976;
  /// ARPACK's choice), which after the local passes is usually the first. Without recent rows,
  /// two full passes always run ("twice is enough") and a third when the second still
  /// removed more than that factor. At most three full passes. With `singlePass`, exactly one
  /// full pass runs: enough to apply the projector `I - Vᵀ V` (Hutch++'s probes), not to make
  /// a new basis vector.
  ///
  /// - Returns: the `count x basisRows` coefficients `w_i . v_l` summed over the passes,
  ///   row-major, in Double.
  @discardableResult
  static func projectOut<S: TensorScalar>(
    _ w: UnsafeMutablePointer<S>, count: Int, basis: RowBasis<S>, basisRows: Int,
    recentRows: Int = 0, singlePass: Bool = false
  ) -> [Double] {
    let n = basis.dimension
    var coefficients = [Double](repeating: 0, count: count * basisRows)
    if count == 0 || basisRows == 0 { return coefficients }
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: count * basisRows)
    defer { scratch.deallocate() }
    let recent = Swift.min(recentRows, basisRows)
    for _ in 0..<(recent > 0 ? 2 : 0) {
      pass(w, count: count, basis: basis, rows: basisRows - recent..<basisRows, scratch: scratch)
      for i in 0..<count {
        for l in 0..<recent {
          coefficients[i * basisRows + basisRows - recent + l] += scratch[i * recent + l]
        }
      }
    }
    var previous = (0..<count).map { Kernels.dot(w + $0 * n, w + $0 * n, count: n) }
    for full in 0..<3 {
      pass(w, count: count, basis: basis, rows: 0..<basisRows, scratch: scratch)
      for index in 0..<(count * basisRows) { coefficients[index] += scratch[index] }
      let current = (0..<count).map { Kernels.dot(w + $0 * n, w + $0 * n, count: n) }
      let settled = (0..<count).allSatisfy { current[$0] >= 0.5 * previous[$0] }
      previous = current
      if singlePass || (settled && (recent > 0 || full >= 1)) { break }
    }
    return coefficients
  }

  /// One classical Gram-Schmidt pass against basis rows `rows`: `C = W Vᵀ`, `W -= C V`, with
  /// `C` (`count x rows.count`, Double) left in `scratch`.
  static func pass<S: TensorScalar>(
    _ w: UnsafeMutablePointer<S>, count: Int, basis: RowBasis<S>, rows: Range<Int>,
    scratch: UnsafeMutablePointer<Double>
  ) {
    let n = basis.dimension
    let m = rows.count
    let v = UnsafePointer(basis.row(rows.lowerBound))
    if count <= Kernels.maxRowsForRowProducts {
      Kernels.rowProducts(UnsafePointer(w), count: count, v, rows: m, n: n, into: scratch)
      Kernels.subtractRowCombinations(
        UnsafePointer(scratch), count: count, v, rows: m, n: n, from: w)
      return
    }
    let c = UnsafeMutablePointer<S>.allocate(capacity: count * m)
    defer { c.deallocate() }
    Tensor<S>.gemm(
      transposeA: false, transposeB: true, m: count, n: m, k: n,
      a: w, lda: n, b: v, ldb: n, c: c, ldc: m, accumulate: false)
    for index in 0..<(count * m) {
      scratch[index] = Double(c[index])
      c[index] = -c[index]
    }
    Tensor<S>.gemm(
      transposeA: false, transposeB: false, m: count, n: n, k: m,
      a: c, lda: m, b: v, ldb: n, c: w, ldc: n, accumulate: true)
  }

  /// Orthonormalizes the `count` rows at `w`, which are already orthogonal to rows
  /// `0..<firstNewRow` of `basis`, among themselves (modified Gram-Schmidt, twice), and writes
  /// the accepted unit rows to `basis` rows `firstNewRow...`.
  ///
  /// A row whose remaining norm is at most `breakdownTolerance * referenceNorms[j]` lies
  /// (numerically) in the span of the basis: it is dropped, or, when `replaceDeficient` is true,
  /// replaced by a random Gaussian row orthonormalized against everything, with a zero coupling
  /// (this restarts a Krylov space that became invariant and keeps the block size).
  /// At most `maxNewRows` rows are accepted (the space is full beyond that).
  ///
  /// - Returns: the number of accepted rows and `r` (`count x count`, row-major) with
  ///   `w_j = sum_i r[j][i] * newRow_i`.
  static func orthonormalizeBlock<S: TensorScalar>(
    _ w: UnsafeMutablePointer<S>, count: Int, referenceNorms: [Double],
    into basis: RowBasis<S>, firstNewRow: Int, maxNewRows: Int, replaceDeficient: Bool,
    using generator: inout some RandomNumberGenerator
  ) -> (accepted: Int, r: [Double]) {
    let n = basis.dimension
    let tolerance = breakdownTolerance(S.self)
    var r = [Double](repeating: 0, count: count * count)
    var accepted = 0
    for j in 0..<count {
      let wj = w + j * n
      for _ in 0..<2 {
        for i in 0..<accepted {
          let ui = basis.row(firstNewRow + i)
          let c = Kernels.dot(ui, wj, count: n)
          r[j * count + i] += c
          Kernels.axpy(-c, ui, wj, count: n)
        }
      }
      if accepted == maxNewRows { continue }
      let norm = Kernels.dot(wj, wj, count: n).squareRoot()
      let destination = basis.row(firstNewRow + accepted)
      if norm > tolerance * referenceNorms[j] && norm > 0 {
        Kernels.copy(from: wj, to: destination, count: n)
        Kernels.scale(destination, by: 1 / norm, count: n)
        r[j * count + accepted] = norm
        accepted += 1
      } else if replaceDeficient {
        randomUnitRow(
          at: destination, orthogonalTo: firstNewRow + accepted, of: basis, using: &generator)
        accepted += 1
      }
    }
    return (accepted, r)
  }

  /// Fills `destination` with a random Gaussian row made orthonormal to rows `0..<rows`.
  static func randomUnitRow<S: TensorScalar>(
    at destination: UnsafeMutablePointer<S>, orthogonalTo rows: Int, of basis: RowBasis<S>,
    using generator: inout some RandomNumberGenerator
  ) {
    let n = basis.dimension
    precondition(rows < n, "no direction is left: \(rows) orthonormal rows in R^\(n)")
    for _ in 0..<8 {
      let sample: Tensor<S> = ProbeDistribution.gaussian.block(1, dimension: n, using: &generator)
      sample.withBase { Kernels.copy(from: $0, to: destination, count: n) }
      let before = Kernels.dot(destination, destination, count: n).squareRoot()
      projectOut(destination, count: 1, basis: basis, basisRows: rows)
      let after = Kernels.dot(destination, destination, count: n).squareRoot()
      if after > 1e-3 * before {
        Kernels.scale(destination, by: 1 / after, count: n)
        return
      }
    }
    preconditionFailure("could not draw a direction orthogonal to \(rows) rows in R^\(n)")
  }

  /// The relative norm below which a new direction counts as numerically dependent.
  static func breakdownTolerance<S: TensorScalar>(_: S.Type) -> Double {
    64 * Double(S.ulpOfOne)
  }
}
