// The `kernels` task: the fastest of `repeats` runs (after a warm-up) of each convolution tangent
// kernel of a block of 8 HVPs at the benchmark's shapes (ResNet-20, batch 200, k = 8), so one
// kernel's change can be timed without the noise of the whole block. Keys
// `kernel_<shape>_<kernel>_s`, with
//   shape   l1 (16 -> 16, 32x32), l2 (32 -> 32, 16x16), l3 (64 -> 64, 8x8), each 3x3 stride 1;
//           l2down, l3down (3x3 stride 2 into the next stage); l2short (1x1 stride 2)
//   kernel  tangent (conv(dx, w) + conv(x, dw), the forward), input (the input adjoint's
//           tangent), weight (the weight adjoint's tangent)
// and the count of each shape in ResNet-20 (`kernel_<shape>_count`), so the block's share of
// a kernel is count * seconds. `kernels-<shape>` (e.g. kernels-l1) times one shape only. The
// minimum, not the median: a kernel takes tens of milliseconds, and on a shared machine its
// slower runs measure the neighbours.
//
// Measured 2026-11-22 (fastest of 15 over 5 alternating processes), seconds before -> after
// the session's changes: l1 weight 0.151 -> 0.113 and l2 weight 0.124 -> 0.101 (gy unfolded
// once, dx stacked: Tensor+ConvolutionTangents), l2down tangent 0.100 -> 0.078 and l3down
// 0.091 -> 0.071 (polyphase im2col). Stride-1 kernels reach 140-160 GFLOP/s of the two cores'
// 151-168 (l2, l3) and 115-130 (l1, whose 16-channel products use each packed element 16 times).

import Dispatch
import TensorCore

/// One convolution shape of ResNet-20 and how often it occurs.
struct KernelShape {
  let name: String
  let channels: Int, outChannels: Int, size: Int
  let geometry: Convolution2DGeometry
  let count: Int
}

let resNet20KernelShapes = [
  KernelShape(
    name: "l1", channels: 16, outChannels: 16, size: 32,
    geometry: Convolution2DGeometry(kernel: 3, padding: 1), count: 6),
  KernelShape(
    name: "l2", channels: 32, outChannels: 32, size: 16,
    geometry: Convolution2DGeometry(kernel: 3, padding: 1), count: 5),
  KernelShape(
    name: "l3", channels: 64, outChannels: 64, size: 8,
    geometry: Convolution2DGeometry(kernel: 3, padding: 1), count: 5),
  KernelShape(
    name: "l2down", channels: 16, outChannels: 32, size: 32,
    geometry: Convolution2DGeometry(kernel: 3, stride: 2, padding: 1), count: 1),
  KernelShape(
    name: "l3down", channels: 32, outChannels: 64, size: 16,
    geometry: Convolution2DGeometry(kernel: 3, stride: 2, padding: 1), count: 1),
  KernelShape(
    name: "l2short", channels: 16, outChannels: 32, size: 32,
    geometry: Convolution2DGeometry(kernel: 1, stride: 2), count: 1),
]

/// Times the three tangent kernels of each shape with `k` directions on a batch of `batch`.
func kernelReport(
  shapes: Set<String>, batch: Int, directions k: Int, repeats: Int,
  using generator: inout SeededGenerator
) -> [String: Any] {
  var report: [String: Any] = [:]
  for s in resNet20KernelShapes where shapes.isEmpty || shapes.contains(s.name) {
    let x = Tensor<Float>(
      randomNormal: [batch, s.channels, s.size, s.size], using: &generator)
    let w = Tensor<Float>(
      randomNormal: [s.outChannels, s.channels, s.geometry.kernelHeight, s.geometry.kernelWidth],
      using: &generator)
    let dx = Tensor<Float>(randomNormal: [k] + x.shape, using: &generator)
    let dw = Tensor<Float>(randomNormal: [k] + w.shape, using: &generator)
    let y = x.conv2D(w, geometry: s.geometry)
    let dy = Tensor<Float>(randomNormal: [k] + y.shape, using: &generator)
    let prefix = "kernel_\(s.name)_"
    report[prefix + "count"] = s.count
    report[prefix + "tangent_s"] = fastest(repeats) {
      _ = Tensor.conv2DTangent(
        input: x, inputTangent: dx, weight: w, weightTangent: dw, geometry: s.geometry)
    }
    report[prefix + "input_s"] = fastest(repeats) {
      _ = Tensor.conv2DInputAdjointTangent(
        outputGradient: y, outputGradientTangent: dy, weight: w, weightTangent: dw,
        inputShape: x.shape, geometry: s.geometry)
    }
    report[prefix + "weight_s"] = fastest(repeats) {
      _ = Tensor.conv2DWeightAdjointTangent(
        outputGradient: y, outputGradientTangent: dy, input: x, inputTangent: dx,
        weightShape: w.shape, geometry: s.geometry)
    }
  }
  return report
}

/// The fewest wall-clock seconds of `repeats` runs of `body`, after one untimed warm-up run.
func fastest(_ repeats: Int, _ body: () -> Void) -> Double {
  body()
  var best = Double.infinity
  for _ in 0..<max(1, repeats) {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  return best
}
