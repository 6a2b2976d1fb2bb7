// The operators' primal cache: products that replay cached primal values against the
// finite-difference Hessian of the full-batch loss, with budgets that hold every batch, some
// batches, or none; the budget is respected, and nothing is cached without the check.

import Autodiff
import MatrixFree
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@testable import HessianAnalysis

@Suite("Primal cache of the Hessian operators")
struct PrimalCacheTests {
  /// A 59-parameter tanh MLP (widths 3-6-5) on 10 samples in batches of 4, 4 and 2.
  static let model = Model<Double>(
    multilayerPerceptron(widths: [3, 6, 5], activation: .tanh), seed: 31)
  static let inputs: Tensor<Double> = {
    var generator = SeededGenerator(seed: 32)
    return Tensor(randomNormal: [10, 3], using: &generator)
  }()
  static let labels = [0, 1, 2, 3, 4, 4, 3, 2, 1, 0]
  static let loss = LossFunction.crossEntropy(.mean)
  static let data = DataSet(inputs: inputs, targets: .classes(labels), batchSize: 4)

  /// The dense Hessian of the full-batch mean loss, by central differences of its gradient.
  static let oracle: Tensor<Double> = {
    let full = DataSet(inputs: inputs, targets: .classes(labels))
    let operator_ = try! HessianOperator(
      model: model, loss: loss, data: full, checkDeterminism: false)
    return numericalHessian(at: [operator_.point]) { p in
      var m = model
      m.parameters.values = m.parameters.unflattened(p[0])
      let g = try! HessianOperator(model: m, loss: loss, data: full, checkDeterminism: false)
        .lossAndGradient().gradient
      return [g]
    }
  }()

  /// All columns of `H` from blocks of 1, 7 and the rest, so that replays see several `k`.
  static func columns(of h: HessianOperator<Double>) throws -> Tensor<Double> {
    let n = h.dimension
    let identity = Tensor<Double>(
      shape: [n, n], scalars: (0..<n * n).map { $0 / n == $0 % n ? 1 : 0 })
    let parts = try [0..<1, 1..<8, 8..<n].map { try h.apply(identity.slice($0, alongAxis: 0)) }
    return Tensor.concatenated(parts, alongAxis: 0)
  }

  /// Budgets that keep every batch, the first batch only (the others recomputed), and none.
  @Test(arguments: [1 << 30, 1, 0])
  func cachedProductsMatchTheFiniteDifferenceHessian(_ budgetInBatches: Int) throws {
    let oneBatch = try Self.oneBatchBytes()
    let limit = budgetInBatches == 1 ? oneBatch : budgetInBatches
    let h = try HessianOperator(
      model: Self.model, loss: Self.loss, data: Self.data, primalCacheLimit: limit)
    #expect(h.primalCacheBytes <= limit)
    if limit > 0 { #expect(h.primalCacheBytes > 0) } else { #expect(h.primalCacheBytes == 0) }
    for round in 0..<2 {
      let dense = try Self.columns(of: h)
      let result = closeness(dense, Self.oracle, rtol: 1e-6, atol: 1e-7)
      #expect(result.passes, "limit \(limit), round \(round): \(result)")
      #expect(h.primalCacheBytes <= limit)
    }
    if budgetInBatches == 1 {
      // Exactly the first batch fits, and it stays: the others are recomputed every time.
      #expect(h.primalCacheBytes == oneBatch)
    }
    h.releasePrimalCache()
    #expect(h.primalCacheBytes == 0)
    let again = try Self.columns(of: h)
    #expect(closeness(again, Self.oracle, rtol: 1e-6, atol: 1e-7).passes)
  }

  /// Replayed products equal recomputed ones exactly (same arithmetic, same order).
  @Test func replayedProductsEqualRecomputedOnesBitwise() throws {
    let cached = try HessianOperator(model: Self.model, loss: Self.loss, data: Self.data)
    let uncached = try HessianOperator(
      model: Self.model, loss: Self.loss, data: Self.data, primalCacheLimit: 0)
    var generator = SeededGenerator(seed: 33)
    for k in [1, 3] {
      let block = Tensor<Double>(randomNormal: [k, cached.dimension], using: &generator)
      #expect(try cached.apply(block).scalars == uncached.apply(block).scalars)
    }
    #expect(cached.primalCacheBytes > 0 && uncached.primalCacheBytes == 0)
  }

  /// Without the determinism check, or with finite differences, nothing is cached.
  @Test func nothingIsCachedWithoutTheCheckOrForFiniteDifferences() throws {
    let unchecked = try HessianOperator(
      model: Self.model, loss: Self.loss, data: Self.data, checkDeterminism: false)
    let finite = try HessianOperator(
      model: Self.model, loss: Self.loss, data: Self.data,
      method: .finiteDifference(.automatic))
    var generator = SeededGenerator(seed: 34)
    let block = Tensor<Double>(randomNormal: [2, unchecked.dimension], using: &generator)
    _ = try unchecked.apply(block)
    _ = try finite.apply(block)
    #expect(unchecked.primalCacheBytes == 0 && finite.primalCacheBytes == 0)
  }

  /// The per-layer operators share one budget: after every layer has been used, the tapes
  /// kept stay within it, and each layer's block is still the oracle's diagonal block.
  @Test func perLayerOperatorsShareOneBudget() throws {
    let oneBatch = try Self.oneBatchBytes()
    let limit = 2 * oneBatch
    let layers = try HessianOperator.perLayer(
      model: Self.model, loss: Self.loss, data: Self.data, primalCacheLimit: limit)
    var offset = 0
    for layer in layers {
      let block = try Self.columns(of: layer)
      let range = offset..<offset + layer.dimension
      let expected = Self.oracle.slice(range, alongAxis: 0).slice(range, alongAxis: 1)
      #expect(closeness(block, expected, rtol: 1e-6, atol: 1e-7).passes, "\(layer.scope)")
      #expect(layer.primalCacheBytes <= limit)
      offset += layer.dimension
    }
    let kept = layers.reduce(0) { $0 + $1.primalCacheBytes }
    #expect(kept > 0 && kept <= limit)
    #expect(layers.last!.primalCacheBytes > 0)
  }

  /// An objective's tapes go with it: when the last copy of its owner is released, the cache
  /// it shares with others holds none of its bytes.
  @Test func tapesGoWithTheirOperator() throws {
    let cache = PrimalCache(byteLimit: 1 << 30)
    var first: HessianOperator<Double>? = try HessianOperator(
      model: Self.model, loss: Self.loss, data: Self.data, indices: [0, 1],
      segments: [], scope: .full, method: .exact, checkDeterminism: true, cache: cache)
    let second = try HessianOperator(
      model: Self.model, loss: Self.loss, data: Self.data, indices: [2, 3],
      segments: [], scope: .full, method: .exact, checkDeterminism: true, cache: cache)
    let both = cache.byteCount
    #expect(first!.primalCacheBytes > 0 && second.primalCacheBytes > 0)
    #expect(both == first!.primalCacheBytes + second.primalCacheBytes)
    first = nil
    #expect(cache.byteCount == second.primalCacheBytes)
  }

  /// The bytes one weighted batch of 4 keeps: half of what two such batches keep.
  static func oneBatchBytes() throws -> Int {
    let two = DataSet(
      inputs: inputs.slice(0..<8, alongAxis: 0), targets: .classes(Array(labels[0..<8])),
      batchSize: 4)
    let bytes = try HessianOperator(model: model, loss: loss, data: two).primalCacheBytes
    #expect(bytes > 0 && bytes % 2 == 0)
    return bytes / 2
  }
}
