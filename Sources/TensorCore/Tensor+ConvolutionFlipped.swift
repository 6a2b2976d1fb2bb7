// The input adjoint of a stride-1 convolution computed as a forward convolution.
//
// For stride 1, the input adjoint of `y = conv(x, w)` with padding `p` and dilation `d` is
// `gx = conv(gy, w')`, where `w'[c, o, i, j] = w[o, c, kh - 1 - i, kw - 1 - j]` (the kernel
// flipped in space, its channel axes swapped) and the padding is `d (k - 1) - p`. Computed this
// way the GEMM writes `[C, H * W]` straight into `gx` and its input is unfolded by the fast
// im2col path; the transposed-GEMM route wrote `[C * kh * kw, Ho * Wo]` columns (nine times the
// image for 3x3, zeroed first by BLAS's beta pass) and folded them back with a scalar col2im
// into a zero-filled result: 8.4% of a ResNet-20 gradient.

extension Convolution2DGeometry {
  /// The geometry of the forward convolution equal to this convolution's input adjoint (with the
  /// flipped, channel-transposed kernel), or nil when there is none: stride 1 and padding at most
  /// `dilation * (kernel - 1)` on both axes.
  @inlinable
  var inputAdjointGeometry: Convolution2DGeometry? {
    guard strideHeight == 1 && strideWidth == 1 else { return nil }
    let padH = dilationHeight * (kernelHeight - 1) - paddingHeight
    let padW = dilationWidth * (kernelWidth - 1) - paddingWidth
    guard padH >= 0 && padW >= 0 else { return nil }
    return Convolution2DGeometry(
      kernelHeight: kernelHeight, kernelWidth: kernelWidth, paddingHeight: padH,
      paddingWidth: padW, dilationHeight: dilationHeight, dilationWidth: dilationWidth)
  }
}

extension Tensor {
  /// The kernel flipped in both spatial axes with its output and input channel axes swapped:
  /// `[..., O, C, kh, kw]` to `[..., C, O, kh, kw]`, `out[..., c, o, i, j] = self[..., o, c,
  /// kh - 1 - i, kw - 1 - j]`; leading axes (directions) are kept.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  func flippedTransposedKernel() -> Tensor {
    precondition(rank >= 4, "a convolution kernel is [..., O, C, kh, kw], got \(shape)")
    let (o, c, kh, kw) = (shape[rank - 4], shape[rank - 3], shape[rank - 2], shape[rank - 1])
    let taps = kh * kw
    let size = o * c * taps
    let result = Tensor(
      uninitializedShape: Array(shape.dropLast(4)) + [c, o, kh, kw])
    let (source, target) = (UnsafePointer(buffer.pointer), result.buffer.pointer)
    for base in stride(from: 0, to: count, by: Swift.max(size, 1)) {
      for oc in 0..<o {
        for ic in 0..<c {
          let from = source + base + (oc * c + ic) * taps
          let to = target + base + (ic * o + oc) * taps
          for t in 0..<taps { to[taps - 1 - t] = from[t] }
        }
      }
    }
    return result
  }
}
