// Matrix products through BLAS, split across cores for large products.

extension Tensor {
  /// The matrix product `op(self) x op(other)`, where `op` transposes when asked
  /// (PyTorch `a @ b`, `a.T @ b`, ...).
  ///
  /// Large products are split by rows across ``Parallelism/threadCount`` threads, each calling a
  /// single-threaded BLAS `gemm`.
  ///
  /// - Precondition: both are matrices and the inner dimensions agree.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func matmul(
    _ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false
  ) -> Tensor {
    precondition(
      rank == 2 && other.rank == 2,
      "matmul needs two matrices, got shapes \(shape) and \(other.shape)")
    let m = transposeSelf ? shape[1] : shape[0]
    let k = transposeSelf ? shape[0] : shape[1]
    let k2 = transposeOther ? other.shape[1] : other.shape[0]
    let n = transposeOther ? other.shape[0] : other.shape[1]
    precondition(
      k == k2,
      "matmul inner dimensions differ: \(shape)\(transposeSelf ? "ᵀ" : "") x "
        + "\(other.shape)\(transposeOther ? "ᵀ" : "")")
    let result = Tensor(uninitializedShape: [m, n])
    Tensor.gemm(
      transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
      a: buffer.pointer, lda: shape[1], b: other.buffer.pointer, ldb: other.shape[1],
      c: result.buffer.pointer, ldc: n, accumulate: false)
    return result
  }

  /// `C (+)= op(A) op(B)` on row-major pointers, split by rows of `C` across threads when the
  /// product is large enough to pay for it.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    a: UnsafePointer<Scalar>, lda: Int, b: UnsafePointer<Scalar>, ldb: Int,
    c: UnsafeMutablePointer<Scalar>, ldc: Int, accumulate: Bool, parallel: Bool = true
  ) {
    if m == 0 || n == 0 { return }
    if k == 0 {
      if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
      return
    }
    let flops = 2 * m * n * k
    let workers = parallel ? Swift.min(Parallelism.threadCount, Swift.max(1, flops / 4_000_000)) : 1
    let beta: Scalar = accumulate ? 1 : 0
    if workers <= 1 || (m < 2 * workers && n < 2 * workers) {
      Scalar.gemm(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
        a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
      return
    }
    let pa = UncheckedSendable(a)
    let pb = UncheckedSendable(b)
    let pc = UncheckedSendable(c)
    if m >= n {
      parallelFor(m, minimumChunk: Swift.max(1, m / workers)) { rows in
        let aStart = transposeA ? pa.value + rows.lowerBound : pa.value + rows.lowerBound * lda
        Scalar.gemm(
          transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k, alpha: 1,
          a: aStart, lda: lda, b: pb.value, ldb: ldb, beta: beta,
          c: pc.value + rows.lowerBound * ldc, ldc: ldc)
      }
    } else {
      parallelFor(n, minimumChunk: Swift.max(1, n / workers)) { cols in
        let bStart = transposeB ? pb.value + cols.lowerBound * ldb : pb.value + cols.lowerBound
        Scalar.gemm(
          transposeA: transposeA, transposeB: transposeB, m: m, n: cols.count, k: k, alpha: 1,
          a: pa.value, lda: lda, b: bStart, ldb: ldb, beta: beta,
          c: pc.value + cols.lowerBound, ldc: ldc)
      }
    }
  }
}

extension Tensor {
  /// The batched matrix product `op(A_i) op(B_i)` for each `i` of a leading batch axis: `a` is `[ba, r, c]` and `b` is
  /// `[bb, r', c']` with `ba` and `bb` equal or 1 (broadcast)
  /// (PyTorch `torch.bmm` with broadcasting).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public static func batchedMatmul(
    _ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool
  ) -> Tensor {
    let batch = Swift.max(a.shape[0], b.shape[0])
    precondition(
      a.rank == 3 && b.rank == 3 && (a.shape[0] == batch || a.shape[0] == 1)
        && (b.shape[0] == batch || b.shape[0] == 1),
      "batched matmul shapes \(a.shape) and \(b.shape) do not match")
    let m = transposeA ? a.shape[2] : a.shape[1]
    let k = transposeA ? a.shape[1] : a.shape[2]
    let n = transposeB ? b.shape[1] : b.shape[2]
    precondition(
      k == (transposeB ? b.shape[2] : b.shape[1]),
      "batched matmul inner dimensions differ: \(a.shape), \(b.shape)")
    // gemm writes every element (zeros when k == 0): no fill first.
    var result = Tensor(uninitializedShape: [batch, m, n])
    let aStride = a.shape[0] == 1 ? 0 : a.shape[1] * a.shape[2]
    let bStride = b.shape[0] == 1 ? 0 : b.shape[1] * b.shape[2]
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        result.withUnsafeMutableBufferPointer { pc in
          let ua = UncheckedSendable(pa.baseAddress!)
          let ub = UncheckedSendable(pb.baseAddress!)
          let uc = UncheckedSendable(pc.baseAddress!)
          let small = 2 * m * n * k < 4_000_000
          parallelFor(batch, minimumChunk: small ? 1 : batch) { range in
            for i in range {
              Tensor.gemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                a: ua.value + i * aStride, lda: a.shape[2], b: ub.value + i * bStride,
                ldb: b.shape[2], c: uc.value + i * m * n, ldc: n, accumulate: false,
                parallel: !small)
            }
          }
        }
      }
    }
    return result
  }
}
