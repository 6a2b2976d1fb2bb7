// The tangent kernels of a convolution and of its two adjoints, for k = 1 and 3 directions
// (one direction and several take different GEMM groupings), against
// sums of the naive direct-loop oracle (ConvolutionOracle.swift) in Double: each kernel is
// bilinear, so its tangent is the sum of two oracle terms. Every subset of present tangents.

import TensorCore
import Testing
import _TestSupport

/// Which tangents are present (nil ones are zero).
struct TangentPresence: CustomStringConvertible, Sendable {
  let first: Bool, second: Bool, bias: Bool
  var description: String { "\(first ? "d1" : "")\(second ? "d2" : "")\(bias ? "db" : "")" }
}

let tangentSubsets = [
  TangentPresence(first: true, second: true, bias: true),
  TangentPresence(first: true, second: false, bias: false),
  TangentPresence(first: false, second: true, bias: false),
  TangentPresence(first: false, second: true, bias: true),
  TangentPresence(first: false, second: false, bias: true),
]

@Suite("Convolution tangent kernels against a direct-loop oracle")
struct ConvolutionTangentTests {
  static let directionCounts = [1, 3]

  @Test(arguments: convolutionCases)
  func convolutionTangent(_ p: ConvolutionCase) {
    for s in tangentSubsets {
      for k in Self.directionCounts {
        check(p, s, k, Float.self)
        check(p, s, k, Double.self)
      }
    }
    func check<S: TensorScalar>(_ p: ConvolutionCase, _ s: TangentPresence, _ k: Int, _: S.Type) {
      let x = testValues(p.inputShape.reduce(1, *), seed: 21)
      let w = testValues(p.weightShape.reduce(1, *), seed: 22)
      let dx = testValues(k * x.count, seed: 23)
      let dw = testValues(k * w.count, seed: 24)
      let db = testValues(k * p.o, seed: 25)
      let expected = stacked(
        (0..<k).map { j in
          var y = [Double](repeating: 0, count: p.outputShape.reduce(1, *))
          if s.first { y = add(y, p.convolution(slice(dx, j, of: k), w)) }
          if s.second { y = add(y, p.convolution(x, slice(dw, j, of: k))) }
          if s.bias { y = add(y, p.convolution(x.map { _ in 0 }, w, bias: slice(db, j, of: k))) }
          return y
        })
      let actual = Tensor<S>.conv2DTangent(
        input: Tensor(p.inputShape, x), inputTangent: s.first ? Tensor([k] + p.inputShape, dx) : nil,
        weight: Tensor(p.weightShape, w),
        weightTangent: s.second ? Tensor([k] + p.weightShape, dw) : nil,
        biasTangent: s.bias ? Tensor([k, p.o], db) : nil, geometry: p.geometry)
      let (rtol, atol) = tolerance(S.self)
      let c = closeness(actual, Tensor<Double>([k] + p.outputShape, expected), rtol: rtol, atol: atol)
      #expect(c.passes, "\(S.self) \(p) \(s) k=\(k): \(c)")
    }
  }

  @Test(arguments: convolutionCases)
  func inputAdjointTangent(_ p: ConvolutionCase) {
    for s in tangentSubsets where !s.bias || s.first || s.second {
      for k in Self.directionCounts {
        check(p, s, k, Float.self)
        check(p, s, k, Double.self)
      }
    }
    func check<S: TensorScalar>(_ p: ConvolutionCase, _ s: TangentPresence, _ k: Int, _: S.Type) {
      let gy = testValues(p.outputShape.reduce(1, *), seed: 31)
      let w = testValues(p.weightShape.reduce(1, *), seed: 32)
      let dgy = testValues(k * gy.count, seed: 33)
      let dw = testValues(k * w.count, seed: 34)
      let expected = stacked(
        (0..<k).map { j in
          var gx = [Double](repeating: 0, count: p.inputShape.reduce(1, *))
          if s.first { gx = add(gx, p.inputAdjoint(slice(dgy, j, of: k), w)) }
          if s.second { gx = add(gx, p.inputAdjoint(gy, slice(dw, j, of: k))) }
          return gx
        })
      let actual = Tensor<S>.conv2DInputAdjointTangent(
        outputGradient: Tensor(p.outputShape, gy),
        outputGradientTangent: s.first ? Tensor([k] + p.outputShape, dgy) : nil,
        weight: Tensor(p.weightShape, w),
        weightTangent: s.second ? Tensor([k] + p.weightShape, dw) : nil,
        inputShape: p.inputShape, geometry: p.geometry)
      let (rtol, atol) = tolerance(S.self)
      let c = closeness(actual, Tensor<Double>([k] + p.inputShape, expected), rtol: rtol, atol: atol)
      #expect(c.passes, "\(S.self) \(p) \(s) k=\(k): \(c)")
    }
  }

  @Test(arguments: convolutionCases)
  func weightAdjointTangent(_ p: ConvolutionCase) {
    for s in tangentSubsets where !s.bias || s.first || s.second {
      for k in Self.directionCounts {
        check(p, s, k, Float.self)
        check(p, s, k, Double.self)
      }
    }
    func check<S: TensorScalar>(_ p: ConvolutionCase, _ s: TangentPresence, _ k: Int, _: S.Type) {
      let gy = testValues(p.outputShape.reduce(1, *), seed: 41)
      let x = testValues(p.inputShape.reduce(1, *), seed: 42)
      let dgy = testValues(k * gy.count, seed: 43)
      let dx = testValues(k * x.count, seed: 44)
      let expected = stacked(
        (0..<k).map { j in
          var gw = [Double](repeating: 0, count: p.weightShape.reduce(1, *))
          if s.first { gw = add(gw, p.weightAdjoint(slice(dgy, j, of: k), x)) }
          if s.second { gw = add(gw, p.weightAdjoint(gy, slice(dx, j, of: k))) }
          return gw
        })
      let actual = Tensor<S>.conv2DWeightAdjointTangent(
        outputGradient: Tensor(p.outputShape, gy),
        outputGradientTangent: s.first ? Tensor([k] + p.outputShape, dgy) : nil,
        input: Tensor(p.inputShape, x), inputTangent: s.second ? Tensor([k] + p.inputShape, dx) : nil,
        weightShape: p.weightShape, geometry: p.geometry)
      let (rtol, atol) = tolerance(S.self)
      let c = closeness(actual, Tensor<Double>([k] + p.weightShape, expected), rtol: rtol, atol: atol)
      #expect(c.passes, "\(S.self) \(p) \(s) k=\(k): \(c)")
    }
  }
}
