// Shared tiny models and data for the HessianAnalysis tests, and small dense-algebra helpers.

import Autodiff
import HessianAnalysis
import NeuralNetworks
import TensorCore
import _TestSupport

/// The 2-2-1 linear network of seed notebook 001: nn.Linear(2, 2, bias=False) with
/// W = [[2, 3], [4, 1]], then nn.Linear(2, 1, bias=False) with V = [2, 1]; x = [1, 1], y = 14,
/// loss (y_hat - y)^2 = MSE with sum reduction on one sample.
enum Seed001 {
  static var model: Model<Double> {
    var model = Model<Double>(
      Sequential([Linear<Double>(2, 2, bias: false), Linear<Double>(2, 1, bias: false)]))
    model.parameters.values = [
      Tensor(shape: [2, 2], scalars: [2, 3, 4, 1]), Tensor(shape: [1, 2], scalars: [2, 1]),
    ]
    return model
  }

  static var data: DataSet<Double> {
    DataSet(
      inputs: Tensor(shape: [1, 2], scalars: [1, 1]),
      targets: .values(Tensor(shape: [1, 1], scalars: [14])))
  }

  static let loss = LossFunction.meanSquaredError(.sum)

  /// The hand-worked Hessian over (w1, w2, w3, w4, v1, v2), seeds/README.md.
  static let hessian = Seed001Oracle.hessian

  /// Its eigenvalues, ascending, in closed form.
  static let eigenvalues = Seed001Oracle.eigenvalues
}

/// A tanh MLP of 1,794 parameters (widths [10, 40, 30, 4]) on 64 fixed samples of 4 classes.
enum SmallMLP {
  static func model(seed: UInt64 = 1) -> Model<Double> {
    Model(multilayerPerceptron(widths: [10, 40, 30, 4], activation: .tanh), seed: seed)
  }

  static func inputs(count: Int = 64, seed: UInt64 = 2) -> Tensor<Double> {
    var generator = SeededGenerator(seed: seed)
    return Tensor(randomNormal: [count, 10], using: &generator)
  }

  static func labels(count: Int = 64) -> [Int] { (0..<count).map { ($0 * 7 + $0 / 5) % 4 } }

  static func data(batchSize: Int? = nil) -> DataSet<Double> {
    DataSet(inputs: inputs(), targets: .classes(labels()), batchSize: batchSize)
  }
}

/// `x` as a `[1, n]` block.
func row(_ x: Tensor<Double>) -> Tensor<Double> { x.reshaped(to: [1, x.count]) }

/// Columns `range` of a dense matrix `[n, n]` restricted to rows `range`: a diagonal block.
func diagonalBlock(_ m: Tensor<Double>, _ range: Range<Int>) -> Tensor<Double> {
  m.slice(range, alongAxis: 0).slice(range, alongAxis: 1)
}

/// `|a - b| <= rtol |b|` for every element.
func allClose(_ a: [Double], _ b: [Double], rtol: Double, atol: Double = 0) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= atol + rtol * abs($1) }
}
