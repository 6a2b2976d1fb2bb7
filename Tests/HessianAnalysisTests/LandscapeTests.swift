// Loss landscapes: the centre is the model's loss, a slice of a quadratic is the parabola
// set by the gradient and <d, H d>, and filter normalization gives each filter the weights'
// norm.

import Autodiff
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@Suite("Loss landscapes")
struct LandscapeTests {
  static let inputs: Tensor<Double> = {
    var g = SeededGenerator(seed: 61)
    return Tensor(randomNormal: [7, 3], using: &g)
  }()
  static let values: Tensor<Double> = {
    var g = SeededGenerator(seed: 62)
    return Tensor(randomNormal: [7, 2], using: &g)
  }()

  /// A linear model with squared error: its loss is exactly quadratic in the parameters.
  @Test(arguments: [
    LandscapeDirection<Double>.filterNormalizedRandom(includeBiasesAndBatchNorm: true),
    .hessianEigenvector(index: 0), .gradient,
  ])
  func sliceOfAQuadraticIsTheParabolaOfTheHessian(_ direction: LandscapeDirection<Double>) throws {
    let model = Model<Double>(Sequential([Linear<Double>(3, 2)]), seed: 63)
    let data = DataSet(inputs: Self.inputs, targets: .values(Self.values), batchSize: 3)
    let loss = LossFunction.meanSquaredError(.mean)
    let landscape = try lossLandscape(
      model: model, loss: loss, data: data, directions: [direction],
      grid: LandscapeGrid(-2...2, pointCount: 9), seed: 64)
    #expect(landscape.betas.isEmpty && landscape.losses.count == 1)
    #expect(landscape.alphas == [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2])
    // Recover the direction: random directions depend on the seed, so rebuild it the same way.
    let hessian = try HessianOperator(model: model, loss: loss, data: data)
    let (l0, g) = try hessian.lossAndGradient()
    let d: Tensor<Double>
    switch direction {
    case .filterNormalizedRandom:
      // lossLandscape draws the random direction from SeededGenerator(seed) after any Lanczos.
      var rng = SeededGenerator(seed: 64)
      d = ParameterCollection<Double>.flatten(
        filterNormalizedDirection(
          for: model.parameters.values, includeBiasesAndBatchNorm: true, using: &rng))
    case .gradient:
      d = g * (1 / Double(g.norm()))
    default:
      var rng = SeededGenerator(seed: 64)
      d = try eigenpairs(of: hessian, count: 1, tolerance: 1e-6, using: &rng).eigenvectors.reshaped(
        to: [8])
    }
    #expect(abs(Double(d.norm()) - landscape.directionNorms[0]) < 1e-12)
    let curvature = Double(d.dot(try hessian.apply(row(d)).reshaped(to: [8])))
    let slope = Double(g.dot(d))
    for (alpha, value) in zip(landscape.alphas, landscape.losses[0]) {
      let parabola = l0 + alpha * slope + alpha * alpha * curvature / 2
      #expect(
        abs(value - parabola) <= 1e-12 * max(1, abs(parabola)), "\(direction.label) at \(alpha)")
    }
    #expect(landscape.centerLoss == l0 && landscape.losses[0][4] == l0)
  }

  @Test func centreOfATwoDimensionalGridIsTheModelsLoss() throws {
    let model = Model<Double>(multilayerPerceptron(widths: [3, 6, 4], activation: .tanh), seed: 65)
    let labels = [0, 1, 2, 3, 0, 1, 2]
    let data = DataSet(inputs: Self.inputs, targets: .classes(labels), batchSize: 4)
    let landscape = try lossLandscape(
      model: model, loss: .crossEntropy(.mean), data: data,
      directions: [.hessianEigenvector(index: 0), .gradient],
      grid: LandscapeGrid(-0.5...0.5, pointCount: 3),
      secondGrid: LandscapeGrid(-1...1, pointCount: 5),
      seed: 66)
    let direct = model.loss(.crossEntropy(.mean), inputs: Self.inputs, targets: .classes(labels))
    #expect(abs(landscape.losses[2][1] - direct) < 1e-14)
    #expect(abs(landscape.centerLoss - direct) < 1e-14)
    #expect(landscape.losses.count == 5 && landscape.losses.allSatisfy { $0.count == 3 })
    #expect(landscape.betas == [-1, -0.5, 0, 0.5, 1])
    #expect(landscape.directions == ["eigenvector 0", "gradient"])
    #expect(allClose(landscape.directionNorms, [1, 1], rtol: 1e-12))
    #expect(landscape.hvpCount > 0 && landscape.lossEvaluations == 15 && landscape.seed == 66)
    // Along the gradient, the loss decreases away from the centre in the negative direction.
    #expect(landscape.losses[1][1] < landscape.losses[2][1])
  }

  @Test func filterNormalizationGivesEachFilterTheWeightsNorm() throws {
    let network = Sequential<Double>([
      Conv2d(2, 3, kernel: 3), BatchNorm.twoD(3), Activation.relu, GlobalAvgPool2d(), Flatten(),
      Linear(3, 2),
    ])
    let model = Model<Double>(network, seed: 67)
    var rng = SeededGenerator(seed: 68)
    let direction = filterNormalizedDirection(for: model.parameters.values, using: &rng)
    #expect(
      model.parameters.names == ["0.weight", "0.bias", "1.weight", "1.bias", "5.weight", "5.bias"])
    for (name, (d, w)) in zip(model.parameters.names, zip(direction, model.parameters.values)) {
      if w.rank == 1 {
        #expect(d.scalars.allSatisfy { $0 == 0 }, "\(name) is zeroed by default")
        continue
      }
      for f in 0..<w.shape[0] {
        let df = d.slice(f..<f + 1, alongAxis: 0)
        let wf = w.slice(f..<f + 1, alongAxis: 0)
        #expect(abs(Double(df.norm()) - Double(wf.norm())) < 1e-9, "\(name) filter \(f)")
      }
    }
    var again = SeededGenerator(seed: 68)
    let kept = filterNormalizedDirection(
      for: model.parameters.values, includeBiasesAndBatchNorm: true, using: &again)
    #expect(kept[3] == model.parameters.values[3] && kept[0] == direction[0])
  }
}
