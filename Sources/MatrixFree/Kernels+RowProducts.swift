// Products of a few rows with many basis rows, memory-bound: the GEMV-shaped work of
// reorthogonalizing one (or a few) vectors against the basis.
//
// A note on why not GEMM. For one row (M = 1), OpenBLAS 0.3.21 (Debian bookworm) runs sgemm
// by packing the whole [m, n] basis into panels and padding the micro-kernel to its tile
// height: each product costs about three sweeps over the basis and wasted arithmetic (measured:
// 95% of SLQ's time in sgemm_incopy/itcopy/kernel at n = 270,000). These loops read each
// basis row once per call, in column chunks that keep the few rows of W in L1, and sum in the
// working precision over a chunk of 2048 columns (16 lanes x 2 accumulators: 64 terms per
// lane) and in Double across chunks. For more than `maxRows` rows GEMM's arithmetic rate wins.

import TensorCore

extension Kernels {
  /// Blocks of at most this many rows use these loops; wider blocks use GEMM.
  static let maxRowsForRowProducts = 4
  static let rowProductChunk = 2048

  /// `c[i * rows + l] = w_i . v_l` for the `count` rows `w_i` and `rows` rows `v_l`
  /// (row stride `n`), accumulated in Double across column chunks.
  static func rowProducts<S: TensorScalar>(
    _ w: UnsafePointer<S>, count: Int, _ v: UnsafePointer<S>, rows: Int, n: Int,
    into c: UnsafeMutablePointer<Double>
  ) {
    if S.self == Float.self {
      rowProductsLoop(w.rebound(Float.self), count, v.rebound(Float.self), rows, n, c)
    } else if S.self == Double.self {
      rowProductsLoop(w.rebound(Double.self), count, v.rebound(Double.self), rows, n, c)
    } else {
      for i in 0..<count {
        for l in 0..<rows { c[i * rows + l] = dot(w + i * n, v + l * n, count: n) }
      }
    }
  }

  /// `w_i -= sum_l c[i * rows + l] v_l`.
  static func subtractRowCombinations<S: TensorScalar>(
    _ c: UnsafePointer<Double>, count: Int, _ v: UnsafePointer<S>, rows: Int, n: Int,
    from w: UnsafeMutablePointer<S>
  ) {
    if S.self == Float.self {
      subtractLoop(c, count, v.rebound(Float.self), rows, n, w.rebound(Float.self))
    } else if S.self == Double.self {
      subtractLoop(c, count, v.rebound(Double.self), rows, n, w.rebound(Double.self))
    } else {
      for i in 0..<count {
        for l in 0..<rows { axpy(-c[i * rows + l], v + l * n, w + i * n, count: n) }
      }
    }
  }

  @inline(__always)
  static func rowProductsLoop<T: BinaryFloatingPoint & SIMDScalar>(
    _ w: UnsafePointer<T>, _ count: Int, _ v: UnsafePointer<T>, _ rows: Int, _ n: Int,
    _ c: UnsafeMutablePointer<Double>
  ) {
    c.update(repeating: 0, count: count * rows)
    var start = 0
    while start < n {
      let width = Swift.min(rowProductChunk, n - start)
      for l in 0..<rows {
        let vl = v + l * n + start
        for i in 0..<count {
          c[i * rows + l] += Double(chunkDot(w + i * n + start, vl, width))
        }
      }
      start += width
    }
  }

  @inline(__always)
  static func subtractLoop<T: BinaryFloatingPoint & SIMDScalar>(
    _ c: UnsafePointer<Double>, _ count: Int, _ v: UnsafePointer<T>, _ rows: Int, _ n: Int,
    _ w: UnsafeMutablePointer<T>
  ) {
    var start = 0
    while start < n {
      let width = Swift.min(rowProductChunk, n - start)
      for l in 0..<rows {
        let vl = v + l * n + start
        for i in 0..<count {
          let alpha = T(-c[i * rows + l])
          let wi = w + i * n + start
          for j in 0..<width { wi[j] += alpha * vl[j] }
        }
      }
      start += width
    }
  }

  /// `sum_j a[j] b[j]` in the working precision with 2 x 16 lanes (for `count` up to a chunk).
  @inline(__always)
  static func chunkDot<T: BinaryFloatingPoint & SIMDScalar>(
    _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ count: Int
  ) -> T {
    let stride = MemoryLayout<SIMD16<T>>.stride
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    var s0 = SIMD16<T>()
    var s1 = SIMD16<T>()
    var j = 0
    while j + 32 <= count {
      let offset = j * MemoryLayout<T>.stride
      s0 +=
        ra.loadUnaligned(fromByteOffset: offset, as: SIMD16<T>.self)
        * rb.loadUnaligned(fromByteOffset: offset, as: SIMD16<T>.self)
      s1 +=
        ra.loadUnaligned(fromByteOffset: offset + stride, as: SIMD16<T>.self)
        * rb.loadUnaligned(fromByteOffset: offset + stride, as: SIMD16<T>.self)
      j += 32
    }
    var total = (s0 + s1).sum()
    while j < count {
      total += a[j] * b[j]
      j += 1
    }
    return total
  }
}
