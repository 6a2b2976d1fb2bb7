// Stride-1 convolutions whose output rows are as wide as the input rows (3x3 with padding 1,
// and every "same" convolution) computed from kw shifted copies of the input instead of the
// kh * kw rows of im2col.
//
// With S[kj, c, h, w] = x[c, h, w + kj * dw - pw] (zero outside), output row r reads input
// row r + ki * dh - ph through kernel row ki, and the rows (kj, c) of S lie H * W apart. So for
// each kernel row ki, `y[:, rows reached by ki] += W_ki S[:, :, shifted rows]` is one GEMM with
// inner dimension kw * C over a window of S (W_ki[o, kj * C + c] = w[o, c, ki, kj]). The input
// is copied kw times instead of kh * kw times (3 instead of 9 for 3x3); the price is kh GEMMs
// with a third of the inner dimension, which measured as fast as one (OpenBLAS, C = O = 16-64).

/// How a stride-1, same-width convolution runs as one GEMM per kernel row over shifted copies
/// of the input (see the file comment), or nil for other geometries.
@usableFromInline
struct RowShiftPlan: Sendable {
  @usableFromInline let geometry: Convolution2DGeometry
  @usableFromInline let channels: Int, height: Int, width: Int, outHeight: Int
  /// For each kernel row, the output rows it reaches.
  @usableFromInline let outputRows: [Range<Int>]
  /// Kernel rows in the order their GEMMs run: a row reaching every output row comes first so
  /// its GEMM can overwrite the output (`firstCoversAll`).
  @usableFromInline let order: [Int]
  @usableFromInline let firstCoversAll: Bool

  @inlinable
  init?(geometry g: Convolution2DGeometry, channels: Int, height: Int, width: Int) {
    let (oh, ow) = g.outputSize(height: height, width: width)
    guard g.strideHeight == 1 && g.strideWidth == 1 && ow == width && oh > 0,
      g != Convolution2DGeometry(kernel: 1)
    else { return nil }
    geometry = g
    (self.channels, self.height, self.width, outHeight) = (channels, height, width, oh)
    let ranges = (0..<g.kernelHeight).map {
      validRange(
        outputs: oh, size: height, stride: 1, start: $0 * g.dilationHeight - g.paddingHeight)
    }
    outputRows = ranges
    let full = ranges.firstIndex { $0 == 0..<oh }
    order = full.map { f in [f] + (0..<g.kernelHeight).filter { $0 != f } } ?? Array(ranges.indices)
    firstCoversAll = full != nil
  }

  /// The elements of one image's shifted copies, `[kw, C, H, W]`.
  @inlinable var copySize: Int { geometry.kernelWidth * channels * height * width }
  /// The inner dimension of each GEMM for one operand, `kw * C`.
  @inlinable var inner: Int { geometry.kernelWidth * channels }
}

extension Tensor {
  /// Unfolds one image `[C, H, W]` for a convolution's products: the shifted copies of `plan`
  /// when there is one, else im2col columns; a pointwise convolution (1x1, stride 1) reads the
  /// image itself and leaves `col` untouched.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func unfold(
    _ image: UnsafePointer<Scalar>, plan: RowShiftPlan?, channels: Int, height: Int, width: Int,
    geometry g: Convolution2DGeometry, outHeight: Int, outWidth: Int,
    into col: UnsafeMutablePointer<Scalar>
  ) {
    if let plan {
      shiftedCopies(image, plan: plan, into: col)
    } else if !pointwise(g) {
      im2col(
        image, channels: channels, height: height, width: width, geometry: g,
        outHeight: outHeight, outWidth: outWidth, into: col)
    }
  }

  /// Writes `S[kj, c, h, w] = image[c, h, w + kj * dw - pw]` (zero outside the image) for
  /// one image `[C, H, W]`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func shiftedCopies(
    _ image: UnsafePointer<Scalar>, plan: RowShiftPlan, into copies: UnsafeMutablePointer<Scalar>
  ) {
    let (h, w, g) = (plan.height, plan.width, plan.geometry)
    let size = plan.channels * h * w
    for kj in 0..<g.kernelWidth {
      let shift = kj * g.dilationWidth - g.paddingWidth
      let target = copies + kj * size
      // One copy of the whole block moved by `shift`; the columns that wrapped across a row end
      // (or were never written, at the two ends) are then zeroed, column by column.
      let (lead, trail) = (Swift.max(0, -shift), Swift.max(0, shift))
      if size > lead + trail {
        copyAvoidingPageAliasing(
          from: image + lead + shift, to: target + lead, count: size - lead - trail)
      }
      let valid = validRange(outputs: w, size: w, stride: 1, start: shift)
      for column in 0..<w where !valid.contains(column) {
        var p = target + column
        for _ in 0..<plan.channels * h {
          p.pointee = 0
          p += w
        }
      }
    }
  }

  /// The kernel `[..., O, C, kh, kw]` reordered to `[..., kh, O, kw, C]`: for each kernel row,
  /// the GEMM operand `W_ki[o, kj * C + c]` of a ``RowShiftPlan``; leading axes are kept.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  func rowShiftKernel() -> Tensor {
    let r = rank
    return permuted(Array(0..<r - 4) + [r - 2, r - 4, r - 1, r - 3])
  }

  /// `output[outputs, Ho * W] (+)= sum over kernel rows of W_ki S-window`: one GEMM per kernel
  /// row. `weights` is `[kh, outputs, inner]` (inner a multiple of `kw * C`, operands stacked
  /// along it), `copies` the matching stacked shifted copies. Overwrites the output unless
  /// `accumulate`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func rowShiftProduct(
    plan: RowShiftPlan, weights: UnsafePointer<Scalar>, inner: Int, outputs: Int,
    copies: UnsafePointer<Scalar>, into output: UnsafeMutablePointer<Scalar>, accumulate: Bool,
    parallel: Bool
  ) {
    let (w, g) = (plan.width, plan.geometry)
    let plane = plan.outHeight * w
    var initialized = accumulate
    if !initialized && !plan.firstCoversAll {
      output.update(repeating: 0, count: outputs * plane)
      initialized = true
    }
    for ki in plan.order {
      let rows = plan.outputRows[ki]
      if rows.isEmpty { continue }
      let inputRow = rows.lowerBound + ki * g.dilationHeight - g.paddingHeight
      gemm(
        transposeA: false, transposeB: false, m: outputs, n: rows.count * w, k: inner,
        a: weights + ki * outputs * inner, lda: inner, b: copies + inputRow * w,
        ldb: plan.height * w, c: output + rows.lowerBound * w, ldc: plane,
        accumulate: initialized, parallel: parallel)
      initialized = true
    }
  }
}

extension Tensor {
  /// The inverse of ``rowShiftKernel()``: `[..., kh, O, kw, C]` back to `[..., O, C, kh, kw]`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  func fromRowShiftKernel() -> Tensor {
    let r = rank
    return permuted(Array(0..<r - 4) + [r - 3, r - 1, r - 4, r - 2])
  }

  /// `kernel[ki] += gradient[:, rows reached by ki] S-window^T` for each kernel row: the weight
  /// adjoint of one image in the layout of ``rowShiftKernel()`` (`kernel` is
  /// `[kh, outputs, copyRows]`, `gradient` the image's output gradient `[outputs, Ho * W]`,
  /// `copies` has `copyRows` rows, by default `kw * C`: one image's shifted copies).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func rowShiftWeightProduct(
    plan: RowShiftPlan, gradient: UnsafePointer<Scalar>, outputs: Int,
    copies: UnsafePointer<Scalar>, copyRows: Int? = nil,
    into kernel: UnsafeMutablePointer<Scalar>, parallel: Bool
  ) {
    let (w, g, inner) = (plan.width, plan.geometry, copyRows ?? plan.inner)
    let plane = plan.outHeight * w
    for ki in 0..<g.kernelHeight {
      let rows = plan.outputRows[ki]
      if rows.isEmpty { continue }
      let inputRow = rows.lowerBound + ki * g.dilationHeight - g.paddingHeight
      gemm(
        transposeA: false, transposeB: true, m: outputs, n: inner, k: rows.count * w,
        a: gradient + rows.lowerBound * w, lda: plane, b: copies + inputRow * w,
        ldb: plan.height * w, c: kernel + ki * outputs * inner, ldc: inner, accumulate: true,
        parallel: parallel)
    }
  }
}
