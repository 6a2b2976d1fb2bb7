// A data set iterated in batches, and the weight of each batch in the data-set loss.

import NeuralNetworks
import TensorCore

/// One batch: inputs with a leading sample axis and their targets.
public struct Batch<Scalar: TensorScalar>: Sendable {
  /// The model's inputs by name, each `[n, ...]`.
  public var modelInputs: ModelInputs<Scalar>
  /// Targets of the `n` samples.
  public var targets: Targets<Scalar>

  /// Creates a batch of one floating-point input.
  ///
  /// - Precondition: the inputs have a leading axis of the targets' sample count.
  public init(inputs: Tensor<Scalar>, targets: Targets<Scalar>) {
    precondition(
      inputs.rank >= 1, "a batch needs inputs with a leading sample axis, got \(inputs.shape)")
    self.init(inputs: ModelInputs(inputs), targets: targets)
  }

  /// Creates a batch of named inputs (token ids, masks, images, ...).
  ///
  /// - Precondition: the inputs have a leading axis of the targets' sample count.
  public init(inputs: ModelInputs<Scalar>, targets: Targets<Scalar>) {
    precondition(
      inputs.sampleCount == targets.count,
      "a batch needs one target per input sample: inputs \(inputs.tensors.map(\.shape)), "
        + "\(targets.count) targets")
    self.modelInputs = inputs
    self.targets = targets
  }

  /// The first input, `[n, ...]`, for a model of one floating-point input.
  ///
  /// - Precondition: the first input is floating-point.
  public var inputs: Tensor<Scalar> {
    guard let x = modelInputs.primaryReal else {
      preconditionFailure("the batch's first input \"\(modelInputs.names[0])\" holds integers")
    }
    return x
  }

  /// The number of samples `n`.
  public var count: Int { targets.count }
}

/// The samples a curvature operator averages over, visited in batches.
///
/// The operators built on a data set are those of the **data-set loss**, the loss function
/// applied to all `N` samples at once:
///
/// ```
/// reduction .mean:  L = (1/N) sum_i l_i = sum_b (n_b / N) L_b     (L_b: the mean over batch b)
/// reduction .sum:   L = sum_i l_i       = sum_b L_b               (L_b: the sum over batch b)
/// ```
///
/// so each batch's loss is weighted by ``weight(ofBatch:reduction:)``: `n_b / N` for mean
/// reduction (an unequal last batch does not bias the result, unlike an unweighted average of
/// batch means) and 1 for sum reduction. For MSE with mean reduction PyTorch averages over
/// every output element; with `d` outputs per sample that is `(1/(N d)) sum` over the set and
/// the weights are again `n_b / N`. This is curvlinops' normalization; PyHessian averages
/// batch Hessians with equal weights, which differs when the last batch is smaller.
///
/// ```swift
/// let data = DataSet(inputs: x, targets: .classes(labels), batchSize: 128)
/// let hessian = try HessianOperator(model: model, loss: .crossEntropy(.mean), data: data)
/// ```
///
/// The batches are cut on demand (a batch is a copy of its rows), so a data set costs no more
/// memory than its tensors. A data set from a closure can stream from disk; it must return the
/// same batch for the same index every time (the operators check this by default).
public struct DataSet<Scalar: TensorScalar>: Sendable {
  enum Storage: Sendable {
    case tensors(inputs: ModelInputs<Scalar>, targets: Targets<Scalar>, batchSize: Int)
    case batches([Batch<Scalar>])
    case closure(sizes: [Int], body: @Sendable (Int) throws -> Batch<Scalar>)
  }

  let storage: Storage
  /// The number of samples in each batch, in order (of this rank's shard when distributed).
  public let batchSizes: [Int]
  /// The processes this data set is sharded over: one process unless
  /// ``distributed(over:)`` or ``shard(over:)`` made it a shard.
  public internal(set) var group: any ProcessGroup = SingleProcess.shared
  /// Over all ranks: the batch sizes, in rank order, and the index of this shard's first batch.
  var globalBatches: (sizes: [Int], offset: Int)?

  /// The data in `inputs` (`[N, ...]`) and `targets`, in batches of `batchSize` (the last one
  /// holds the remainder; PyTorch `DataLoader(shuffle=False, drop_last=False)`).
  ///
  /// - Parameter batchSize: samples per batch; default all `N` in one batch.
  /// - Precondition: `N >= 1`, one target per sample, `batchSize >= 1`.
  public init(inputs: Tensor<Scalar>, targets: Targets<Scalar>, batchSize: Int? = nil) {
    precondition(
      inputs.rank >= 1 && inputs.shape[0] == targets.count,
      "a data set needs one target per input sample: inputs \(inputs.shape), "
        + "\(targets.count) targets")
    self.init(inputs: ModelInputs(inputs), targets: targets, batchSize: batchSize)
  }

  /// The data in named `inputs` (each `[N, ...]`: token ids, masks, images) and `targets`, in
  /// batches of `batchSize`, as ``init(inputs:targets:batchSize:)-(Tensor<Scalar>,_,_)`` cuts
  /// them.
  ///
  /// - Precondition: `N >= 1`, one target per sample, `batchSize >= 1`.
  public init(inputs: ModelInputs<Scalar>, targets: Targets<Scalar>, batchSize: Int? = nil) {
    precondition(
      inputs.sampleCount == targets.count,
      "a data set needs one target per input sample: inputs \(inputs.tensors.map(\.shape)), "
        + "\(targets.count) targets")
    let n = targets.count
    precondition(n >= 1, "a data set needs at least one sample")
    let size = batchSize ?? n
    precondition(size >= 1, "batchSize must be at least 1, got \(size)")
    storage = .tensors(inputs: inputs, targets: targets, batchSize: size)
    batchSizes = stride(from: 0, to: n, by: size).map { Swift.min(size, n - $0) }
  }

  /// The data in the given batches, which may differ in size.
  ///
  /// - Precondition: at least one batch, each with at least one sample.
  public init(batches: [Batch<Scalar>]) {
    precondition(!batches.isEmpty, "a data set needs at least one batch")
    precondition(
      batches.allSatisfy { $0.count >= 1 },
      "every batch needs at least one sample, got sizes \(batches.map(\.count))")
    storage = .batches(batches)
    batchSizes = batches.map(\.count)
  }

  /// Batches produced on demand by `body` (for example read from disk), of the given sizes.
  ///
  /// - Parameters:
  ///   - batchSizes: the number of samples of each batch; `body(i)` must return that many.
  ///   - body: returns batch `i`; the same batch for the same `i` on every call.
  /// - Precondition: at least one batch, each with at least one sample.
  public init(batchSizes: [Int], batch body: @escaping @Sendable (Int) throws -> Batch<Scalar>) {
    precondition(
      !batchSizes.isEmpty && batchSizes.allSatisfy { $0 >= 1 },
      "a data set needs at least one batch of at least one sample, got sizes \(batchSizes)")
    storage = .closure(sizes: batchSizes, body: body)
    self.batchSizes = batchSizes
  }

  /// The number of samples (of this rank's shard when distributed).
  public var count: Int { batchSizes.reduce(0, +) }

  /// The number of batches (of this rank's shard when distributed).
  public var batchCount: Int { batchSizes.count }

  /// The number of samples `N` over all ranks.
  public var totalCount: Int { globalBatches?.sizes.reduce(0, +) ?? count }

  /// The number of batches over all ranks.
  public var totalBatchCount: Int { globalBatches?.sizes.count ?? batchCount }

  /// The index over all ranks (rank order, then batch order) of this shard's batch `index`.
  public func globalIndex(ofBatch index: Int) -> Int { (globalBatches?.offset ?? 0) + index }

  /// Batch `index`.
  ///
  /// - Throws: whatever a closure-backed data set's closure throws.
  /// - Precondition: `index` is in `0..<batchCount`; a closure returns a batch of the
  ///   declared size.
  public func batch(_ index: Int) throws -> Batch<Scalar> {
    precondition(
      batchSizes.indices.contains(index), "batch \(index) is not in 0..<\(batchCount)")
    switch storage {
    case let .tensors(inputs, targets, batchSize):
      let range = index * batchSize..<index * batchSize + batchSizes[index]
      if range.count == inputs.sampleCount { return Batch(inputs: inputs, targets: targets) }
      return Batch(inputs: inputs.slice(range), targets: targets.slice(range))
    case let .batches(batches):
      return batches[index]
    case let .closure(sizes, body):
      let batch = try body(index)
      precondition(
        batch.count == sizes[index],
        "batch \(index) has \(batch.count) samples, declared \(sizes[index])")
      return batch
    }
  }

  /// The weight of batch `index` in the data-set loss when every sample counts once: `n_b / N`
  /// for mean reduction, 1 for sum. ``batchWeights(for:)`` also counts ignored labels and
  /// per-position labels.
  public func weight(ofBatch index: Int, reduction: Reduction) -> Double {
    switch reduction {
    case .mean: Double(batchSizes[index]) / Double(totalCount)
    case .sum: 1
    }
  }

  /// Each batch's weight in the data-set loss of `loss`: for mean reduction the batch's share
  /// of what the loss divides by over the whole set (samples; for cross-entropy the labeled
  /// positions, such as the tokens of a language model that are not `ignore_index`), 1 for sum
  /// reduction. The data-set loss is then the loss of all samples (or tokens) at once, as
  /// PyTorch computes it on one batch holding them all.
  ///
  /// A closure-backed data set counts samples: its batches are not loaded for this.
  ///
  /// - Throws: ``HessianAnalysisError/noLabeledPositions`` when every label is ignored.
  /// - Complexity: one pass over the targets.
  public func batchWeights(for loss: LossFunction) throws -> [Double] {
    guard loss.reduction == .mean else { return batchSizes.map { _ in 1 } }
    let counts: [Int]
    switch storage {
    case let .tensors(_, targets, batchSize):
      counts = batchSizes.indices.map { b in
        let start = b * batchSize
        let range = start..<start + batchSizes[b]
        return loss.normalizationCount(
          range.count == targets.count ? targets : targets.slice(range))
      }
    case let .batches(batches): counts = batches.map { loss.normalizationCount($0.targets) }
    case .closure: counts = batchSizes
    }
    let total = try group.sumInRankOrder([Double(counts.reduce(0, +))])[0]
    guard total > 0 else { throw HessianAnalysisError.noLabeledPositions }
    return counts.map { Double($0) / total }
  }
}
