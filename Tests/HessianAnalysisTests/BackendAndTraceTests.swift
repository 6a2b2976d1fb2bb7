// The finite-difference backend of the parameter Hessian in both precisions, and per-layer
// traces split from one Hutchinson run on the full Hessian.

import Autodiff
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@Suite("Finite-difference backend and per-layer traces")
struct BackendAndTraceTests {
  static func data<S: TensorScalar>(_: S.Type) -> DataSet<S> {
    var g = SeededGenerator(seed: 71)
    let x = Tensor<Double>(randomNormal: [9, 3], using: &g)
    return DataSet(
      inputs: Tensor<S>(x), targets: .classes([0, 1, 2, 3, 4, 0, 1, 2, 3]), batchSize: 4)
  }

  static func model<S: TensorScalar>(_: S.Type) -> Model<S> {
    Model(multilayerPerceptron(widths: [3, 6, 5], activation: .tanh), seed: 72)
  }

  /// In Double the automatic step gives products to about eps^(2/3) = 3.7e-11 relative
  /// (measured 2.7e-11), far inside the 1e-4 acceptance bar.
  @Test func finiteDifferenceProductsMatchExactInDouble() throws {
    let exact = try HessianOperator(
      model: Self.model(Double.self), loss: .crossEntropy(.mean), data: Self.data(Double.self))
    let fd = try HessianOperator(
      model: Self.model(Double.self), loss: .crossEntropy(.mean), data: Self.data(Double.self),
      method: .finiteDifference(.automatic))
    var rng = SeededGenerator(seed: 73)
    let block = Tensor<Double>(randomNormal: [4, exact.dimension], using: &rng) * 100
    let error = relativeError(try fd.apply(block), try exact.apply(block))
    #expect(error < 1e-9, "relative error \(error)")
    #expect(fd.hvpCount == 4 && fd.method == .finiteDifference(.automatic))
    // A zero direction gives a zero product (no division by its norm).
    let zero = try fd.apply(Tensor(zeros: [1, exact.dimension]))
    #expect(zero.scalars.allSatisfy { $0 == 0 })
  }

  /// In Float the same rule (a relative perturbation of cbrt(1.2e-7) = 4.9e-3) keeps the
  /// error near eps^(2/3) = 2.4e-5 (measured 2.4e-5 against a Double oracle); a step about
  /// 10,000 times smaller is dominated by rounding (measured 0.17).
  @Test func finiteDifferenceStepRuleHoldsInFloat() throws {
    let fd = try HessianOperator(
      model: Self.model(Float.self), loss: .crossEntropy(.mean), data: Self.data(Float.self),
      method: .finiteDifference(.automatic))
    let oracle = try HessianOperator(
      model: Self.model(Double.self), loss: .crossEntropy(.mean), data: Self.data(Double.self))
    var rng = SeededGenerator(seed: 74)
    let block = Tensor<Double>(randomNormal: [4, oracle.dimension], using: &rng)
    let error = relativeError(try fd.apply(Tensor<Float>(block)), try oracle.apply(block))
    #expect(error < 2e-4, "relative error \(error)")
    // The exact Float operator agrees with the Double one to Float rounding.
    let exactFloat = try HessianOperator(
      model: Self.model(Float.self), loss: .crossEntropy(.mean), data: Self.data(Float.self))
    let floatError = relativeError(
      try exactFloat.apply(Tensor<Float>(block)), try oracle.apply(block))
    #expect(floatError < 1e-5, "exact Float relative error \(floatError)")
    // A step much smaller than the rule is ruined by rounding: the rule is not arbitrary.
    let tiny = try HessianOperator(
      model: Self.model(Float.self), loss: .crossEntropy(.mean), data: Self.data(Float.self),
      method: .finiteDifference(.perturbationNorm(1e-6)))
    let tinyError = relativeError(try tiny.apply(Tensor<Float>(block)), try oracle.apply(block))
    #expect(tinyError > 10 * error, "tiny step \(tinyError) vs rule \(error)")
  }

  /// Each layer's trace from the full Hessian's samples z_lᵀ (H z)_l lands within 3 standard
  /// errors of the dense block's exact trace, on the seed-001 network (traces 20 and 100, with
  /// large cross-layer blocks) and on a small MLP.
  @Test func perLayerTracesFromOneHutchinsonRun() throws {
    let seed001 = try HessianOperator(model: Seed001.model, loss: Seed001.loss, data: Seed001.data)
    let split = try perLayerTraceEstimates(
      of: seed001, targetRelativeError: 0.01, maxMatvecs: 1000, seed: 75)
    #expect(split.map(\.scope) == [.perLayer("0"), .perLayer("1")])
    #expect(split.map(\.dimension) == [4, 2])
    for (trace, exact) in zip(split, [20.0, 100]) {
      let t = trace.trace
      #expect(abs(t.trace - exact) <= 3 * t.standardError, "\(trace.name): \(t)")
      #expect(t.method == .hutchinsonSplit && t.hvpCount == seed001.hvpCount)
    }
    // The variance of layer 0's samples is 2 (400 - 136) + 2256 = 2784 (its own block plus
    // the cross-layer block): the measured standard error reflects it.
    let expectedError = (2784.0 / Double(split[0].trace.sampleCount)).squareRoot()
    #expect(abs(split[0].trace.standardError / expectedError - 1) < 0.1)

    let mlp = try HessianOperator(
      model: Self.model(Double.self), loss: .crossEntropy(.mean), data: Self.data(Double.self))
    let dense = try DenseHessian(of: mlp)
    let traces = try perLayerTraceEstimates(
      of: mlp, targetRelativeError: 0.02, maxMatvecs: 800, seed: 76)
    #expect(traces.map(\.name) == ["0", "2"])
    for trace in traces {
      let exact = dense.segments.filter { LayerGroup.layerName(ofParameter: $0.name) == trace.name }
        .reduce(0.0) { sum, s in
          sum + (s.offset..<s.offset + s.count).reduce(0.0) { $0 + dense.matrix[$1, $1] }
        }
      #expect(
        abs(trace.trace.trace - exact) <= 3 * trace.trace.standardError,
        "\(trace.name): \(trace.trace) vs \(exact)")
    }
  }

  /// A conv net with BatchNorm (evaluation mode, non-trivial running statistics): each layer's
  /// operator (conv weight + bias; BatchNorm weight + bias together) is the full Hessian's
  /// diagonal block, and the per-layer summary's traces are those blocks' traces.
  @Test func perLayerOperatorsAreTheDiagonalBlocksOfAConvNet() throws {
    let network = Sequential<Double>([
      Conv2d(2, 3, kernel: 3), BatchNorm.twoD(3), Activation.tanh, GlobalAvgPool2d(), Flatten(),
      Linear(3, 2),
    ])
    var model = Model<Double>(network, seed: 77)
    var rng = SeededGenerator(seed: 78)
    model.parameters.buffers["1.running_mean"] = Tensor(
      randomNormal: [3], standardDeviation: 0.1, using: &rng)
    model.parameters.buffers["1.running_var"] = Tensor(
      randomUniform: [3], lower: 0.5, upper: 1.5, using: &rng)
    let data = DataSet(
      inputs: Tensor<Double>(randomNormal: [4, 2, 5, 5], using: &rng),
      targets: .values(Tensor<Double>(randomNormal: [4, 2], using: &rng)), batchSize: 3)
    let loss = LossFunction.meanSquaredError(.mean)
    let full = try DenseHessian(of: HessianOperator(model: model, loss: loss, data: data))
    let layers = try HessianOperator.perLayer(model: model, loss: loss, data: data)
    #expect(layers.map(\.scope) == [.perLayer("0"), .perLayer("1"), .perLayer("5")])
    #expect(
      layers.map { $0.segments.map(\.name) } == [
        ["0.weight", "0.bias"], ["1.weight", "1.bias"], ["5.weight", "5.bias"],
      ])
    var start = 0
    var traces: [Double] = []
    for layer in layers {
      let block = try DenseHessian(of: layer)
      let expected = diagonalBlock(full.matrix, start..<start + layer.dimension)
      let r = closeness(block.matrix, expected, rtol: 1e-12, atol: 1e-14)
      #expect(r.passes, "\(layer.scope): \(r)")
      traces.append(block.trace)
      start += layer.dimension
    }
    let summary = try perLayerCurvature(
      model: model, loss: loss, data: data, denseThreshold: 100, seed: 79)
    #expect(allClose(summary.layers.map(\.trace.trace), traces, rtol: 1e-12))
    #expect(abs((summary.full?.trace.trace ?? 0) - full.trace) < 1e-12 * abs(full.trace))
    #expect(summary.layers.map(\.parameterCount) == [57, 6, 8])
  }
}
