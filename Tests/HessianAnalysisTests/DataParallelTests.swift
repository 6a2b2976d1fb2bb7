// Data-parallel operators: ranks (threads here, MPI processes in the CLI tests) that each hold
// a shard must give the single-process results of the whole data set, to 1e-12 in Double, and
// bit for bit the same results on every rank. The oracle is the single-process computation on
// all samples at once.

import Autodiff
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@Suite("Data-parallel operators: shards over ranks give the whole data set's results")
struct DataParallelTests {
  /// 23 samples in batches of 5: an unequal last batch, and shards of 12/11 or 8/8/7 samples.
  static func data() -> DataSet<Double> {
    DataSet(
      inputs: SmallMLP.inputs(count: 23), targets: .classes(SmallMLP.labels(count: 23)),
      batchSize: 5)
  }

  static func directions(_ n: Int, rows: Int = 3) -> Tensor<Double> {
    var g = SeededGenerator(seed: 11)
    return Tensor(randomNormal: [rows, n], using: &g)
  }

  /// What one rank computes: loss, gradient, products, GGN products, activation products,
  /// eigenvalues and a trace, all with the same seeds.
  struct Results: Sendable {
    var loss: Double
    var gradient: [Double]
    var products: [Double]
    var gaussNewton: [Double]
    var activation: [Double]
    var eigenvalues: [Double]
    var eigenMatvecs: Int
    var trace: Double
  }

  static func analyze(_ data: DataSet<Double>) throws -> Results {
    let model = SmallMLP.model()
    let loss = LossFunction.crossEntropy(.mean)
    let hessian = try HessianOperator(model: model, loss: loss, data: data)
    let v = directions(hessian.dimension)
    let ggn = try GaussNewtonOperator(model: model, loss: loss, data: data)
    let layer = try layerOutputNames(of: model, inputs: data.batch(0).modelInputs)[1]
    let activation = try ActivationHessianOperator(
      model: model, loss: loss, data: data, layer: layer)
    let top = try eigenpairs(of: hessian, count: 3, tolerance: 1e-8, seed: 4)
    var g = SeededGenerator(seed: 7)
    let trace = try hutchinsonTrace(
      of: hessian, targetRelativeError: 0, maxMatvecs: 16, using: &g)
    return Results(
      loss: try hessian.lossValue(), gradient: try hessian.lossAndGradient().gradient.scalars,
      products: try hessian.apply(v).scalars, gaussNewton: try ggn.apply(v).scalars,
      activation: try activation.apply(directions(activation.dimension, rows: 2)).scalars,
      eigenvalues: top.eigenvalues, eigenMatvecs: top.matvecCount, trace: trace.estimate)
  }

  static func expectClose(_ a: [Double], _ b: [Double], _ what: String) {
    let check = closeness(
      Tensor(a), Tensor(b), rtol: 1e-12, atol: 1e-12 * (b.map(abs).max() ?? 1))
    #expect(check.passes, "\(what): \(check)")
  }

  @Test(arguments: [2, 3])
  func shardsGiveTheWholeDataSetsResults(ranks: Int) throws {
    let single = try Self.analyze(Self.data())
    let all = try ThreadProcessGroup.run(ranks: ranks) { group in
      try Self.analyze(Self.data().distributed(over: group))
    }
    let r = all[0]
    #expect(abs(r.loss - single.loss) <= 1e-12 * abs(single.loss))
    Self.expectClose(r.gradient, single.gradient, "gradient")
    Self.expectClose(r.products, single.products, "Hessian-vector products")
    Self.expectClose(r.gaussNewton, single.gaussNewton, "Gauss-Newton products")
    Self.expectClose(r.activation, single.activation, "activation Hessian products")
    Self.expectClose(r.eigenvalues, single.eigenvalues, "top-3 eigenvalues")
    #expect(r.eigenMatvecs == single.eigenMatvecs)
    #expect(abs(r.trace - single.trace) <= 1e-12 * abs(single.trace))
    // Replicated vector work: every rank holds rank 0's bits.
    for other in all.dropFirst() {
      #expect(other.products == r.products && other.eigenvalues == r.eigenvalues)
      #expect(other.loss == r.loss && other.trace == r.trace)
    }
  }

  @Test func samplesAreSplitContiguouslyAndBalanced() throws {
    let shards = try ThreadProcessGroup.run(ranks: 3) { group in
      let shard = try Self.data().distributed(over: group)
      return (shard.batchSizes, shard.totalCount, shard.globalIndex(ofBatch: 0))
    }
    #expect(shards.map(\.0) == [[5, 3], [5, 3], [5, 2]])
    #expect(shards.allSatisfy { $0.1 == 23 })
    #expect(shards.map(\.2) == [0, 2, 4])
  }

  /// Given batches are dealt out whole, contiguous and balanced by samples; the weights are
  /// the global sample counts.
  @Test func givenBatchesAreDealtOutWhole() throws {
    let x = SmallMLP.inputs(count: 23)
    let labels = SmallMLP.labels(count: 23)
    var dealt: [Batch<Double>] = []
    var start = 0
    for size in [4, 9, 2, 6, 2] {
      dealt.append(
        Batch(
          inputs: x.slice(start..<start + size, alongAxis: 0),
          targets: .classes(Array(labels[start..<start + size]))))
      start += size
    }
    let batches = dealt
    let model = SmallMLP.model()
    let whole = try HessianOperator(
      model: model, loss: .crossEntropy(.mean), data: DataSet(batches: batches))
    let v = Self.directions(whole.dimension)
    let expected = try whole.apply(v).scalars
    let results = try ThreadProcessGroup.run(ranks: 3) { group in
      let shard = try DataSet(batches: batches).distributed(over: group)
      let h = try HessianOperator(model: model, loss: .crossEntropy(.mean), data: shard)
      return (shard.batchSizes, try h.apply(v).scalars)
    }
    // Shares of 23 / 3 end at samples 7.67 and 15.33; the batches' middles are at 2, 8.5, 14,
    // 18 and 22.
    #expect(results.map(\.0) == [[4], [9, 2], [6, 2]])
    Self.expectClose(results[0].1, expected, "products of dealt-out batches")
  }

  /// A batch larger than a rank's share does not leave the next rank without batches.
  @Test func aHugeBatchLeavesNoRankEmpty() throws {
    let sizes = [1, 1, 1, 1000, 1, 1, 1, 1]
    let shards = try ThreadProcessGroup.run(ranks: 4) { group in
      try DataSet<Double>(batchSizes: sizes) { _ in preconditionFailure("not loaded") }
        .distributed(over: group).batchSizes
    }
    #expect(shards.allSatisfy { !$0.isEmpty })
    #expect(shards.flatMap { $0 } == sizes)
  }

  /// Next-token cross-entropy with ignored labels: the weights are labeled-token counts over
  /// all ranks, so the shards' sum is the mean over every labeled token.
  @Test func tokenWeightsCountTokensOverAllRanks() throws {
    let (model, x) = TokenLossTests.setup()
    let targets = Targets<Double>.positionClasses(
      shape: [TokenLossTests.n, TokenLossTests.t], labels: TokenLossTests.labels)
    let whole = try HessianOperator(
      model: model, loss: .crossEntropy(.mean), data: DataSet(inputs: x, targets: targets))
    let v = Self.directions(whole.dimension, rows: 2)
    let expected = (try whole.lossValue(), try whole.apply(v).scalars)
    let results = try ThreadProcessGroup.run(ranks: 2) { group in
      let shard = try DataSet(inputs: x, targets: targets, batchSize: 2).distributed(over: group)
      let h = try HessianOperator(model: model, loss: .crossEntropy(.mean), data: shard)
      return (try h.lossValue(), try h.apply(v).scalars)
    }
    #expect(abs(results[0].0 - expected.0) <= 1e-13)
    Self.expectClose(results[0].1, expected.1, "token-weighted products")
  }

  @Test func moreRanksThanSamplesIsAnError() throws {
    let data = DataSet(
      inputs: SmallMLP.inputs(count: 2), targets: .classes(SmallMLP.labels(count: 2)))
    #expect(throws: HessianAnalysisError.tooFewSamples(count: 2, ranks: 3, unit: "samples")) {
      try ThreadProcessGroup.run(ranks: 3) { group in try data.distributed(over: group) }
    }
  }

  /// Ranks whose replicated state has drifted apart (here: different directions) all stop with
  /// the same error instead of summing unrelated products.
  @Test func ranksThatDisagreeAllStop() throws {
    let outcomes = try ThreadProcessGroup.run(ranks: 3) { group -> String in
      let shard = try Self.data().distributed(over: group)
      let h = try HessianOperator(
        model: SmallMLP.model(), loss: .crossEntropy(.mean), data: shard)
      var v = Self.directions(h.dimension, rows: 1)
      if group.rank == 2 { v = v * 2 }
      do {
        _ = try h.apply(v)
        return "no error"
      } catch let error as ProcessGroupError {
        return error.description
      }
    }
    #expect(outcomes.allSatisfy { $0 == ProcessGroupError.ranksDisagree(firstRank: 2, count: 1).description })
  }
}
