// Adam against torch.optim.Adam, full-batch training on the built-in spirals, and the spirals
// data set's construction.

import Autodiff
import RealModule
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@Suite("Adam, training and the spirals data set")
struct TrainingTests {
  @Test func adamStepsEqualPyTorch() {
    // torch.optim.Adam([p], lr=0.1) in float64 from p = [1, -2] with these gradients
    // (torch 2.15): p after each step.
    var values = [Tensor<Double>([1, -2])]
    var adam = Adam<Double>(shapes: [[2]], learningRate: 0.1)
    let gradients: [[Double]] = [[0.5, 0], [-1, 3], [0.25, -0.5]]
    let expected: [[Double]] = [
      [0.900000002, -2.0],
      [0.9366103542405654, -2.0744136820059964],
      [0.9502794203389762, -2.1206451140631506],
    ]
    for (g, e) in zip(gradients, expected) {
      adam.update(&values, along: [Tensor(g)])
      let r = closeness(values[0], Tensor(e), rtol: 1e-12, atol: 1e-15)
      #expect(r.passes, "\(r)")
    }
    #expect(adam.stepCount == 3)
  }

  @Test func spiralsAreBalancedInterleavedAndOnTheirArms() {
    let (x, labels) = spirals(classes: 3, samplesPerClass: 5, noise: 0, seed: 7, as: Double.self)
    #expect(x.shape == [15, 2])
    #expect(labels == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
    let p = x.scalars
    for row in 0..<15 {
      let s = Double(row / 3) / 4
      let radius = (p[2 * row] * p[2 * row] + p[2 * row + 1] * p[2 * row + 1]).squareRoot()
      #expect(abs(radius - s) < 1e-12)
    }
    // Without noise, sample i of arm c sits at angle 4 (c + s): atan2(x, y).
    let (c, s) = (2.0, 0.5)
    let row = 2 * 3 + 2
    #expect(abs(p[2 * row] - s * Double.sin(4 * (c + s))) < 1e-12)
    let (a, _) = spirals(classes: 3, samplesPerClass: 5, seed: 1, as: Double.self)
    let (b, _) = spirals(classes: 3, samplesPerClass: 5, seed: 1, as: Double.self)
    #expect(a.scalars == b.scalars)
  }

  @Test func fullBatchTrainingFitsSpiralsDeterministically() {
    let (x, labels) = spirals(classes: 3, samplesPerClass: 40, seed: 0, as: Double.self)
    func trained() -> (Model<Double>, [Double]) {
      var model = Model<Double>(multilayerPerceptron(widths: [2, 16, 3], activation: .tanh), seed: 3)
      var adam = Adam(for: model.parameters, learningRate: 0.02)
      let losses = train(
        &model, loss: .crossEntropy(.mean), inputs: x, targets: .classes(labels), steps: 150,
        optimizer: &adam)
      return (model, losses)
    }
    let (model, losses) = trained()
    #expect(losses.count == 150)
    #expect(losses[0] > 1.0 && losses[149] < 0.5 * losses[0], "\(losses[0]) -> \(losses[149])")
    let (again, _) = trained()
    #expect(model.parameters.values.map(\.scalars) == again.parameters.values.map(\.scalars))
  }
}
