// Whole Hessians: the seed-001 net against its exact hand-worked Hessian, and small composite
// functions against dense finite-difference Hessians.

import Autodiff
import TensorCore
import Testing
import _TestSupport

/// The dense Hessian from exact HVPs along every basis vector, in one block pass.
func denseHessian(
  at points: [Tensor<Double>], in f: ([Variable<Double>]) -> Variable<Double>
) -> Tensor<Double> {
  let n = points.reduce(0) { $0 + $1.count }
  var offset = 0
  let identityBlocks = points.map { p -> Tensor<Double> in
    var block = Tensor<Double>(zeros: [n] + p.shape)
    block.withUnsafeMutableBufferPointer { b in
      for j in 0..<p.count { b[(offset + j) * p.count + j] = 1 }
    }
    offset += p.count
    return block
  }
  let h = hessianVectorProducts(at: points, along: identityBlocks, in: f).hessianVectorProducts
  return Tensor.concatenated(h.map { $0.reshaped(to: [n, -1]) }, alongAxis: 1)
}

@Suite("Dense Hessians")
struct DenseHessianTests {
  /// Seed 001: W = [[2, 3], [4, 1]], V = [2, 1], x = [1, 1], y = 14, loss = (V W x - y)^2.
  func seed001Loss(_ p: [Variable<Double>]) -> Variable<Double> {
    let x = Tensor<Double>(shape: [1, 2], scalars: [1, 1])
    let hidden = Variable(x).matmul(p[0], transposeOther: true)  // nn.Linear(2, 2, bias=False)
    let output = hidden.matmul(p[1], transposeOther: true)  // nn.Linear(2, 1, bias=False)
    return (output - 14).squared().sum()
  }

  let seed001Parameters = [
    Tensor<Double>(shape: [2, 2], scalars: [2, 3, 4, 1]),
    Tensor<Double>(shape: [1, 2], scalars: [2, 1]),
  ]

  @Test func seed001NetHasTheHandWorkedHessian() {
    let h = denseHessian(at: seed001Parameters, in: seed001Loss)
    let expected = Seed001Oracle.hessianMatrix(Double.self)
    #expect(h == expected, "\(h)")
    let (value, g) = valueWithGradient(at: seed001Parameters, in: seed001Loss)
    #expect(value == 1)  // y_hat = 15
    #expect(g[0].scalars == [4, 4, 2, 2] && g[1].scalars == [10, 10])  // 2 r V_i x_j, 2 r h
  }

  @Test func seed001NetEigenvalues() {
    var h = denseHessian(at: seed001Parameters, in: seed001Loss).scalars
    var eigenvalues = [Double](repeating: 0, count: 6)
    let info = h.withUnsafeMutableBufferPointer { a in
      eigenvalues.withUnsafeMutableBufferPointer { w in
        Double.symmetricEigen(n: 6, a: a.baseAddress!, eigenvalues: w.baseAddress!, vectors: false)
      }
    }
    #expect(info == 0)
    let expected = [-2.828427, -2.032250, 0, 0, 2.828427, 122.032250]
    for (a, e) in zip(eigenvalues, expected) { #expect(abs(a - e) < 1e-6, "\(eigenvalues)") }
  }

  @Test func compositeFunctionMatchesFiniteDifferenceHessian() {
    var g = SeededGenerator(seed: 5)
    let points = [
      Tensor<Double>(randomNormal: [2, 1, 5, 5], using: &g),
      Tensor<Double>(randomNormal: [2, 1, 3, 3], using: &g),
      Tensor<Double>(randomNormal: [3, 8], using: &g),
    ]
    let labels = Tensor<Double>(shape: [2, 3], scalars: [1, 0, 0, 0, 0, 1])
    let f = { (p: [Variable<Double>]) -> Variable<Double> in
      let features = p[0].conv2D(p[1], geometry: Convolution2DGeometry(kernel: 3, stride: 2))
        .tanh().reshaped(to: [2, 8])
      let logits = features.matmul(p[2], transposeOther: true)
      return -(logits.logSoftmax(alongAxis: 1) * labels).sum() / 2
    }
    let exact = denseHessian(at: points, in: f)
    let oracle = numericalHessian(at: points) { gradient(at: $0, in: f) }
    let result = closeness(exact, oracle, rtol: 1e-6, atol: 1e-7)
    #expect(result.passes, "\(result)")
  }

  @Test func unusedInputsGetZeroGradientAndZeroHVP() {
    let x = Tensor<Double>([1, 2])
    let unused = Tensor<Double>([3, 4, 5])
    let r = hessianVectorProducts(
      at: [x, unused],
      along: [
        Tensor(shape: [1, 2], scalars: [1, 0]), Tensor(shape: [1, 3], scalars: [1, 1, 1]),
      ]
    ) { p in (p[0] * p[0] * p[0]).sum() }
    #expect(r.gradient[0].scalars == [3, 12])
    #expect(r.gradient[1].scalars == [0, 0, 0])
    #expect(r.hessianVectorProducts[0].scalars == [6, 0])
    #expect(r.hessianVectorProducts[1].scalars == [0, 0, 0])
  }

  @Test func directionalDerivativesAndVectorJacobianProducts() {
    // f(x) = [x0 x1, x1^2]; J = [[x1, x0], [0, 2 x1]] at (2, 3) = [[3, 2], [0, 6]].
    let x = Tensor<Double>([2, 3])
    let f = { (p: [Variable<Double>]) -> Variable<Double> in
      let a = p[0].slice(0..<1, alongAxis: 0)
      let b = p[0].slice(1..<2, alongAxis: 0)
      return Variable.concatenated([a * b, b * b])
    }
    let jvp = valueWithDirectionalDerivatives(
      at: [x], along: [Tensor(shape: [2, 2], scalars: [1, 0, 0, 1])], in: f)
    #expect(jvp.value.scalars == [6, 9])
    #expect(jvp.derivatives.scalars == [3, 0, 2, 6])
    let vjp = valueWithVectorJacobianProducts(
      at: [x], cotangents: Tensor(shape: [2, 2], scalars: [1, 0, 0, 1]), in: f)
    #expect(vjp.products[0].scalars == [3, 2, 0, 6])
  }
}
