// TensorCore's convolution kernels against the naive direct-loop oracle in Double
// (ConvolutionOracle.swift), on every case of `convolutionCases`, in Float and Double; the
// adjoints also by the dot-product identity <A x, y> = <x, A^T y> in Double.

import TensorCore
import Testing
import _TestSupport

/// Tolerances against the Double oracle: sums of up to a few hundred products of values in
/// [-1, 1], so Float is held to 1e-4 absolute and relative.
func tolerance<Scalar: TensorScalar>(_: Scalar.Type) -> (rtol: Double, atol: Double) {
  Scalar.self == Double.self ? (1e-12, 1e-12) : (1e-4, 1e-4)
}

@Suite("Convolution kernels against a direct-loop oracle")
struct ConvolutionKernelTests {
  @Test(arguments: convolutionCases)
  func forward(_ p: ConvolutionCase) {
    check(p, Float.self)
    check(p, Double.self)
    func check<S: TensorScalar>(_ p: ConvolutionCase, _: S.Type) {
      let x = testValues(p.inputShape.reduce(1, *), seed: 1)
      let w = testValues(p.weightShape.reduce(1, *), seed: 2)
      let b = testValues(p.o, seed: 3)
      let (rtol, atol) = tolerance(S.self)
      let plain = Tensor<S>(p.inputShape, x).conv2D(Tensor(p.weightShape, w), geometry: p.geometry)
      let expected = Tensor<Double>(p.outputShape, p.convolution(x, w))
      let c1 = closeness(plain, expected, rtol: rtol, atol: atol)
      #expect(c1.passes, "\(S.self) \(p): \(c1)")
      let biased = Tensor<S>(p.inputShape, x).conv2D(
        Tensor(p.weightShape, w), bias: Tensor([p.o], b), geometry: p.geometry)
      let c2 = closeness(
        biased, Tensor<Double>(p.outputShape, p.convolution(x, w, bias: b)), rtol: rtol, atol: atol)
      #expect(c2.passes, "\(S.self) \(p) with bias: \(c2)")
    }
  }

  @Test(arguments: convolutionCases)
  func inputAdjoint(_ p: ConvolutionCase) {
    check(p, Float.self)
    check(p, Double.self)
    func check<S: TensorScalar>(_ p: ConvolutionCase, _: S.Type) {
      let gy = testValues(p.outputShape.reduce(1, *), seed: 4)
      let w = testValues(p.weightShape.reduce(1, *), seed: 5)
      let (rtol, atol) = tolerance(S.self)
      let actual = Tensor<S>(p.outputShape, gy).conv2DInputAdjoint(
        weight: Tensor(p.weightShape, w), inputShape: p.inputShape, geometry: p.geometry)
      let c = closeness(
        actual, Tensor<Double>(p.inputShape, p.inputAdjoint(gy, w)), rtol: rtol, atol: atol)
      #expect(c.passes, "\(S.self) \(p): \(c)")
    }
  }

  @Test(arguments: convolutionCases)
  func weightAdjoint(_ p: ConvolutionCase) {
    check(p, Float.self)
    check(p, Double.self)
    func check<S: TensorScalar>(_ p: ConvolutionCase, _: S.Type) {
      let gy = testValues(p.outputShape.reduce(1, *), seed: 6)
      let x = testValues(p.inputShape.reduce(1, *), seed: 7)
      let (rtol, atol) = tolerance(S.self)
      let actual = Tensor<S>(p.outputShape, gy).conv2DWeightAdjoint(
        input: Tensor(p.inputShape, x), weightShape: p.weightShape, geometry: p.geometry)
      let c = closeness(
        actual, Tensor<Double>(p.weightShape, p.weightAdjoint(gy, x)), rtol: rtol, atol: atol)
      #expect(c.passes, "\(S.self) \(p): \(c)")
    }
  }

  /// <conv(x, w), gy> = <x, adjX(gy, w)> = <w, adjW(gy, x)>, all computed by TensorCore in Double.
  @Test(arguments: convolutionCases)
  func dotProductIdentities(_ p: ConvolutionCase) {
    let x = testValues(p.inputShape.reduce(1, *), seed: 8)
    let w = testValues(p.weightShape.reduce(1, *), seed: 9)
    let gy = testValues(p.outputShape.reduce(1, *), seed: 10)
    let (tx, tw, tgy) = (
      Tensor<Double>(p.inputShape, x), Tensor<Double>(p.weightShape, w),
      Tensor<Double>(p.outputShape, gy)
    )
    let forward = dot(tx.conv2D(tw, geometry: p.geometry).doubles, gy)
    let viaInput = dot(
      x,
      tgy.conv2DInputAdjoint(weight: tw, inputShape: p.inputShape, geometry: p.geometry).doubles)
    let viaWeight = dot(
      w,
      tgy.conv2DWeightAdjoint(input: tx, weightShape: p.weightShape, geometry: p.geometry).doubles)
    let scale = max(1, abs(forward))
    #expect(abs(forward - viaInput) <= 1e-12 * scale, "\(p): \(forward) vs \(viaInput)")
    #expect(abs(forward - viaWeight) <= 1e-12 * scale, "\(p): \(forward) vs \(viaWeight)")
  }
}

@Suite("ReLU mask kernel")
struct ReluMaskTests {
  @Test func keepsWhereReferenceIsPositive() {
    check(Float.self)
    check(Double.self)
    func check<S: TensorScalar>(_: S.Type) {
      // Odd sizes exercise the vector loop's tail; exact zeros and negative zero must mask.
      for (k, count) in [(1, 37), (3, 1001), (2, 70_001)] {
        var reference = testValues(count, seed: 11)
        for i in stride(from: 0, to: count, by: 7) { reference[i] = 0 }
        for i in stride(from: 3, to: count, by: 11) { reference[i] = -0.0 }
        let values = testValues(k * count, seed: 12)
        let expected = (0..<k * count).map { reference[$0 % count] > 0 ? values[$0] : 0 }
        let r = Tensor<S>([count], reference)
        let full = Tensor<S>([count], Array(values.prefix(count))).keepingWherePositive(r)
        #expect(full.doubles == Array(expected.prefix(count)).map { Double(S($0)) })
        let block = Tensor<S>([k, count], values).keepingWherePositive(r)
        #expect(block.doubles == expected.map { Double(S($0)) })
      }
    }
  }
}
