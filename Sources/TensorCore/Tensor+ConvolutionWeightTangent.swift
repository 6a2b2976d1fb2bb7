// The tangent of a convolution's weight adjoint for several directions at once, with GEMMs
// whose output rows or columns span all k directions.
//
// Per image n, `dW_j += dgy_j,n unfold(x_n)^T + gy_n unfold(dx_j,n)^T`. Done direction by
// direction, BLAS packs unfold(x_n) k times and every product has only O rows. Here the k
// blocks dgy_j,n are gathered into one [k * O, HW] matrix (one product with k * O rows), and
// the k unfolded dx_j,n lie side by side (one product with k times the columns); the two
// partial sums live in their GEMMs' layouts and are reordered once at the end. Stride-1
// convolutions reach the second term instead as the first term of the flipped convolution
// (conv2DWeightAdjointTangent), whose products have k * C rows rather than O.

extension Tensor {
  /// ``conv2DWeightAdjointTangent(outputGradient:outputGradientTangent:input:inputTangent:weightShape:geometry:)``
  /// for `k > 1` directions and kernels other than 1x1 stride 1; same arguments and result.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func conv2DWeightAdjointTangentBatched(
    outputGradient gy: Tensor, outputGradientTangent dgy: Tensor?, input x: Tensor,
    inputTangent dx: Tensor?, weightShape: [Int], geometry g: Convolution2DGeometry, k: Int
  ) -> Tensor {
    let d = checkConvolution(input: x.shape, weight: weightShape, geometry: g)
    let (kh, kw) = (g.kernelHeight, g.kernelWidth)
    let rows = d.c * kh * kw
    let plane = d.oh * d.ow
    let (imageSize, outSize) = (d.c * d.h * d.w, d.o * plane)
    let plan = RowShiftPlan(geometry: g, channels: d.c, height: d.h, width: d.w)
    let span = plan?.copySize ?? rows * plane  // one unfolded image
    // Term A in [kh, k, O, kw, C] (row shift) or [k, O, rows]; term B in [kh, O, k, kw, C] or
    // [O, k, rows].
    let shapeA = plan == nil ? [k, d.o, rows] : [kh, k, d.o, kw, d.c]
    let shapeB = plan == nil ? [d.o, k, rows] : [kh, d.o, k, kw, d.c]
    let chunks = accumulationChunkCount(d.n)
    let partialsA = (0..<chunks).map { _ in dgy == nil ? nil : Tensor(zeros: shapeA) }
    let partialsB = (0..<chunks).map { _ in dx == nil ? nil : Tensor(zeros: shapeB) }
    let px = UncheckedSendable(x.buffer.pointer)
    let pdx = UncheckedSendable(dx?.buffer.pointer)
    let pgy = UncheckedSendable(gy.buffer.pointer)
    let pdgy = UncheckedSendable(dgy?.buffer.pointer)
    // One partial sum per fixed chunk of images, added in order: the same bits on every run.
    parallelForChunks(d.n) { chunk, images in
      let pa = partialsA[chunk]?.buffer.pointer
      let pb = partialsB[chunk]?.buffer.pointer
      // unfold(x_n), the k blocks dgy_j,n, and the k unfolded dx_j,n.
      let scratchX = Scratch<Scalar>(count: pa == nil ? 1 : span + k * outSize)
      let scratchDX = Scratch<Scalar>(count: pb == nil ? 1 : k * span)
      let (colX, gathered, colDX) = (scratchX.pointer, scratchX.pointer + span, scratchDX.pointer)
      defer {
        scratchX.release()
        scratchDX.release()
      }
      func unfold(_ image: UnsafePointer<Scalar>, into col: UnsafeMutablePointer<Scalar>) {
        Tensor.unfold(
          image, plan: plan, channels: d.c, height: d.h, width: d.w, geometry: g,
          outHeight: d.oh, outWidth: d.ow, into: col)
      }
      // target += gradient (`outputs` rows) x unfolded^T (`columns` rows).
      func product(
        _ gradient: UnsafePointer<Scalar>, outputs: Int, _ unfolded: UnsafePointer<Scalar>,
        columns: Int, _ target: UnsafeMutablePointer<Scalar>
      ) {
        if let plan {
          rowShiftWeightProduct(
            plan: plan, gradient: gradient, outputs: outputs, copies: unfolded,
            copyRows: columns, into: target, parallel: false)
        } else {
          gemm(
            transposeA: false, transposeB: true, m: outputs, n: columns, k: plane, a: gradient,
            lda: plane, b: unfolded, ldb: plane, c: target, ldc: columns, accumulate: true,
            parallel: false)
        }
      }
      let unit = plan?.inner ?? rows
      for n in images {
        if let pa, let pdgy = pdgy.value {
          unfold(px.value + n * imageSize, into: colX)
          for j in 0..<k {
            copyAvoidingPageAliasing(
              from: pdgy + (j * d.n + n) * outSize, to: gathered + j * outSize, count: outSize)
          }
          product(gathered, outputs: k * d.o, colX, columns: unit, pa)
        }
        if let pb, let pdx = pdx.value {
          for j in 0..<k { unfold(pdx + (j * d.n + n) * imageSize, into: colDX + j * span) }
          product(pgy.value + n * outSize, outputs: d.o, colDX, columns: k * unit, pb)
        }
      }
    }
    // Sum the chunks' partials in order, then reorder each term to [k, O, C, kh, kw].
    func total(_ partials: [Tensor?]) -> Tensor? {
      guard var sum = partials[0] else { return nil }
      for p in partials.dropFirst() { if let p { sum += p } }
      return sum
    }
    let termA = total(partialsA).map { a in
      plan == nil
        ? a.reshaped(to: [k] + weightShape)
        : a.permuted([1, 0, 2, 3, 4]).fromRowShiftKernel()
    }
    let termB = total(partialsB).map { b in
      plan == nil
        ? b.permuted([1, 0, 2]).reshaped(to: [k] + weightShape)
        : b.permuted([2, 0, 1, 3, 4]).fromRowShiftKernel()
    }
    switch (termA, termB) {
    case (let a?, let b?): return a + b
    case (let a?, nil): return a
    case (nil, let b?): return b
    case (nil, nil): preconditionFailure("conv2DWeightAdjointTangent needs at least one tangent")
    }
  }
}
