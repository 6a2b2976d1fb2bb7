// `import HessianKit` alone reaches every public module: the seed-001 network of the seed
// notebooks, built, differentiated, analyzed, saved and plotted with no other import. Oracle:
// its hand-worked Hessian (the seed notebooks' fact check), whose eigenvalues are -2.828427,
// -2.032250, 0, 0, 2.828427 and 122.032250.

import Foundation
import HessianKit
import Testing

@Suite("import HessianKit reaches every module")
struct UmbrellaImportTests {
  static let spectrum = [-2.828427, -2.032250, 0, 0, 2.828427, 122.032250]

  /// NeuralNetworks: the 2-2-1 linear network with W = [[2, 3], [4, 1]], V = [2, 1].
  static var model: Model<Double> {
    var model = Model<Double>(
      Sequential([Linear<Double>(2, 2, bias: false), Linear<Double>(2, 1, bias: false)]))
    model.parameters.values = [
      Tensor(shape: [2, 2], scalars: [2, 3, 4, 1]), Tensor(shape: [1, 2], scalars: [2, 1]),
    ]
    return model
  }

  @Test("Autodiff, NeuralNetworks, HessianAnalysis and MatrixFree through one import")
  func analysis() throws {
    // Autodiff + TensorCore: the README's ten lines.
    let x = Tensor<Double>(shape: [1, 2], scalars: [1, 1])
    let loss = { (p: [Variable<Double>]) -> Variable<Double> in
      let yHat = Variable(x).matmul(p[0], transposeOther: true).matmul(p[1], transposeOther: true)
      return (yHat - 14).squared().sum()
    }
    let (value, gradient) = valueWithGradient(at: Self.model.parameters.values, in: loss)
    #expect(value == 1 && gradient[1].scalars == [10, 10])

    // HessianAnalysis: the model's Hessian operator; MatrixFree: a single-vector product and
    // the seeded eigensolver.
    let hessian = try HessianOperator(
      model: Self.model, loss: .meanSquaredError(.sum),
      data: DataSet(inputs: x, targets: .values(Tensor(shape: [1, 1], scalars: [14]))))
    let column = try hessian.apply(vector: Tensor(shape: [6], scalars: [0, 0, 0, 0, 1, 0]))
    #expect(column.scalars == [22, 22, 10, 10, 50, 50])
    let top = try eigenpairs(of: hessian, count: 1, tolerance: 1e-10, seed: 7)
    #expect(abs(top.eigenvalues[0] - 122.032250) < 1e-6 && top.seed == 7 && top.verified)

    let dense = try DenseHessian(of: hessian)
    let values = try dense.eigenvalues()
    for (a, b) in zip(values, Self.spectrum) { #expect(abs(a - b) < 1e-6, "\(values)") }
  }

  @Test("TensorIO and Plots through the same import")
  func filesAndPlots() throws {
    let t = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let data = try NumPy.encode(StoredTensor(t))
    let back = try NumPy.decode(data).floatingPoint(as: Double.self)
    #expect(back == t)
    let chart = LineChart(series: [.init(name: "loss", x: [0, 1, 2], y: [3, 1, 2])])
    #expect(chart.svg().hasPrefix("<svg") || chart.svg().contains("<svg"))
  }

  /// ONNXImport through the same import: a file PyTorch exported, as a Model.
  @Test("ONNXImport through the same import")
  func importedModel() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Fixtures/onnx/lenet.dynamo.onnx")
    let graph = try ONNXGraph(contentsOf: url)
    let model = Model<Float>(try ONNXNetwork<Float>(graph))
    #expect(model.parameters.names.first == "conv1.weight")
    #expect(model.parameters.parameterCount == 3446)
  }
}
