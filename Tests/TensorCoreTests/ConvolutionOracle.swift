// A naive direct-loop convolution in Double and its two adjoints, written from the definition
// (PyTorch `F.conv2d`, groups 1): the oracle for TensorCore's im2col, flipped-kernel and tangent
// kernels. Nothing here shares code with TensorCore.

import TensorCore

/// One convolution problem: input `[n, c, h, w]`, weight `[o, c, kh, kw]`, a geometry.
struct ConvolutionCase: CustomStringConvertible, Sendable {
  let n: Int, c: Int, h: Int, w: Int, o: Int
  let geometry: Convolution2DGeometry

  var inputShape: [Int] { [n, c, h, w] }
  var weightShape: [Int] { [o, c, geometry.kernelHeight, geometry.kernelWidth] }
  var outputShape: [Int] {
    let (oh, ow) = geometry.outputSize(height: h, width: w)
    return [n, o, oh, ow]
  }

  var description: String {
    let g = geometry
    return "x[\(n),\(c),\(h),\(w)] w[\(o),\(c),\(g.kernelHeight),\(g.kernelWidth)] "
      + "s\(g.strideHeight)x\(g.strideWidth) p\(g.paddingHeight)x\(g.paddingWidth) "
      + "d\(g.dilationHeight)x\(g.dilationWidth)"
  }

  /// Calls `body(n, o, i, j, c, ki, kj, h, w)` for every input pixel that output pixel (i, j)
  /// of channel o reads through kernel tap (ki, kj) of channel c.
  func forEachTap(_ body: (Int, Int, Int, Int, Int, Int, Int, Int, Int) -> Void) {
    let g = geometry
    let (oh, ow) = g.outputSize(height: h, width: w)
    for b in 0..<n {
      for oc in 0..<o {
        for i in 0..<oh {
          for j in 0..<ow {
            for ic in 0..<c {
              for ki in 0..<g.kernelHeight {
                for kj in 0..<g.kernelWidth {
                  let y = i * g.strideHeight - g.paddingHeight + ki * g.dilationHeight
                  let x = j * g.strideWidth - g.paddingWidth + kj * g.dilationWidth
                  if y >= 0 && y < h && x >= 0 && x < w { body(b, oc, i, j, ic, ki, kj, y, x) }
                }
              }
            }
          }
        }
      }
    }
  }

  func inputIndex(_ b: Int, _ ic: Int, _ y: Int, _ x: Int) -> Int { ((b * c + ic) * h + y) * w + x }
  func weightIndex(_ oc: Int, _ ic: Int, _ ki: Int, _ kj: Int) -> Int {
    ((oc * c + ic) * geometry.kernelHeight + ki) * geometry.kernelWidth + kj
  }
  func outputIndex(_ b: Int, _ oc: Int, _ i: Int, _ j: Int) -> Int {
    let s = outputShape
    return ((b * o + oc) * s[2] + i) * s[3] + j
  }

  /// `conv(x, w) + bias`, in Double.
  func convolution(_ x: [Double], _ weight: [Double], bias: [Double]? = nil) -> [Double] {
    var y = [Double](repeating: 0, count: outputShape.reduce(1, *))
    forEachTap { b, oc, i, j, ic, ki, kj, yy, xx in
      y[outputIndex(b, oc, i, j)] +=
        weight[weightIndex(oc, ic, ki, kj)] * x[inputIndex(b, ic, yy, xx)]
    }
    if let bias {
      let plane = outputShape[2] * outputShape[3]
      for i in y.indices { y[i] += bias[(i / plane) % o] }
    }
    return y
  }

  /// The input adjoint: the gradient of `<conv(x, w), gy>` with respect to `x`.
  func inputAdjoint(_ gy: [Double], _ weight: [Double]) -> [Double] {
    var gx = [Double](repeating: 0, count: inputShape.reduce(1, *))
    forEachTap { b, oc, i, j, ic, ki, kj, yy, xx in
      gx[inputIndex(b, ic, yy, xx)] +=
        weight[weightIndex(oc, ic, ki, kj)] * gy[outputIndex(b, oc, i, j)]
    }
    return gx
  }

  /// The weight adjoint: the gradient of `<conv(x, w), gy>` with respect to `w`.
  func weightAdjoint(_ gy: [Double], _ x: [Double]) -> [Double] {
    var gw = [Double](repeating: 0, count: weightShape.reduce(1, *))
    forEachTap { b, oc, i, j, ic, ki, kj, yy, xx in
      gw[weightIndex(oc, ic, ki, kj)] += x[inputIndex(b, ic, yy, xx)] * gy[outputIndex(b, oc, i, j)]
    }
    return gw
  }
}

/// The cases every convolution kernel is checked on: odd and non-square shapes, stride 1 and 2,
/// padding 0, 1 and 2, dilation, batch 1 and 3, channels 1 and 5, 1x1 kernels, and the 3x3
/// stride-1 "same" layout of ResNets (the shifted-copy and flipped-kernel fast paths).
let convolutionCases: [ConvolutionCase] = [
  ConvolutionCase(n: 3, c: 5, h: 7, w: 7, o: 4, geometry: .init(kernel: 3, padding: 1)),
  ConvolutionCase(n: 1, c: 1, h: 5, w: 6, o: 3, geometry: .init(kernel: 3, padding: 1)),
  ConvolutionCase(n: 3, c: 5, h: 6, w: 5, o: 2, geometry: .init(kernel: 3, padding: 0)),
  ConvolutionCase(n: 1, c: 5, h: 7, w: 5, o: 3, geometry: .init(kernel: 3, padding: 2)),
  ConvolutionCase(n: 3, c: 1, h: 9, w: 7, o: 5, geometry: .init(kernel: 3, stride: 2, padding: 1)),
  ConvolutionCase(n: 1, c: 5, h: 8, w: 9, o: 2, geometry: .init(kernel: 3, stride: 2, padding: 2)),
  ConvolutionCase(
    n: 3, c: 5, h: 7, w: 8, o: 3, geometry: .init(kernel: 3, padding: 2, dilation: 2)),
  ConvolutionCase(
    n: 1, c: 1, h: 9, w: 8, o: 2, geometry: .init(kernel: 3, padding: 1, dilation: 2)),
  ConvolutionCase(n: 3, c: 5, h: 5, w: 5, o: 4, geometry: .init(kernel: 1)),
  ConvolutionCase(n: 3, c: 5, h: 7, w: 6, o: 4, geometry: .init(kernel: 1, stride: 2)),
  ConvolutionCase(n: 1, c: 5, h: 5, w: 4, o: 3, geometry: .init(kernel: 1, padding: 1)),
  ConvolutionCase(
    n: 3, c: 5, h: 7, w: 6, o: 3,
    geometry: .init(kernelHeight: 3, kernelWidth: 2, paddingHeight: 1, paddingWidth: 1)),
  ConvolutionCase(
    n: 1, c: 5, h: 6, w: 9, o: 4,
    geometry: .init(
      kernelHeight: 2, kernelWidth: 3, strideHeight: 1, strideWidth: 2, paddingHeight: 2,
      paddingWidth: 0, dilationHeight: 1, dilationWidth: 2)),
  ConvolutionCase(
    n: 3, c: 1, h: 7, w: 6, o: 2,
    geometry: .init(
      kernelHeight: 3, kernelWidth: 2, strideHeight: 2, strideWidth: 1, paddingHeight: 1,
      paddingWidth: 2, dilationHeight: 2, dilationWidth: 1)),
  ConvolutionCase(
    n: 1, c: 5, h: 5, w: 7, o: 3,
    geometry: .init(kernelHeight: 1, kernelWidth: 3, paddingHeight: 0, paddingWidth: 1)),
  // Same width, but no kernel row reaches every output row (the output is zeroed first).
  ConvolutionCase(
    n: 3, c: 5, h: 5, w: 6, o: 3,
    geometry: .init(kernelHeight: 3, kernelWidth: 3, paddingHeight: 2, paddingWidth: 1)),
  ConvolutionCase(
    n: 1, c: 5, h: 6, w: 4, o: 2,
    geometry: .init(kernelHeight: 3, kernelWidth: 1, paddingHeight: 1, paddingWidth: 0)),
  // Strides above 2 and paddings beyond one stride: kernel offsets shifted by more than one
  // phase-plane row or column, phases no offset reads, and ragged last phases.
  ConvolutionCase(
    n: 3, c: 2, h: 10, w: 11, o: 2, geometry: .init(kernel: 3, stride: 3, padding: 2)),
  ConvolutionCase(
    n: 1, c: 3, h: 9, w: 10, o: 3,
    geometry: .init(
      kernelHeight: 5, kernelWidth: 2, strideHeight: 2, strideWidth: 3, paddingHeight: 3,
      paddingWidth: 1, dilationHeight: 1, dilationWidth: 2)),
]

/// Deterministic pseudo-random values in about [-1, 1] (a linear congruential sequence).
func testValues(_ count: Int, seed: UInt64) -> [Double] {
  var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
  return (0..<count).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Double(Int64(bitPattern: state >> 11) % 2_000_001) / 1_000_000 - 1
  }
}

func dot(_ a: [Double], _ b: [Double]) -> Double {
  precondition(a.count == b.count, "dot: \(a.count) vs \(b.count)")
  return zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
}

/// `k` stacked copies of a function of one slice: `[k] + shape` from `k` slices.
func stacked(_ slices: [[Double]]) -> [Double] { slices.flatMap { $0 } }

func slice(_ values: [Double], _ j: Int, of k: Int) -> [Double] {
  let size = values.count / k
  return Array(values[j * size..<(j + 1) * size])
}

func add(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }

extension Tensor {
  /// A tensor of these Double values converted to `Scalar`.
  init(_ shape: [Int], _ values: [Double]) {
    self.init(shape: shape, scalars: values.map { Scalar($0) })
  }

  var doubles: [Double] { scalars.map { Double($0) } }
}
