// Max and average pooling over the last two axes, with their adjoints.

/// Where each output of a max pooling came from: for every output element, the flat position
/// `h * W + w` of its maximum inside its input plane. Produced by ``Tensor/maxPool2D(geometry:)``.
public struct PoolingIndices: Sendable, Equatable {
  /// The number of `[H, W]` planes pooled (`N * C`).
  public let planeCount: Int
  /// Input plane height and width.
  public let inputHeight: Int, inputWidth: Int
  /// Output plane height and width.
  public let outputHeight: Int, outputWidth: Int
  @usableFromInline let positions: [Int32]

  @usableFromInline
  init(
    planeCount: Int, inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int,
    positions: [Int32]
  ) {
    self.planeCount = planeCount
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.outputHeight = outputHeight
    self.outputWidth = outputWidth
    self.positions = positions
  }
}

extension Tensor {
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  func poolingPlanes(_ g: Convolution2DGeometry) -> (planes: Int, h: Int, w: Int, oh: Int, ow: Int)
  {
    precondition(rank >= 3, "pooling needs [..., H, W] with at least 3 axes, got \(shape)")
    let h = shape[rank - 2]
    let w = shape[rank - 1]
    precondition(
      g.paddingHeight * 2 <= g.kernelHeight && g.paddingWidth * 2 <= g.kernelWidth,
      "pooling padding must be at most half the kernel size (PyTorch rule)")
    let (oh, ow) = g.outputSize(height: h, width: w)
    precondition(oh > 0 && ow > 0, "pooling input \(shape) is smaller than the window")
    return (count / Swift.max(1, h * w), h, w, oh, ow)
  }

  /// Max pooling over the last two axes (PyTorch `F.max_pool2d(x, kernel, stride, padding,
  /// dilation)` with `ceil_mode=False`; padding counts as minus infinity), with the position of
  /// each maximum for the adjoint. Ties pick the first maximum in row-major window order.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func maxPool2D(geometry g: Convolution2DGeometry) -> (
    values: Tensor, indices: PoolingIndices
  ) {
    let d = poolingPlanes(g)
    var outShape = shape
    outShape[rank - 2] = d.oh
    outShape[rank - 1] = d.ow
    let result = Tensor(uninitializedShape: outShape)
    var positions = [Int32](repeating: 0, count: d.planes * d.oh * d.ow)
    let source = UncheckedSendable(buffer.pointer)
    let output = UncheckedSendable(result.buffer.pointer)
    positions.withUnsafeMutableBufferPointer { pos in
      let p = UncheckedSendable(pos.baseAddress!)
      parallelFor(d.planes, minimumChunk: Swift.max(1, 16_384 / (d.h * d.w))) { planes in
        for plane in planes {
          let input = source.value + plane * d.h * d.w
          let out = output.value + plane * d.oh * d.ow
          let where_ = p.value + plane * d.oh * d.ow
          for oh in 0..<d.oh {
            for ow in 0..<d.ow {
              var best = -Scalar.infinity
              var bestAt = -1
              for ki in 0..<g.kernelHeight {
                let ih = oh * g.strideHeight - g.paddingHeight + ki * g.dilationHeight
                if ih < 0 || ih >= d.h { continue }
                for kj in 0..<g.kernelWidth {
                  let iw = ow * g.strideWidth - g.paddingWidth + kj * g.dilationWidth
                  if iw < 0 || iw >= d.w { continue }
                  let v = input[ih * d.w + iw]
                  if v > best || bestAt < 0 || v.isNaN {
                    best = v
                    bestAt = ih * d.w + iw
                  }
                }
              }
              (out + oh * d.ow + ow).initialize(to: best)
              where_[oh * d.ow + ow] = Int32(bestAt)
            }
          }
        }
      }
    }
    let indices = PoolingIndices(
      planeCount: d.planes, inputHeight: d.h, inputWidth: d.w, outputHeight: d.oh,
      outputWidth: d.ow, positions: positions)
    return (result, indices)
  }

  /// Picks, for each output of a max pooling, the element of `self` at the maximum's position:
  /// the max pooling's derivative applied to `self` (a tangent `[..., N, C, H, W]`; leading axes
  /// repeat the index planes).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func gathered(at indices: PoolingIndices) -> Tensor {
    let inPlane = indices.inputHeight * indices.inputWidth
    let outPlane = indices.outputHeight * indices.outputWidth
    precondition(
      rank >= 2 && shape[rank - 2] == indices.inputHeight && shape[rank - 1] == indices.inputWidth
        && (count / inPlane) % indices.planeCount == 0,
      "gathered(at:): shape \(shape) does not match pooling of \(indices.planeCount) planes of "
        + "\(indices.inputHeight)x\(indices.inputWidth)")
    var outShape = shape
    outShape[rank - 2] = indices.outputHeight
    outShape[rank - 1] = indices.outputWidth
    let result = Tensor(uninitializedShape: outShape)
    let planes = count / inPlane
    indices.positions.withUnsafeBufferPointer { pos in
      for plane in 0..<planes {
        let input = buffer.pointer + plane * inPlane
        let out = result.buffer.pointer + plane * outPlane
        let where_ = pos.baseAddress! + (plane % indices.planeCount) * outPlane
        for j in 0..<outPlane { (out + j).initialize(to: input[Int(where_[j])]) }
      }
    }
    return result
  }

  /// The adjoint of ``gathered(at:)``: adds each element of `self` (`[..., Ho, Wo]`) into the
  /// position of its maximum in a zero tensor `[..., H, W]`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func scattered(to indices: PoolingIndices) -> Tensor {
    let inPlane = indices.inputHeight * indices.inputWidth
    let outPlane = indices.outputHeight * indices.outputWidth
    precondition(
      rank >= 2 && shape[rank - 2] == indices.outputHeight
        && shape[rank - 1] == indices.outputWidth && (count / outPlane) % indices.planeCount == 0,
      "scattered(to:): shape \(shape) does not match pooling output "
        + "\(indices.outputHeight)x\(indices.outputWidth) of \(indices.planeCount) planes")
    var outShape = shape
    outShape[rank - 2] = indices.inputHeight
    outShape[rank - 1] = indices.inputWidth
    let result = Tensor(zeros: outShape)
    let planes = count / outPlane
    indices.positions.withUnsafeBufferPointer { pos in
      for plane in 0..<planes {
        let input = buffer.pointer + plane * outPlane
        let out = result.buffer.pointer + plane * inPlane
        let where_ = pos.baseAddress! + (plane % indices.planeCount) * outPlane
        for j in 0..<outPlane { out[Int(where_[j])] += input[j] }
      }
    }
    return result
  }

  /// Average pooling over the last two axes (PyTorch `F.avg_pool2d(x, kernel, stride, padding)`
  /// with `ceil_mode=False`, `count_include_pad=True`: each window sum is divided by kh * kw).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func avgPool2D(geometry g: Convolution2DGeometry) -> Tensor {
    precondition(g.dilationHeight == 1 && g.dilationWidth == 1, "average pooling has no dilation")
    let d = poolingPlanes(g)
    var outShape = shape
    outShape[rank - 2] = d.oh
    outShape[rank - 1] = d.ow
    let result = Tensor(zeros: outShape)
    let scale = 1 / Scalar(g.kernelHeight * g.kernelWidth)
    let source = UncheckedSendable(buffer.pointer)
    let output = UncheckedSendable(result.buffer.pointer)
    parallelFor(d.planes, minimumChunk: Swift.max(1, 16_384 / (d.h * d.w))) { planes in
      for plane in planes {
        let input = source.value + plane * d.h * d.w
        let out = output.value + plane * d.oh * d.ow
        for oh in 0..<d.oh {
          for ow in 0..<d.ow {
            var sum: Scalar = 0
            for ki in 0..<g.kernelHeight {
              let ih = oh * g.strideHeight - g.paddingHeight + ki
              if ih < 0 || ih >= d.h { continue }
              for kj in 0..<g.kernelWidth {
                let iw = ow * g.strideWidth - g.paddingWidth + kj
                if iw >= 0 && iw < d.w { sum += input[ih * d.w + iw] }
              }
            }
            out[oh * d.ow + ow] = sum * scale
          }
        }
      }
    }
    return result
  }

  /// The adjoint of ``avgPool2D(geometry:)``: spreads each output gradient (`self`) evenly over
  /// its window in a tensor of `inputShape`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func avgPool2DAdjoint(inputShape: [Int], geometry g: Convolution2DGeometry) -> Tensor {
    let result = Tensor(zeros: inputShape)
    let d = result.poolingPlanes(g)
    precondition(
      count == d.planes * d.oh * d.ow,
      "avgPool2DAdjoint: gradient \(shape) does not match pooling of \(inputShape)")
    let scale = 1 / Scalar(g.kernelHeight * g.kernelWidth)
    let source = UncheckedSendable(buffer.pointer)
    let output = UncheckedSendable(result.buffer.pointer)
    parallelFor(d.planes, minimumChunk: Swift.max(1, 16_384 / (d.h * d.w))) { planes in
      for plane in planes {
        let gradient = source.value + plane * d.oh * d.ow
        let out = output.value + plane * d.h * d.w
        for oh in 0..<d.oh {
          for ow in 0..<d.ow {
            let v = gradient[oh * d.ow + ow] * scale
            for ki in 0..<g.kernelHeight {
              let ih = oh * g.strideHeight - g.paddingHeight + ki
              if ih < 0 || ih >= d.h { continue }
              for kj in 0..<g.kernelWidth {
                let iw = ow * g.strideWidth - g.paddingWidth + kj
                if iw >= 0 && iw < d.w { out[ih * d.w + iw] += v }
              }
            }
          }
        }
      }
    }
    return result
  }
}
