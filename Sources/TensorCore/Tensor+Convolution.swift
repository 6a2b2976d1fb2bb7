// 2-D convolution (NCHW, groups = 1) by im2col + GEMM, and its two adjoints.

/// The geometry of a 2-D convolution or pooling window (PyTorch `nn.Conv2d` arguments).
public struct Convolution2DGeometry: Sendable, Equatable, Hashable {
  /// Window height and width.
  public var kernelHeight: Int, kernelWidth: Int
  /// Step between windows, vertically and horizontally.
  public var strideHeight: Int, strideWidth: Int
  /// Zero padding added on each side, vertically and horizontally.
  public var paddingHeight: Int, paddingWidth: Int
  /// Spacing between window elements (PyTorch `dilation`).
  public var dilationHeight: Int, dilationWidth: Int

  /// Creates a square geometry (PyTorch's integer arguments).
  public init(kernel: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1) {
    self.init(
      kernelHeight: kernel, kernelWidth: kernel, strideHeight: stride, strideWidth: stride,
      paddingHeight: padding, paddingWidth: padding, dilationHeight: dilation,
      dilationWidth: dilation)
  }

  /// Creates a geometry with separate vertical and horizontal values (PyTorch's tuple arguments).
  public init(
    kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
    paddingHeight: Int = 0, paddingWidth: Int = 0, dilationHeight: Int = 1, dilationWidth: Int = 1
  ) {
    precondition(
      kernelHeight > 0 && kernelWidth > 0 && strideHeight > 0 && strideWidth > 0
        && paddingHeight >= 0 && paddingWidth >= 0 && dilationHeight > 0 && dilationWidth > 0,
      "invalid window: kernel \(kernelHeight)x\(kernelWidth), stride \(strideHeight)x\(strideWidth), "
        + "padding \(paddingHeight)x\(paddingWidth), dilation \(dilationHeight)x\(dilationWidth)")
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.strideHeight = strideHeight
    self.strideWidth = strideWidth
    self.paddingHeight = paddingHeight
    self.paddingWidth = paddingWidth
    self.dilationHeight = dilationHeight
    self.dilationWidth = dilationWidth
  }

  /// The output height and width for an input of the given height and width
  /// (`floor((H + 2p - d(k - 1) - 1) / s) + 1`, as PyTorch).
  public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
    let h =
      (height + 2 * paddingHeight - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1
    let w = (width + 2 * paddingWidth - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1
    return (h, w)
  }
}

/// The valid output columns `lo..<hi` for one kernel offset along one axis: those whose input
/// coordinate `o * stride - padding + offset` lies in `0..<size`.
@inlinable
func validRange(outputs: Int, size: Int, stride: Int, start: Int) -> Range<Int> {
  // start = offset - padding; need 0 <= o * stride + start < size.
  let lo = start >= 0 ? 0 : (-start + stride - 1) / stride
  let hi = size - start <= 0 ? 0 : Swift.min(outputs, (size - start - 1) / stride + 1)
  return lo..<Swift.max(lo, hi)
}

extension Tensor {
  /// Unfolds one image `[C, H, W]` at `image` into columns `[C * kh * kw, Ho * Wo]` at `col`
  /// (PyTorch `F.unfold` for one image).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func im2col(
    _ image: UnsafePointer<Scalar>, channels: Int, height: Int, width: Int,
    geometry g: Convolution2DGeometry, outHeight: Int, outWidth: Int,
    into col: UnsafeMutablePointer<Scalar>
  ) {
    if let layout = PolyphaseLayout(geometry: g, height: height, width: width) {
      im2colPolyphase(
        image, channels: channels, layout: layout, outHeight: outHeight, outWidth: outWidth,
        into: col)
      return
    }
    let plane = outHeight * outWidth
    // Stride 1 with output rows as wide as input rows ("same" width padding).
    let sameWidthRows = g.strideHeight == 1 && g.strideWidth == 1 && outWidth == width
    var row = 0
    for c in 0..<channels {
      let channel = image + c * height * width
      for ki in 0..<g.kernelHeight {
        let rows = validRange(
          outputs: outHeight, size: height, stride: g.strideHeight,
          start: ki * g.dilationHeight - g.paddingHeight)
        for kj in 0..<g.kernelWidth {
          let startW = kj * g.dilationWidth - g.paddingWidth
          let cols = validRange(
            outputs: outWidth, size: width, stride: g.strideWidth, start: startW)
          let out = col + row * plane
          let (lo, hi) = (cols.lowerBound, cols.upperBound)
          if sameWidthRows {
            // Consecutive output rows read consecutive input rows: the block is one shifted
            // copy of the plane (one memmove instead of one per row), then the columns that
            // wrapped around are zeroed.
            out.update(repeating: 0, count: rows.lowerBound * outWidth)
            let valid = rows.count * outWidth
            let first =
              channel + (rows.lowerBound + ki * g.dilationHeight - g.paddingHeight) * width
              + startW
            let (skipStart, skipEnd) = (Swift.max(0, -startW), Swift.max(0, startW))
            if valid > skipStart + skipEnd {
              copyAvoidingPageAliasing(
                from: first + skipStart, to: out + rows.lowerBound * outWidth + skipStart,
                count: valid - skipStart - skipEnd)
            }
            // Column by column down the block: a per-row loop of one or two elements became a
            // memset call per row (13% of a gradient in calls and their loop).
            for ow in 0..<outWidth where ow < lo || ow >= hi {
              var o = out + rows.lowerBound * outWidth + ow
              for _ in rows {
                o.pointee = 0
                o += outWidth
              }
            }
            (out + rows.upperBound * outWidth).update(
              repeating: 0, count: (outHeight - rows.upperBound) * outWidth)
            row += 1
            continue
          }
          // Copies go through memmove (AVX in glibc; a Swift loop compiles to SSE at the default
          // target and measured 2x slower here); the padding edges are an element or two.
          for oh in 0..<outHeight {
            let o = out + oh * outWidth
            guard rows.contains(oh) else {
              o.update(repeating: 0, count: outWidth)
              continue
            }
            let source =
              channel + (oh * g.strideHeight + ki * g.dilationHeight - g.paddingHeight) * width
              + startW
            for ow in 0..<lo { o[ow] = 0 }
            if g.strideWidth == 1 {
              (o + lo).update(from: source + lo, count: hi - lo)
            } else {
              let s = g.strideWidth
              for ow in lo..<hi { o[ow] = source[ow * s] }
            }
            for ow in hi..<outWidth { o[ow] = 0 }
          }
          row += 1
        }
      }
    }
  }

  /// Adds columns `[C * kh * kw, Ho * Wo]` back into one image `[C, H, W]`: the adjoint of
  /// ``im2col`` (PyTorch `F.fold`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func col2imAccumulate(
    _ col: UnsafePointer<Scalar>, channels: Int, height: Int, width: Int,
    geometry g: Convolution2DGeometry, outHeight: Int, outWidth: Int,
    into image: UnsafeMutablePointer<Scalar>
  ) {
    if let layout = PolyphaseLayout(geometry: g, height: height, width: width) {
      col2imPolyphaseAccumulate(
        col, channels: channels, layout: layout, outHeight: outHeight, outWidth: outWidth,
        into: image)
      return
    }
    let plane = outHeight * outWidth
    var row = 0
    for c in 0..<channels {
      let channel = image + c * height * width
      for ki in 0..<g.kernelHeight {
        let rows = validRange(
          outputs: outHeight, size: height, stride: g.strideHeight,
          start: ki * g.dilationHeight - g.paddingHeight)
        for kj in 0..<g.kernelWidth {
          let startW = kj * g.dilationWidth - g.paddingWidth
          let cols = validRange(
            outputs: outWidth, size: width, stride: g.strideWidth, start: startW)
          let source = col + row * plane
          for oh in rows {
            let o = source + oh * outWidth
            let target =
              channel + (oh * g.strideHeight + ki * g.dilationHeight - g.paddingHeight) * width
            if g.strideWidth == 1 {
              let t = target + startW
              for ow in cols { t[ow] += o[ow] }
            } else {
              for ow in cols { target[ow * g.strideWidth + startW] += o[ow] }
            }
          }
          row += 1
        }
      }
    }
  }

  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func checkConvolution(
    input shape: [Int], weight: [Int], geometry: Convolution2DGeometry
  ) -> (n: Int, c: Int, h: Int, w: Int, o: Int, oh: Int, ow: Int) {
    precondition(shape.count == 4, "conv2d input must be [N, C, H, W], got \(shape)")
    precondition(weight.count == 4, "conv2d weight must be [O, C, kh, kw], got \(weight)")
    precondition(
      weight[1] == shape[1] && weight[2] == geometry.kernelHeight
        && weight[3] == geometry.kernelWidth,
      "conv2d weight \(weight) does not match input \(shape) with kernel \(geometry.kernelHeight)x\(geometry.kernelWidth)"
    )
    let (oh, ow) = geometry.outputSize(height: shape[2], width: shape[3])
    precondition(oh > 0 && ow > 0, "conv2d input \(shape) is smaller than the kernel window")
    return (shape[0], shape[1], shape[2], shape[3], weight[0], oh, ow)
  }

  /// 2-D cross-correlation of `self` `[N, C, H, W]` with `weight` `[O, C, kh, kw]`, plus an
  /// optional `bias` `[O]`, giving `[N, O, Ho, Wo]` (PyTorch `F.conv2d(input, weight, bias,
  /// stride, padding, dilation)`).
  ///
  /// Images are split across threads. Stride-1 convolutions with output rows as wide as the
  /// input's run one GEMM per kernel row over shifted copies of the image (``RowShiftPlan``);
  /// others unfold the image (im2col) for one GEMM. The output starts as the bias.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func conv2D(_ weight: Tensor, bias: Tensor? = nil, geometry: Convolution2DGeometry)
    -> Tensor
  {
    let d = Tensor.checkConvolution(input: shape, weight: weight.shape, geometry: geometry)
    let rows = d.c * geometry.kernelHeight * geometry.kernelWidth
    let plane = d.oh * d.ow
    let result = Tensor(uninitializedShape: [d.n, d.o, d.oh, d.ow])
    let input = UncheckedSendable(buffer.pointer)
    let output = UncheckedSendable(result.buffer.pointer)
    let w = UncheckedSendable(weight.buffer.pointer)
    if let bias {
      precondition(bias.shape == [d.o], "conv2d bias must be [\(d.o)], got \(bias.shape)")
    }
    let pb = UncheckedSendable(bias.map { UnsafePointer($0.buffer.pointer) })
    let pointwise = geometry == Convolution2DGeometry(kernel: 1)
    let plan = RowShiftPlan(geometry: geometry, channels: d.c, height: d.h, width: d.w)
    let shifted = plan.map { _ in weight.rowShiftKernel() }
    let pshifted = UncheckedSendable(shifted.map { UnsafePointer($0.buffer.pointer) })
    parallelFor(d.n) { images in
      let colScratch = Scratch<Scalar>(count: plan?.copySize ?? (pointwise ? 1 : rows * plane))
      let col = colScratch.pointer
      defer { colScratch.release() }
      for i in images {
        let image = input.value + i * d.c * d.h * d.w
        // With a bias, the output starts as the bias and the GEMM accumulates onto it (beta 1:
        // one pass over the output instead of BLAS's zeroing pass plus an addition pass).
        if let b = pb.value {
          Tensor.fillRows(b, rows: d.o, length: plane, into: output.value + i * d.o * plane)
        }
        if let plan, let weights = pshifted.value {
          Tensor.shiftedCopies(image, plan: plan, into: col)
          Tensor.rowShiftProduct(
            plan: plan, weights: weights, inner: plan.inner, outputs: d.o, copies: col,
            into: output.value + i * d.o * plane, accumulate: pb.value != nil,
            parallel: d.n == 1)
          continue
        }
        if !pointwise {
          Tensor.im2col(
            image, channels: d.c, height: d.h, width: d.w, geometry: geometry,
            outHeight: d.oh, outWidth: d.ow, into: col)
        }
        Tensor.gemm(
          transposeA: false, transposeB: false, m: d.o, n: plane, k: rows,
          a: w.value, lda: rows, b: pointwise ? image : col, ldb: plane,
          c: output.value + i * d.o * plane, ldc: plane, accumulate: pb.value != nil,
          parallel: d.n == 1)
      }
    }
    return result
  }

  /// `block[r, :] = values[r]` for a row-major block of `rows` rows of `length`.
  @inlinable
  static func fillRows(
    _ values: UnsafePointer<Scalar>, rows: Int, length: Int,
    into block: UnsafeMutablePointer<Scalar>
  ) {
    for r in 0..<rows { (block + r * length).update(repeating: values[r], count: length) }
  }

  /// `target[r, :] = source[r, :] + values[r]` for row-major blocks of `rows` rows of `length`
  /// (one pass instead of a copy and an addition).
  @inlinable
  static func copyRows(
    _ source: UnsafePointer<Scalar>, adding values: UnsafePointer<Scalar>, rows: Int, length: Int,
    into target: UnsafeMutablePointer<Scalar>
  ) {
    for r in 0..<rows {
      let (v, from, to) = (values[r], source + r * length, target + r * length)
      for j in 0..<length { to[j] = from[j] + v }
    }
  }

  /// The adjoint of ``conv2D(_:geometry:)`` with respect to its input: given `self` = the
  /// gradient of the output `[N, O, Ho, Wo]`, returns the gradient of the input `inputShape`
  /// (PyTorch `torch.nn.grad.conv2d_input`, a transposed convolution).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func conv2DInputAdjoint(
    weight: Tensor, inputShape: [Int], geometry: Convolution2DGeometry
  ) -> Tensor {
    let d = Tensor.checkConvolution(input: inputShape, weight: weight.shape, geometry: geometry)
    precondition(
      shape == [d.n, d.o, d.oh, d.ow],
      "conv2d output gradient \(shape) does not match [\(d.n), \(d.o), \(d.oh), \(d.ow)]")
    if let adjointGeometry = geometry.inputAdjointGeometry {
      // Stride 1: a forward convolution with the flipped kernel (Tensor+ConvolutionFlipped).
      return conv2D(weight.flippedTransposedKernel(), geometry: adjointGeometry)
    }
    let rows = d.c * geometry.kernelHeight * geometry.kernelWidth
    let plane = d.oh * d.ow
    let result = Tensor(zeros: inputShape)
    let gradient = UncheckedSendable(buffer.pointer)
    let output = UncheckedSendable(result.buffer.pointer)
    let w = UncheckedSendable(weight.buffer.pointer)
    let pointwise = geometry == Convolution2DGeometry(kernel: 1)
    parallelFor(d.n) { images in
      let colScratch = Scratch<Scalar>(count: pointwise ? 1 : rows * plane)
      let col = colScratch.pointer
      defer { colScratch.release() }
      for i in images {
        let image = output.value + i * d.c * d.h * d.w
        Tensor.gemm(
          transposeA: true, transposeB: false, m: rows, n: plane, k: d.o,
          a: w.value, lda: rows, b: gradient.value + i * d.o * plane, ldb: plane,
          c: pointwise ? image : col, ldc: plane, accumulate: false, parallel: d.n == 1)
        if !pointwise {
          Tensor.col2imAccumulate(
            col, channels: d.c, height: d.h, width: d.w, geometry: geometry,
            outHeight: d.oh, outWidth: d.ow, into: image)
        }
      }
    }
    return result
  }

  /// The adjoint of ``conv2D(_:geometry:)`` with respect to its weight: given `self` = the
  /// gradient of the output `[N, O, Ho, Wo]` and the convolution's `input`, returns the
  /// gradient of the weight `weightShape` (PyTorch `torch.nn.grad.conv2d_weight`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func conv2DWeightAdjoint(
    input: Tensor, weightShape: [Int], geometry: Convolution2DGeometry
  ) -> Tensor {
    let d = Tensor.checkConvolution(input: input.shape, weight: weightShape, geometry: geometry)
    precondition(
      shape == [d.n, d.o, d.oh, d.ow],
      "conv2d output gradient \(shape) does not match [\(d.n), \(d.o), \(d.oh), \(d.ow)]")
    let rows = d.c * geometry.kernelHeight * geometry.kernelWidth
    let plane = d.oh * d.ow
    let chunks = accumulationChunkCount(d.n)
    // Row-shift convolutions accumulate in the [kh, O, kw, C] layout of their GEMMs.
    let plan = RowShiftPlan(geometry: geometry, channels: d.c, height: d.h, width: d.w)
    let partialShape =
      plan == nil ? weightShape : [geometry.kernelHeight, d.o, geometry.kernelWidth, d.c]
    let partials = (0..<chunks).map { _ in Tensor(zeros: partialShape) }
    let gradient = UncheckedSendable(buffer.pointer)
    let source = UncheckedSendable(input.buffer.pointer)
    let pointwise = geometry == Convolution2DGeometry(kernel: 1)
    // One partial sum per fixed chunk of images, added in order: the same bits on every run.
    parallelForChunks(d.n) { chunk, images in
      let colScratch = Scratch<Scalar>(count: plan?.copySize ?? (pointwise ? 1 : rows * plane))
      let col = colScratch.pointer
      defer { colScratch.release() }
      for i in images {
        let image = source.value + i * d.c * d.h * d.w
        Tensor.unfold(
          image, plan: plan, channels: d.c, height: d.h, width: d.w, geometry: geometry,
          outHeight: d.oh, outWidth: d.ow, into: col)
        if let plan {
          Tensor.rowShiftWeightProduct(
            plan: plan, gradient: gradient.value + i * d.o * plane, outputs: d.o, copies: col,
            into: partials[chunk].buffer.pointer, parallel: chunks == 1)
          continue
        }
        Tensor.gemm(
          transposeA: false, transposeB: true, m: d.o, n: rows, k: plane,
          a: gradient.value + i * d.o * plane, lda: plane, b: pointwise ? image : col, ldb: plane,
          c: partials[chunk].buffer.pointer, ldc: rows, accumulate: true,
          parallel: chunks == 1)
      }
    }
    var result = partials[0]
    for p in partials.dropFirst() { result += p }
    return plan == nil ? result : result.fromRowShiftKernel()
  }
}
