// Directional derivatives of a convolution and of its two adjoints, for k directions at once,
// written straight into the [k, N, ...] layout of tangents.
//
// Each is bilinear, so its tangent is a sum of two terms, e.g. d conv(x, w) = conv(dx, w) +
// conv(x, dw). Per image n and direction k both terms are GEMMs accumulating into the same
// output block, the unfolded image of x_n is shared by all k directions, and nothing of size
// k * N * C * H * W is allocated besides the result (the composition of ordinary
// convolutions needed permuted copies and an addition pass over every tangent).

/// The most scratch memory per thread (bytes) that grouping all k directions into one GEMM may
/// take; larger problems go direction by direction.
@usableFromInline let batchedScratchLimit = 32 << 20

extension Tensor {
  @inlinable
  static func pointwise(_ g: Convolution2DGeometry) -> Bool {
    g == Convolution2DGeometry(kernel: 1)
  }

  /// The direction count `k` shared by the given tangents (nil ones are zero), checking that
  /// each is `[k] + shape` of its primal and that at least one is present.
  @inlinable
  static func directionCount(
    _ tangents: [(name: String, tangent: Tensor?, primal: [Int])], in function: String
  ) -> Int {
    guard let k = tangents.lazy.compactMap({ $0.tangent?.shape.first }).first else {
      preconditionFailure("\(function) needs at least one tangent")
    }
    for (name, tangent, primal) in tangents {
      if let tangent {
        precondition(
          tangent.shape == [k] + primal,
          "\(function): \(name) tangent \(tangent.shape) is not [\(k)] + \(primal)")
      }
    }
    return k
  }

  /// `[k, rows, 2 * columns]` whose slice `j` is `[a | b_j]`: the matrix `a` (`rows` rows,
  /// `a.count / rows` columns) beside slice `j` of `b` (`[k] + a.shape`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func stackedColumns(_ a: Tensor, _ b: Tensor, rows: Int, k: Int) -> Tensor {
    let columns = a.count / rows
    let result = Tensor(uninitializedShape: [k, rows, 2 * columns])
    let (pa, pb, pr) = (a.buffer.pointer, b.buffer.pointer, result.buffer.pointer)
    for j in 0..<k {
      for r in 0..<rows {
        let row = pr + (j * rows + r) * 2 * columns
        row.update(from: pa + r * columns, count: columns)
        (row + columns).update(from: pb + (j * rows + r) * columns, count: columns)
      }
    }
    return result
  }

  /// `conv(dx, w) + conv(x, dw) + db` for `k` directions: `dx` is `[k, N, C, H, W]`, `dw` is
  /// `[k, O, C, kh, kw]` and `db` (a bias tangent) `[k, O]`; each may be nil, meaning zero;
  /// returns `[k, N, O, Ho, Wo]`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public static func conv2DTangent(
    input x: Tensor, inputTangent dx: Tensor?, weight w: Tensor, weightTangent dw: Tensor?,
    biasTangent db: Tensor? = nil, geometry g: Convolution2DGeometry
  ) -> Tensor {
    let d = checkConvolution(input: x.shape, weight: w.shape, geometry: g)
    let k = directionCount(
      [("input", dx, x.shape), ("weight", dw, w.shape), ("bias", db, [d.o])],
      in: "conv2DTangent")
    let pdb = UncheckedSendable(db.map { UnsafePointer($0.buffer.pointer) })
    let rows = d.c * g.kernelHeight * g.kernelWidth
    let plane = d.oh * d.ow
    let imageSize = d.c * d.h * d.w
    let outSize = d.o * plane
    let result = Tensor(uninitializedShape: [k, d.n, d.o, d.oh, d.ow])
    let flat = pointwise(g)
    // Stride-1 same-width convolutions unfold into shifted copies (Tensor+ConvolutionRowShift)
    // with kernels reordered to match; the others into im2col columns.
    let plan = RowShiftPlan(geometry: g, channels: d.c, height: d.h, width: d.w)
    let (kernel, kernelTangent) =
      plan == nil ? (w, dw) : (w.rowShiftKernel(), dw?.rowShiftKernel())
    let unit = plan?.inner ?? rows  // the inner dimension of one operand
    let slab = (plan == nil ? 1 : g.kernelHeight) * d.o * unit  // one direction's kernel
    let span = plan?.copySize ?? (flat ? 0 : rows * plane)  // one unfolded image
    // conv(x_n, dw_j) for all k directions is one product with k * O output rows: the unfolded
    // x_n is packed by BLAS once instead of k times; each direction's block is then copied out
    // (adding the bias tangent) and conv(dx_j,n, w) accumulated onto it.
    let batched =
      dw != nil && k > 1 && !flat
      && k * outSize * MemoryLayout<Scalar>.stride <= batchedScratchLimit
    let allDirections: Tensor? =
      batched ? (plan == nil ? kernelTangent : kernelTangent?.permuted([1, 0, 2, 3, 4])) : nil
    // Otherwise, with both tangents, direction j is one product over a stacked inner dimension:
    // [w | dw_j] times [unfold(dx_j,n); unfold(x_n)], so the output block is written once
    // instead of written and then read back for a second, accumulating product.
    let stackedWeights: Tensor? =
      dx != nil && dw != nil && !flat && !batched
      ? stackedColumns(kernel, kernelTangent!, rows: slab / unit, k: k) : nil
    let px = UncheckedSendable(x.buffer.pointer)
    let pdx = UncheckedSendable(dx?.buffer.pointer)
    let pw = UncheckedSendable(UnsafePointer(kernel.buffer.pointer))
    let pdw = UncheckedSendable(kernelTangent.map { UnsafePointer($0.buffer.pointer) })
    let pall = UncheckedSendable(allDirections.map { UnsafePointer($0.buffer.pointer) })
    let pstacked = UncheckedSendable(stackedWeights.map { UnsafePointer($0.buffer.pointer) })
    let out = UncheckedSendable(result.buffer.pointer)
    parallelFor(d.n) { images in
      // The unfolded dx_{j,n}, the unfolded x_n, and conv(x_n, dw_j) for every j.
      let scratch = Scratch<Scalar>(count: Swift.max(1, 2 * span + (batched ? k * outSize : 0)))
      let (colDX, colX, batch) = (
        scratch.pointer, scratch.pointer + span, scratch.pointer + 2 * span
      )
      defer { scratch.release() }
      func unfold(_ image: UnsafePointer<Scalar>, into col: UnsafeMutablePointer<Scalar>) {
        Tensor.unfold(
          image, plan: plan, channels: d.c, height: d.h, width: d.w, geometry: g,
          outHeight: d.oh, outWidth: d.ow, into: col)
      }
      // target (+)= a b with `outputs` rows and inner size `inner`.
      func product(
        _ a: UnsafePointer<Scalar>, _ inner: Int, _ b: UnsafePointer<Scalar>, outputs: Int,
        into target: UnsafeMutablePointer<Scalar>, accumulate: Bool
      ) {
        if let plan {
          rowShiftProduct(
            plan: plan, weights: a, inner: inner, outputs: outputs, copies: b, into: target,
            accumulate: accumulate, parallel: false)
        } else {
          gemm(
            transposeA: false, transposeB: false, m: outputs, n: plane, k: inner, a: a,
            lda: inner, b: b, ldb: plane, c: target, ldc: plane, accumulate: accumulate,
            parallel: false)
        }
      }
      for n in images {
        let image = UnsafePointer(px.value + n * imageSize)
        if pdw.value != nil { unfold(image, into: colX) }
        if let all = pall.value {
          product(all, unit, colX, outputs: k * d.o, into: batch, accumulate: false)
        }
        for j in 0..<k {
          let target = out.value + (j * d.n + n) * outSize
          var accumulate = false
          if batched {
            let block = UnsafePointer(batch + j * outSize)
            if let pdb = pdb.value {
              copyRows(block, adding: pdb + j * d.o, rows: d.o, length: plane, into: target)
            } else {
              copyAvoidingPageAliasing(from: block, to: target, count: outSize)
            }
            accumulate = true
          } else if let pdb = pdb.value {
            fillRows(pdb + j * d.o, rows: d.o, length: plane, into: target)
            accumulate = true
          }
          let tangentImage = pdx.value.map { UnsafePointer($0 + (j * d.n + n) * imageSize) }
          if let tangentImage { unfold(tangentImage, into: colDX) }
          // The remaining terms as (weights, inner size, columns), one product each.
          var terms: [(UnsafePointer<Scalar>, Int, UnsafePointer<Scalar>)] = []
          if let stacked = pstacked.value {
            terms = [(stacked + j * 2 * slab, 2 * unit, UnsafePointer(colDX))]
          } else {
            if let tangentImage {
              terms.append((pw.value, unit, flat ? tangentImage : UnsafePointer(colDX)))
            }
            if let pdw = pdw.value, !batched {
              terms.append((pdw + j * slab, unit, flat ? image : UnsafePointer(colX)))
            }
          }
          for (a, inner, b) in terms {
            product(a, inner, b, outputs: d.o, into: target, accumulate: accumulate)
            accumulate = true
          }
          if !accumulate { target.update(repeating: 0, count: outSize) }
        }
      }
    }
    return result
  }

  /// The tangent of the input adjoint `adj(gy, w)`: `adj(dgy, w) + adj(gy, dw)` for `k`
  /// directions; `dgy` is `[k, N, O, Ho, Wo]`, `dw` is `[k, O, C, kh, kw]` (either may be nil);
  /// returns `[k] + inputShape`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public static func conv2DInputAdjointTangent(
    outputGradient gy: Tensor, outputGradientTangent dgy: Tensor?, weight w: Tensor,
    weightTangent dw: Tensor?, inputShape: [Int], geometry g: Convolution2DGeometry
  ) -> Tensor {
    let d = checkConvolution(input: inputShape, weight: w.shape, geometry: g)
    precondition(
      gy.shape == [d.n, d.o, d.oh, d.ow],
      "output gradient \(gy.shape) does not match the convolution")
    let k = directionCount(
      [("output gradient", dgy, gy.shape), ("weight", dw, w.shape)],
      in: "conv2DInputAdjointTangent")
    if let adjointGeometry = g.inputAdjointGeometry {
      // Stride 1: the tangent of a forward convolution with flipped kernels
      // (Tensor+ConvolutionFlipped): conv(dgy, w') + conv(gy, dw').
      return conv2DTangent(
        input: gy, inputTangent: dgy, weight: w.flippedTransposedKernel(),
        weightTangent: dw?.flippedTransposedKernel(), geometry: adjointGeometry)
    }
    let rows = d.c * g.kernelHeight * g.kernelWidth
    let plane = d.oh * d.ow
    let imageSize = d.c * d.h * d.w
    let outSize = d.o * plane
    let flat = pointwise(g)
    let result =
      flat ? Tensor(uninitializedShape: [k] + inputShape) : Tensor(zeros: [k] + inputShape)
    let pgy = UncheckedSendable(gy.buffer.pointer)
    let pdgy = UncheckedSendable(dgy?.buffer.pointer)
    let pw = UncheckedSendable(w.buffer.pointer)
    let pdw = UncheckedSendable(dw?.buffer.pointer)
    let out = UncheckedSendable(result.buffer.pointer)
    parallelFor(d.n) { images in
      let colScratch = Scratch<Scalar>(count: flat ? 1 : rows * plane)
      let col = colScratch.pointer
      defer { colScratch.release() }
      for n in images {
        for j in 0..<k {
          let target = out.value + (j * d.n + n) * imageSize
          let c = flat ? target : col
          var accumulate = false
          if let pdgy = pdgy.value {
            gemm(
              transposeA: true, transposeB: false, m: rows, n: plane, k: d.o, a: pw.value,
              lda: rows,
              b: pdgy + (j * d.n + n) * outSize, ldb: plane, c: c, ldc: plane, accumulate: false,
              parallel: false)
            accumulate = true
          }
          if let pdw = pdw.value {
            gemm(
              transposeA: true, transposeB: false, m: rows, n: plane, k: d.o,
              a: pdw + j * d.o * rows,
              lda: rows, b: pgy.value + n * outSize, ldb: plane, c: c, ldc: plane,
              accumulate: accumulate,
              parallel: false)
          }
          if !flat {
            col2imAccumulate(
              col, channels: d.c, height: d.h, width: d.w, geometry: g, outHeight: d.oh,
              outWidth: d.ow, into: target)
          }
        }
      }
    }
    return result
  }

  /// The tangent of the weight adjoint `adj(gy, x)`: `adj(dgy, x) + adj(gy, dx)` for `k`
  /// directions; `dgy` is `[k, N, O, Ho, Wo]`, `dx` is `[k, N, C, H, W]` (either may be nil);
  /// returns `[k] + weightShape`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public static func conv2DWeightAdjointTangent(
    outputGradient gy: Tensor, outputGradientTangent dgy: Tensor?, input x: Tensor,
    inputTangent dx: Tensor?, weightShape: [Int], geometry g: Convolution2DGeometry
  ) -> Tensor {
    let d = checkConvolution(input: x.shape, weight: weightShape, geometry: g)
    precondition(
      gy.shape == [d.n, d.o, d.oh, d.ow],
      "output gradient \(gy.shape) does not match the convolution")
    let k = directionCount(
      [("output gradient", dgy, gy.shape), ("input", dx, x.shape)],
      in: "conv2DWeightAdjointTangent")
    if k > 1, let dx, !pointwise(g), let flipped = g.inputAdjointGeometry {
      // adj(gy, dx_j) is the flipped convolution's weight adjoint with the roles of the two
      // operands exchanged: <gy, conv(dx_j, w)> = <conv(gy, w'), dx_j> with w' the flipped,
      // transposed kernel, so adj(gy, dx_j) = flip(adj'(dx_j, gy)). Batched, that unfolds gy_n
      // once for all k directions and multiplies it by the k blocks dx_j,n stacked (k * C
      // rows), instead of unfolding every dx_j,n for a product with O rows (l1 of ResNet-20:
      // 44 against 75 GFLOP/s for one core's GEMM alone).
      let exchanged = conv2DWeightAdjointTangent(
        outputGradient: x, outputGradientTangent: dx, input: gy, inputTangent: nil,
        weightShape: [d.c, d.o, g.kernelHeight, g.kernelWidth], geometry: flipped
      ).flippedTransposedKernel()
      guard let dgy else { return exchanged }
      return conv2DWeightAdjointTangent(
        outputGradient: gy, outputGradientTangent: dgy, input: x, inputTangent: nil,
        weightShape: weightShape, geometry: g) + exchanged
    }
    let unfolded =
      RowShiftPlan(geometry: g, channels: d.c, height: d.h, width: d.w)?.copySize
      ?? d.c * g.kernelHeight * g.kernelWidth * d.oh * d.ow
    if k > 1 && !pointwise(g)
      && k * unfolded * MemoryLayout<Scalar>.stride <= batchedScratchLimit
    {
      return conv2DWeightAdjointTangentBatched(
        outputGradient: gy, outputGradientTangent: dgy, input: x, inputTangent: dx,
        weightShape: weightShape, geometry: g, k: k)
    }
    let rows = d.c * g.kernelHeight * g.kernelWidth
    let plane = d.oh * d.ow
    let imageSize = d.c * d.h * d.w
    let outSize = d.o * plane
    let weightSize = d.o * rows
    let flat = pointwise(g)
    // Row-shift convolutions accumulate in the [kh, O, kw, C] layout of their GEMMs.
    let plan = RowShiftPlan(geometry: g, channels: d.c, height: d.h, width: d.w)
    let partialShape =
      plan == nil ? weightShape : [g.kernelHeight, d.o, g.kernelWidth, d.c]
    let span = plan?.copySize ?? (flat ? 0 : rows * plane)  // one unfolded image
    let partials = (0..<accumulationChunkCount(d.n)).map { _ in Tensor(zeros: [k] + partialShape) }
    let px = UncheckedSendable(x.buffer.pointer)
    let pdx = UncheckedSendable(dx?.buffer.pointer)
    let pgy = UncheckedSendable(gy.buffer.pointer)
    let pdgy = UncheckedSendable(dgy?.buffer.pointer)
    // One partial sum per fixed chunk of images, added in order: the same bits on every run.
    parallelForChunks(d.n) { chunk, images in
      let partial = partials[chunk].buffer.pointer
      let colScratch = Scratch<Scalar>(count: Swift.max(1, 2 * span))
      let (colX, colDX) = (colScratch.pointer, colScratch.pointer + span)
      defer { colScratch.release() }
      func unfold(_ image: UnsafePointer<Scalar>, into col: UnsafeMutablePointer<Scalar>) {
        Tensor.unfold(
          image, plan: plan, channels: d.c, height: d.h, width: d.w, geometry: g,
          outHeight: d.oh, outWidth: d.ow, into: col)
      }
      // target += gradient x unfolded^T
      func product(
        _ gradient: UnsafePointer<Scalar>, _ unfolded: UnsafePointer<Scalar>,
        _ target: UnsafeMutablePointer<Scalar>
      ) {
        if let plan {
          rowShiftWeightProduct(
            plan: plan, gradient: gradient, outputs: d.o, copies: unfolded, into: target,
            parallel: false)
        } else {
          gemm(
            transposeA: false, transposeB: true, m: d.o, n: rows, k: plane, a: gradient,
            lda: plane, b: unfolded, ldb: plane, c: target, ldc: rows, accumulate: true,
            parallel: false)
        }
      }
      for n in images {
        let image = UnsafePointer(px.value + n * imageSize)
        if pdgy.value != nil { unfold(image, into: colX) }
        for j in 0..<k {
          let target = partial + j * weightSize
          if let pdgy = pdgy.value {
            product(pdgy + (j * d.n + n) * outSize, flat ? image : UnsafePointer(colX), target)
          }
          if let pdx = pdx.value {
            let tangentImage = UnsafePointer(pdx + (j * d.n + n) * imageSize)
            unfold(tangentImage, into: colDX)
            product(pgy.value + n * outSize, flat ? tangentImage : UnsafePointer(colDX), target)
          }
        }
      }
    }
    var result = partials[0]
    for p in partials.dropFirst() { result += p }
    return plan == nil ? result : result.fromRowShiftKernel()
  }
}
