// Every primitive's gradient against central finite differences of values, and its HVP
// against central finite differences of gradients, in Double (the oracle ladder, rungs 2 and 4).

import Autodiff
import TensorCore
import Testing
import _TestSupport

/// A scalar test function built around one primitive `op`:
/// `f = sum(w1 * op(x)) + sum(w2 * op(x)^2)`, so that both `op'` and `op''` reach the Hessian.
struct PrimitiveCase: CustomStringConvertible, Sendable {
  let name: String
  let shapes: [[Int]]
  /// Inputs must be positive (log, sqrt, divisors).
  var positive: [Bool] = []
  let op: @Sendable ([Variable<Double>]) -> Variable<Double>

  var description: String { name }

  func points(seed: UInt64) -> [Tensor<Double>] {
    var g = SeededGenerator(seed: seed)
    return shapes.enumerated().map { i, shape in
      let t = Tensor<Double>(randomNormal: shape, using: &g)
      return i < positive.count && positive[i] ? t.abs() + 0.5 : t
    }
  }

  func function(seed: UInt64) -> ([Variable<Double>]) -> Variable<Double> {
    let probe = op(points(seed: seed).map { Variable($0) })
    var g = SeededGenerator(seed: seed &+ 1)
    let w1 = Tensor<Double>(randomNormal: probe.shape, using: &g)
    let w2 = Tensor<Double>(randomNormal: probe.shape, using: &g)
    return { x in
      let y = op(x)
      return (y * w1).sum() + (y * y * w2).sum()
    }
  }
}

let geometry = Convolution2DGeometry(
  kernelHeight: 3, kernelWidth: 2, strideHeight: 2, strideWidth: 1, paddingHeight: 1,
  paddingWidth: 2, dilationHeight: 2, dilationWidth: 1)

let primitiveCases: [PrimitiveCase] = [
  PrimitiveCase(name: "add (broadcast)", shapes: [[3, 4], [4]]) { $0[0] + $0[1] },
  PrimitiveCase(name: "sub (broadcast both)", shapes: [[2, 3, 1], [3, 4]]) { $0[0] - $0[1] },
  PrimitiveCase(name: "mul (broadcast both)", shapes: [[3, 1], [1, 4]]) { $0[0] * $0[1] },
  PrimitiveCase(name: "div (broadcast)", shapes: [[3, 4], [4]], positive: [false, true]) {
    $0[0] / $0[1]
  },
  PrimitiveCase(name: "scalar arithmetic", shapes: [[5]]) { (3 - $0[0] * 2.5) / 4 + 1.5 },
  PrimitiveCase(name: "negation", shapes: [[5]]) { -$0[0] },
  PrimitiveCase(name: "exp", shapes: [[6]]) { $0[0].exp() },
  PrimitiveCase(name: "log", shapes: [[6]], positive: [true]) { $0[0].log() },
  PrimitiveCase(name: "sqrt", shapes: [[6]], positive: [true]) { $0[0].squareRoot() },
  PrimitiveCase(name: "tanh", shapes: [[6]]) { $0[0].tanh() },
  PrimitiveCase(name: "sigmoid", shapes: [[6]]) { ($0[0] * 3).sigmoid() },
  PrimitiveCase(name: "erf", shapes: [[6]]) { $0[0].erf() },
  PrimitiveCase(name: "softplus", shapes: [[6]]) { ($0[0] * 3).softplus() },
  PrimitiveCase(name: "relu", shapes: [[8]]) { $0[0].relu() },
  PrimitiveCase(name: "leaky relu", shapes: [[8]]) { $0[0].leakyRelu(negativeSlope: 0.1) },
  PrimitiveCase(name: "elu", shapes: [[8]]) { $0[0].elu(alpha: 0.7) },
  PrimitiveCase(name: "gelu", shapes: [[8]]) { $0[0].gelu() },
  PrimitiveCase(name: "sum along axes", shapes: [[2, 3, 4]]) { $0[0].sum(alongAxes: [0, 2]) },
  PrimitiveCase(name: "sum squeezing axes", shapes: [[2, 3, 4]]) { $0[0].sum(squeezingAxes: [1]) },
  PrimitiveCase(name: "mean", shapes: [[2, 3]]) { $0[0].mean() * $0[0].mean(alongAxes: [1]) },
  PrimitiveCase(name: "reshape + permute", shapes: [[2, 3, 4]]) {
    $0[0].permuted([2, 0, 1]).reshaped(to: [4, -1])
  },
  PrimitiveCase(name: "broadcast to", shapes: [[3, 1]]) { $0[0].broadcasted(to: [2, 3, 4]) },
  PrimitiveCase(name: "slice", shapes: [[4, 5]]) { $0[0].slice(1..<3, alongAxis: 1) },
  PrimitiveCase(name: "concatenate", shapes: [[2, 3], [2, 2]]) {
    Variable.concatenated([$0[0], $0[1] * $0[1]], alongAxis: 1)
  },
  PrimitiveCase(name: "log softmax", shapes: [[3, 5]]) { $0[0].logSoftmax(alongAxis: 1) },
  PrimitiveCase(name: "matmul", shapes: [[3, 4], [4, 2]]) { $0[0].matmul($0[1]) },
  PrimitiveCase(name: "matmul Aᵀ", shapes: [[4, 3], [4, 2]]) {
    $0[0].matmul($0[1], transposeSelf: true)
  },
  PrimitiveCase(name: "matmul Bᵀ", shapes: [[3, 4], [2, 4]]) {
    $0[0].matmul($0[1], transposeOther: true)
  },
  PrimitiveCase(name: "matmul AᵀBᵀ", shapes: [[4, 3], [2, 4]]) {
    $0[0].matmul($0[1], transposeSelf: true, transposeOther: true)
  },
  PrimitiveCase(name: "conv2d (stride, padding, dilation)", shapes: [[2, 3, 7, 6], [4, 3, 3, 2]]) {
    $0[0].conv2D($0[1], geometry: geometry)
  },
  PrimitiveCase(name: "conv2d with bias", shapes: [[2, 3, 5, 4], [4, 3, 3, 3], [4]]) {
    $0[0].conv2D($0[1], bias: $0[2], geometry: Convolution2DGeometry(kernel: 3, padding: 1))
  },
  PrimitiveCase(name: "conv2d dilated, same size", shapes: [[1, 2, 6, 5], [3, 2, 3, 3]]) {
    $0[0].conv2D($0[1], geometry: Convolution2DGeometry(kernel: 3, padding: 2, dilation: 2))
  },
  PrimitiveCase(name: "conv2d 1x1 stride 2", shapes: [[2, 3, 5, 5], [2, 3, 1, 1]]) {
    $0[0].conv2D($0[1], geometry: Convolution2DGeometry(kernel: 1, stride: 2))
  },
  PrimitiveCase(name: "conv transpose (stride, padding, output padding)", shapes: [[2, 3, 4, 3], [3, 2, 3, 4]]) {
    $0[0].convTransposed2D(
      $0[1],
      geometry: Convolution2DGeometry(
        kernelHeight: 3, kernelWidth: 4, strideHeight: 2, strideWidth: 3, paddingHeight: 1,
        paddingWidth: 1),
      outputPadding: (1, 2))
  },
  PrimitiveCase(name: "conv transpose dilated", shapes: [[1, 2, 3, 3], [2, 3, 2, 2]]) {
    $0[0].convTransposed2D($0[1], geometry: Convolution2DGeometry(kernel: 2, dilation: 2))
  },
  PrimitiveCase(name: "gathered rows (repeated indices)", shapes: [[5, 3]]) {
    $0[0].gathered([4, 0, 4, 2, 4], alongAxis: 0) * $0[0].gathered([1, 1, 3, 0, 2], alongAxis: 0)
  },
  PrimitiveCase(name: "gathered middle axis", shapes: [[2, 4, 3]]) {
    $0[0].gathered([3, 1, 3], alongAxis: 1).exp()
  },
  PrimitiveCase(name: "batched matmul", shapes: [[3, 2, 4], [3, 4, 5]]) {
    $0[0].batchedMatmul($0[1]).tanh()
  },
  PrimitiveCase(name: "batched matmul (Aᵀ B)", shapes: [[2, 4, 3], [2, 4, 2]]) {
    $0[0].batchedMatmul($0[1], transposeSelf: true).squared()
  },
  PrimitiveCase(name: "batched matmul (A Bᵀ, attention scores)", shapes: [[2, 3, 4], [2, 5, 4]]) {
    $0[0].batchedMatmul($0[1], transposeOther: true).softmax(alongAxis: 2)
  },
  PrimitiveCase(name: "batched matmul (Aᵀ Bᵀ)", shapes: [[2, 4, 3], [2, 5, 4]]) {
    $0[0].batchedMatmul($0[1], transposeSelf: true, transposeOther: true).exp()
  },
  PrimitiveCase(name: "batched matmul (A Aᵀ, shared operand)", shapes: [[2, 3, 4]]) {
    $0[0].batchedMatmul($0[0], transposeOther: true).tanh()
  },
  PrimitiveCase(name: "selecting (broadcast)", shapes: [[3, 4], [4]]) {
    Variable.selecting(
      Tensor(shape: [3, 4], scalars: [1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0]), $0[0] * $0[0],
      $0[1].exp())
  },
  PrimitiveCase(name: "channel affine", shapes: [[2, 3, 4, 2], [3], [3]]) {
    $0[0].channelAffine(scale: $0[1], shift: $0[2])
  },
  PrimitiveCase(name: "channel affine (rank 2)", shapes: [[5, 3], [3], [3]]) {
    $0[0].channelAffine(scale: $0[1] * $0[1], shift: $0[2])
  },
  PrimitiveCase(name: "max pool", shapes: [[2, 3, 6, 6]]) {
    $0[0].maxPool2D(geometry: Convolution2DGeometry(kernel: 3, stride: 2, padding: 1))
  },
  PrimitiveCase(name: "avg pool", shapes: [[2, 2, 5, 5]]) {
    $0[0].avgPool2D(geometry: Convolution2DGeometry(kernel: 3, stride: 2, padding: 1))
  },
]

@Suite("Primitive derivatives against finite differences (Double)")
struct PrimitiveDerivativeTests {
  @Test(arguments: primitiveCases)
  func gradientMatchesFiniteDifferences(_ c: PrimitiveCase) {
    let x = c.points(seed: 7)
    let f = c.function(seed: 7)
    let (value, gradient) = valueWithGradient(at: x, in: f)
    let plain = { (p: [Tensor<Double>]) in f(p.map { Variable($0) }).value.scalar }
    #expect(abs(value - plain(x)) <= 1e-12 * max(1, abs(value)))
    let expected = numericalGradient(at: x, of: plain)
    for (actual, oracle) in zip(gradient, expected) {
      let result = closeness(actual, oracle, rtol: 1e-6, atol: 1e-7)
      #expect(result.passes, "\(c.name): \(result)")
    }
  }

  @Test(arguments: primitiveCases)
  func hessianVectorProductMatchesFiniteDifferences(_ c: PrimitiveCase) {
    let x = c.points(seed: 11)
    let f = c.function(seed: 11)
    var g = SeededGenerator(seed: 12)
    let v = x.map { Tensor<Double>(randomNormal: $0.shape, using: &g) }
    let exact = hessianVectorProducts(at: x, along: v.map { $0.expandingShape(at: 0) }, in: f)
    let oracle = numericalHessianVectorProduct(at: x, along: v) { gradient(at: $0, in: f) }
    for (actual, expected) in zip(exact.hessianVectorProducts, oracle) {
      let result = closeness(actual.reshaped(to: expected.shape), expected, rtol: 1e-6, atol: 1e-6)
      #expect(result.passes, "\(c.name): \(result)")
    }
  }

  /// The whole Hessian, from exact HVPs along every basis vector in one block, against the
  /// dense finite-difference Hessian.
  @Test(arguments: primitiveCases)
  func denseHessianMatchesFiniteDifferences(_ c: PrimitiveCase) {
    let x = c.points(seed: 41)
    let f = c.function(seed: 41)
    let exact = denseHessian(at: x, in: f)
    let oracle = numericalHessian(at: x) { gradient(at: $0, in: f) }
    let result = closeness(exact, oracle, rtol: 1e-6, atol: 1e-6)
    #expect(result.passes, "\(c.name): \(result)")
  }

  @Test(arguments: primitiveCases)
  func blockOfDirectionsEqualsSingleProducts(_ c: PrimitiveCase) {
    let x = c.points(seed: 21)
    let f = c.function(seed: 21)
    var g = SeededGenerator(seed: 22)
    let k = 3
    let block = x.map { Tensor<Double>(randomNormal: [k] + $0.shape, using: &g) }
    let together = hessianVectorProducts(at: x, along: block, in: f).hessianVectorProducts
    for i in 0..<k {
      let single = hessianVectorProducts(
        at: x, along: block.map { $0.slice(i..<i + 1, alongAxis: 0) }, in: f
      ).hessianVectorProducts
      for (a, b) in zip(together, single) {
        let result = closeness(a.slice(i..<i + 1, alongAxis: 0), b, rtol: 1e-12, atol: 1e-12)
        #expect(result.passes, "\(c.name), direction \(i): \(result)")
      }
    }
  }

  @Test(arguments: primitiveCases)
  func hessianIsSymmetric(_ c: PrimitiveCase) {
    let x = c.points(seed: 31)
    let f = c.function(seed: 31)
    var g = SeededGenerator(seed: 32)
    let uv = x.map { Tensor<Double>(randomNormal: [2] + $0.shape, using: &g) }
    let h = hessianVectorProducts(at: x, along: uv, in: f).hessianVectorProducts
    func row(_ t: [Tensor<Double>], _ i: Int) -> [Double] {
      t.flatMap { $0.slice(i..<i + 1, alongAxis: 0).scalars }
    }
    let uHv = zip(row(uv, 0), row(h, 1)).map(*).reduce(0, +)
    let vHu = zip(row(uv, 1), row(h, 0)).map(*).reduce(0, +)
    #expect(abs(uHv - vHu) <= 1e-10 * max(1, abs(uHv)), "\(c.name): u·Hv = \(uHv), v·Hu = \(vHu)")
  }
}
