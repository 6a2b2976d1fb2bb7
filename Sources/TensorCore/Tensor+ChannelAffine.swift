// Per-channel affine maps y[n, c, ...] = x[n, c, ...] * scale[c] + shift[c] (evaluation-mode
// BatchNorm), their tangents and the channel reductions their adjoints need, each in one pass
// over the data instead of several broadcast element-wise passes.

extension Tensor {
  /// `(outer, channels, inner)` of `self` viewed as `[outer, C, inner]` around channel axis 1.
  @inlinable
  func channelLayout(channels c: Int, leading: Int = 0) -> (outer: Int, inner: Int) {
    precondition(
      rank >= leading + 2 && shape[leading + 1] == c,
      "expected \(c) channels on axis \(leading + 1), got shape \(shape)")
    return (shape[..<(leading + 1)].reduce(1, *), shape[(leading + 2)...].reduce(1, *))
  }

  /// `self * scale[c] + shift[c]` over channel axis 1 (`scale`, `shift`: `[C]`; shift optional).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public func channelAffine(scale: Tensor, shift: Tensor?) -> Tensor {
    let c = scale.count
    let (outer, inner) = channelLayout(channels: c)
    let result = Tensor(uninitializedShape: shape)
    let x = UncheckedSendable(buffer.pointer)
    let y = UncheckedSendable(result.buffer.pointer)
    let s = scale.buffer.pointer
    let t = shift?.buffer.pointer
    parallelFor(outer * c, minimumChunk: Swift.max(1, elementwiseParallelThreshold / inner)) {
      rows in
      for row in rows {
        let (a, b) = (s[row % c], t?[row % c] ?? 0)
        let (src, dst) = (x.value + row * inner, y.value + row * inner)
        for i in 0..<inner { dst[i] = src[i] * a + b }
      }
    }
    return result
  }

  /// The tangent of `x.channelAffine(scale: s, shift: t)` along `k` directions:
  /// `dx * s + x * ds + dt`, with `dx` `[k] + x.shape`, `ds` and `dt` `[k, C]`, each optional.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public static func channelAffineTangent(
    input x: Tensor, inputTangent dx: Tensor?, scale s: Tensor, scaleTangent ds: Tensor?,
    shiftTangent dt: Tensor?
  ) -> Tensor {
    let c = s.count
    let k = dx?.shape[0] ?? ds?.shape[0] ?? dt?.shape[0] ?? 0
    precondition(k > 0, "channelAffineTangent needs at least one tangent")
    let (n, inner) = x.channelLayout(channels: c)
    let result = Tensor(uninitializedShape: [k] + x.shape)
    let px = UncheckedSendable(x.buffer.pointer)
    let pdx = UncheckedSendable(dx?.buffer.pointer)
    let pds = UncheckedSendable(ds?.buffer.pointer)
    let pdt = UncheckedSendable(dt?.buffer.pointer)
    let out = UncheckedSendable(result.buffer.pointer)
    let ps = UncheckedSendable(s.buffer.pointer)
    parallelFor(k * n * c, minimumChunk: Swift.max(1, elementwiseParallelThreshold / inner)) {
      rows in
      for row in rows {
        let (j, channel) = (row / (n * c), row % c)
        let xRow = px.value + (row % (n * c)) * inner
        let dst = out.value + row * inner
        let a = ps.value[channel]
        let b = pdt.value?[j * c + channel] ?? 0
        switch (pdx.value, pds.value) {
        case let (dxp?, dsp?):
          let (src, e) = (dxp + row * inner, dsp[j * c + channel])
          for i in 0..<inner { dst[i] = src[i] * a + xRow[i] * e + b }
        case let (dxp?, nil):
          let src = dxp + row * inner
          for i in 0..<inner { dst[i] = src[i] * a + b }
        case let (nil, dsp?):
          let e = dsp[j * c + channel]
          for i in 0..<inner { dst[i] = xRow[i] * e + b }
        case (nil, nil):
          for i in 0..<inner { dst[i] = b }
        }
      }
    }
    return result
  }

  /// `sum over n, ... of a[n, c, ...] * b[n, c, ...]` for each channel `c` of axis 1, `[C]`.
  /// With `leadingDirections`, `a` is `[k] + b.shape` and the result `[k, C]`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public static func channelDot(_ a: Tensor, _ b: Tensor, channels c: Int) -> Tensor {
    let k = a.rank == b.rank + 1 ? a.shape[0] : 1
    precondition(
      a.shape == b.shape || (a.rank == b.rank + 1 && Array(a.shape.dropFirst()) == b.shape),
      "channelDot shapes \(a.shape) and \(b.shape) do not match")
    let (n, inner) = b.channelLayout(channels: c)
    let result = Tensor(zeros: [k, c])
    let pa = UncheckedSendable(a.buffer.pointer)
    let pb = UncheckedSendable(b.buffer.pointer)
    let out = UncheckedSendable(result.buffer.pointer)
    // Split over (direction, channel) pairs: each output element is owned by one worker.
    parallelFor(
      k * c, minimumChunk: Swift.max(1, elementwiseParallelThreshold / Swift.max(1, n * inner))
    ) { pairs in
      for pair in pairs {
        let (j, channel) = (pair / c, pair % c)
        var total: Scalar = 0
        for image in 0..<n {
          let x = pa.value + ((j * n + image) * c + channel) * inner
          let y = pb.value + (image * c + channel) * inner
          var (s0, s1, s2, s3): (Scalar, Scalar, Scalar, Scalar) = (0, 0, 0, 0)
          var i = 0
          while i + 4 <= inner {
            s0 += x[i] * y[i]
            s1 += x[i + 1] * y[i + 1]
            s2 += x[i + 2] * y[i + 2]
            s3 += x[i + 3] * y[i + 3]
            i += 4
          }
          while i < inner {
            s0 += x[i] * y[i]
            i += 1
          }
          total += (s0 + s1) + (s2 + s3)
        }
        out.value[pair] = total
      }
    }
    return a.rank == b.rank ? result.reshaped(to: [c]) : result
  }
}
