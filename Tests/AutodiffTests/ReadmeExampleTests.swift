// The README's example, verbatim in substance: if this fails, the README is wrong.

import Autodiff
import TensorCore
import Testing

@Test func readmeExamplePrintsTheDocumentedNumbers() {
  let x = Tensor<Double>(shape: [1, 2], scalars: [1, 1])
  let loss = { (p: [Variable<Double>]) -> Variable<Double> in
    let yHat = Variable(x).matmul(p[0], transposeOther: true).matmul(p[1], transposeOther: true)
    return (yHat - 14).squared().sum()
  }
  let w = Tensor<Double>(shape: [2, 2], scalars: [2, 3, 4, 1])
  let v = Tensor<Double>(shape: [1, 2], scalars: [2, 1])
  let (value, g) = valueWithGradient(at: [w, v], in: loss)
  #expect(value == 1 && g[0].scalars == [4, 4, 2, 2] && g[1].scalars == [10, 10])
  let e5 = [Tensor<Double>(zeros: [1, 2, 2]), Tensor<Double>(shape: [1, 1, 2], scalars: [1, 0])]
  let h = hessianVectorProducts(at: [w, v], along: e5, in: loss).hessianVectorProducts
  #expect(h[0].scalars == [22, 22, 10, 10] && h[1].scalars == [50, 50])
}
