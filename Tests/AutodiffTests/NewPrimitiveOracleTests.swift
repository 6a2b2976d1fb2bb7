// Forward-value oracles for the primitives the ONNX importer added: the transposed convolution
// against a direct loop written from PyTorch's definition (each input pixel scatters the
// kernel into the output), and selection against its definition, including a -inf in the
// branch not taken, which must leave value, gradient and HVP free of NaN.

import Autodiff
import TensorCore
import Testing
import _TestSupport

@Suite("New primitives: forward values from their definitions")
struct NewPrimitiveOracleTests {
  /// `y[n, o, i s - p + a d, j s - p + b d] += x[n, c, i, j] w[c, o, a, b]`, cropped to the
  /// output size `(H - 1) s - 2 p + d (k - 1) + output_padding + 1`.
  static func convTransposeOracle(
    _ x: Tensor<Double>, _ w: Tensor<Double>, stride: (Int, Int), padding: (Int, Int),
    dilation: (Int, Int), outputPadding: (Int, Int)
  ) -> Tensor<Double> {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
    let oh = (h - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kh - 1) + outputPadding.0 + 1
    let ow = (wd - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kw - 1) + outputPadding.1 + 1
    let xs = x.scalars
    let ws = w.scalars
    var y = [Double](repeating: 0, count: n * o * oh * ow)
    for b in 0..<n {
      for ci in 0..<c {
        for i in 0..<h {
          for j in 0..<wd {
            let v = xs[((b * c + ci) * h + i) * wd + j]
            for oc in 0..<o {
              for a in 0..<kh {
                for bb in 0..<kw {
                  let r = i * stride.0 - padding.0 + a * dilation.0
                  let q = j * stride.1 - padding.1 + bb * dilation.1
                  guard r >= 0, r < oh, q >= 0, q < ow else { continue }
                  y[((b * o + oc) * oh + r) * ow + q] += v * ws[((ci * o + oc) * kh + a) * kw + bb]
                }
              }
            }
          }
        }
      }
    }
    return Tensor(shape: [n, o, oh, ow], scalars: y)
  }

  @Test(arguments: [
    ((2, 3), (1, 1), (1, 1), (1, 2)), ((2, 2), (1, 0), (1, 1), (0, 1)),
    ((1, 1), (0, 0), (2, 3), (0, 0)), ((3, 1), (2, 0), (1, 2), (2, 0)),
  ])
  func convTransposeMatchesTheDirectLoop(
    _ stride: (Int, Int), _ padding: (Int, Int), _ dilation: (Int, Int),
    _ outputPadding: (Int, Int)
  ) {
    var g = SeededGenerator(seed: 11)
    let x = Tensor<Double>(randomNormal: [2, 3, 4, 5], using: &g)
    let w = Tensor<Double>(randomNormal: [3, 2, 3, 2], using: &g)
    let geometry = Convolution2DGeometry(
      kernelHeight: 3, kernelWidth: 2, strideHeight: stride.0, strideWidth: stride.1,
      paddingHeight: padding.0, paddingWidth: padding.1, dilationHeight: dilation.0,
      dilationWidth: dilation.1)
    let y = Variable(x).convTransposed2D(Variable(w), geometry: geometry, outputPadding: outputPadding)
      .value
    let expected = Self.convTransposeOracle(
      x, w, stride: stride, padding: padding, dilation: dilation, outputPadding: outputPadding)
    let check = closeness(y, expected, rtol: 1e-13, atol: 1e-13)
    #expect(check.passes, "\(check)")
  }

  @Test func selectingMatchesItsDefinition() {
    let mask = Tensor<Double>(shape: [2, 3], scalars: [1, 0, 1, 0, 0, 1])
    let a = Tensor<Double>([10, 20, 30])
    let b = Tensor<Double>(shape: [2, 1], scalars: [-1, -2])
    let y = Variable.selecting(mask, Variable(a), Variable(b)).value
    #expect(y.shape == [2, 3] && y.scalars == [10, -1, 30, -2, -2, 30])
  }

  /// A causal mask's -inf in the branch not taken: PyTorch's `torch.where` gives exact zeros
  /// in the derivatives there, and so must the selection (multiplying by the mask would give
  /// `0 * inf = NaN`).
  @Test func infinityInTheBranchNotTakenGivesNoNaN() {
    let mask = Tensor<Double>(shape: [2, 2], scalars: [1, 0, 1, 1])
    let x = Tensor<Double>(shape: [2, 2], scalars: [0.5, -1, 2, 0.25])
    let f = { (v: [Variable<Double>]) -> Variable<Double> in
      let scores = Variable.selecting(mask, v[0], Variable(Tensor(-Double.infinity)))
      return (scores.softmax(alongAxis: 1) * Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])).sum()
    }
    let r = hessianVectorProducts(
      at: [x], along: [Tensor(shape: [1, 2, 2], scalars: [1, 1, 1, 1])], in: f)
    #expect(r.value.isFinite)
    #expect(r.gradient[0].scalars.allSatisfy { $0.isFinite })
    #expect(r.hessianVectorProducts[0].scalars.allSatisfy { $0.isFinite })
    // Row 0 keeps one entry: softmax is constant 1 there, so its derivatives are exactly 0.
    #expect(r.gradient[0].scalars[0] == 0 && r.gradient[0].scalars[1] == 0)
  }

  /// Gathering rows is indexing; scattering adds each row back at its index (repeats sum).
  @Test func gatherAndScatterMatchTheirDefinitions() {
    let table = Tensor<Double>(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
    let rows = table.gathered([2, 0, 2], alongAxis: 0)
    #expect(rows.shape == [3, 2] && rows.scalars == [5, 6, 1, 2, 5, 6])
    let columns = table.gathered([1, 1], alongAxis: 1)
    #expect(columns.shape == [3, 2] && columns.scalars == [2, 2, 4, 4, 6, 6])
    let back = rows.scatterAdded([2, 0, 2], alongAxis: 0, size: 4)
    #expect(back.shape == [4, 2] && back.scalars == [1, 2, 0, 0, 10, 12, 0, 0])
  }

  /// The batched product equals a loop of hand-written matrix products, batch by batch, for
  /// every transposition.
  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func batchedMatmulMatchesALoop(_ ta: Bool, _ tb: Bool) {
    var g = SeededGenerator(seed: 12)
    let (batch, m, k, n) = (3, 2, 4, 5)
    let a = Tensor<Double>(randomNormal: ta ? [batch, k, m] : [batch, m, k], using: &g)
    let b = Tensor<Double>(randomNormal: tb ? [batch, n, k] : [batch, k, n], using: &g)
    let y = Variable(a).batchedMatmul(Variable(b), transposeSelf: ta, transposeOther: tb).value
    #expect(y.shape == [batch, m, n])
    for i in 0..<batch {
      for r in 0..<m {
        for c in 0..<n {
          var e = 0.0
          for j in 0..<k { e += (ta ? a[i, j, r] : a[i, r, j]) * (tb ? b[i, c, j] : b[i, j, c]) }
          #expect(abs(y[i, r, c] - e) < 1e-12)
        }
      }
    }
  }
}
