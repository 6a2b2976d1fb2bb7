// Resize over the last two axes (PyTorch `F.interpolate`, nearest and bilinear) as two products
// with constant interpolation matrices: linear in the input, so its derivatives are exact.

import Autodiff
import TensorCore

extension ONNXEvaluator {
  static func resize(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.real(0)
    let rank = x.shape.count
    guard rank >= 3 else { throw NodeError("needs [N, C, ...], got \(x.shape)") }
    var scales: [Double] = []
    var sizes: [Int] = []
    if c.has(3) {
      sizes = try c.integerList(3)
    } else if c.has(2) {
      switch try c.value(2) {
      case .real(let v): scales = v.value.scalars.map { Double($0) }
      case .integer(let t): scales = t.values.map { Double($0) }
      }
    }
    if let axes = try c.ints("axes") {
      // Scales or sizes for some axes only: fill the others with identity.
      let normalized = try axes.map { try c.axis($0, rank: rank) }
      if !sizes.isEmpty {
        var full = x.shape
        for (a, s) in zip(normalized, sizes) { full[a] = s }
        sizes = full
      } else if !scales.isEmpty {
        var full = [Double](repeating: 1, count: rank)
        for (a, s) in zip(normalized, scales) { full[a] = s }
        scales = full
      }
    }
    if sizes.isEmpty {
      guard scales.count == rank, scales.allSatisfy({ $0 > 0 }) else {
        throw NodeError("needs scales or sizes for each of the \(rank) axes")
      }
      sizes = try zip(x.shape, scales).map { d, scale in
        let size = (Double(d) * scale).rounded(.down)
        guard size.isFinite, size < Double(NodeContext<Scalar>.elementLimit) else {
          throw NodeError("scale \(scale) gives a size beyond the element limit")
        }
        return Int(size)
      }
    } else {
      guard sizes.count == rank, sizes.allSatisfy({ $0 >= 1 }) else {
        throw NodeError("sizes \(sizes) do not give a positive size for each axis of \(x.shape)")
      }
      scales = zip(sizes, x.shape).map { Double($0) / Double($1) }
    }
    guard sizes.allSatisfy({ $0 >= 1 }) else {
      throw NodeError("scales \(scales) give an empty output \(sizes) for input \(x.shape)")
    }
    try c.checkAllocation(sizes, "the output")
    guard Array(sizes[..<(rank - 2)]) == Array(x.shape[..<(rank - 2)]) else {
      throw NodeError("resizes only the last two axes; sizes \(sizes) for input \(x.shape)")
    }
    if try c.string("keep_aspect_ratio_policy", default: "stretch") != "stretch" {
      throw NodeError("keep_aspect_ratio_policy other than stretch is not supported")
    }
    let mode = try c.string("mode", default: "nearest")
    let transform = try c.string("coordinate_transformation_mode", default: "half_pixel")
    let nearest = try c.string("nearest_mode", default: "round_prefer_floor")
    guard ["nearest", "linear"].contains(mode) else {
      throw NodeError("mode \"\(mode)\" is not supported (nearest, linear)")
    }
    guard ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"].contains(transform)
    else { throw NodeError("coordinate_transformation_mode \"\(transform)\" is not supported") }
    guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(nearest) else {
      throw NodeError("nearest_mode \"\(nearest)\" is not supported")
    }
    if try c.int("exclude_outside", default: 0) != 0 { throw NodeError("exclude_outside is not supported") }
    func matrix(axis: Int) -> Tensor<Scalar> {
      interpolationMatrix(
        input: x.shape[axis], output: sizes[axis], scale: scales[axis], mode: mode,
        transform: transform, nearest: nearest)
    }
    // y = R_h x R_wᵀ over the last two axes, as two 2-D products.
    let lead = Array(x.shape[..<(rank - 2)])
    let (h, w) = (x.shape[rank - 2], x.shape[rank - 1])
    let (oh, ow) = (sizes[rank - 2], sizes[rank - 1])
    let outer = lead.reduce(1, *)
    var y = x.reshaped(to: [outer * h, w]).matmul(Variable(matrix(axis: rank - 1)), transposeOther: true)
    y = y.reshaped(to: [outer, h, ow]).permuted([0, 2, 1]).reshaped(to: [outer * ow, h])
    y = y.matmul(Variable(matrix(axis: rank - 2)), transposeOther: true)
    return .real(y.reshaped(to: [outer, ow, oh]).permuted([0, 2, 1]).reshaped(to: lead + [oh, ow]))
  }

  /// The `[output, input]` matrix mapping samples along one axis to their resized values.
  static func interpolationMatrix(
    input: Int, output: Int, scale: Double, mode: String, transform: String, nearest: String
  ) -> Tensor<Scalar> {
    var m = [Scalar](repeating: 0, count: output * input)
    for o in 0..<output {
      let coordinate: Double
      switch transform {
      case "align_corners":
        coordinate = output == 1 ? 0 : Double(o) * Double(input - 1) / Double(output - 1)
      case "asymmetric": coordinate = Double(o) / scale
      case "pytorch_half_pixel": coordinate = output > 1 ? (Double(o) + 0.5) / scale - 0.5 : 0
      default: coordinate = (Double(o) + 0.5) / scale - 0.5
      }
      if mode == "nearest" {
        var i: Double
        switch nearest {
        case "floor": i = coordinate.rounded(.down)
        case "ceil": i = coordinate.rounded(.up)
        case "round_prefer_ceil": i = (coordinate + 0.5).rounded(.down)
        default: i = coordinate == coordinate.rounded(.down) + 0.5 ? coordinate.rounded(.down) : coordinate.rounded()
        }
        let index = Swift.min(Swift.max(Int(i), 0), input - 1)
        m[o * input + index] = 1
      } else {
        let clamped = Swift.min(Swift.max(coordinate, 0), Double(input - 1))
        let lo = Int(clamped.rounded(.down))
        let hi = Swift.min(lo + 1, input - 1)
        let t = clamped - Double(lo)
        m[o * input + lo] += Scalar(1 - t)
        m[o * input + hi] += Scalar(t)
      }
    }
    return Tensor(shape: [output, input], scalars: m)
  }
}
