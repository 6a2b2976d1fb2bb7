// Data-parallel data sets: each rank of a process group holds a fixed shard of the samples,
// and the operators built on it sum their batches over all ranks (DataReduction.swift).

import TensorCore

extension DataSet {
  /// This rank's shard of the data set, when every rank holds the whole data set: contiguous
  /// ranges of samples balanced by count (sizes differ by at most one), cut into batches of the
  /// same size as here. A data set of given batches or a closure is split by whole batches,
  /// contiguous and balanced by samples.
  ///
  /// The operators built on the shard are those of the whole data set: every data reduction
  /// (loss, gradient, Hessian, Gauss-Newton and activation products, the batch weights) is
  /// summed over the ranks in rank order, and the weights are counts over all ranks, as with
  /// PyTorch `DistributedSampler(shuffle=False)` shards and an all-reduced mean loss. Every
  /// rank must then run the same analysis with the same seeds.
  ///
  /// - Parameter group: the processes, such as `MPIProcessGroup.world` (HessianMPI).
  /// - Throws: ``HessianAnalysisError/tooFewSamples(count:ranks:)`` when some rank would get no
  ///   sample (or no batch); ``ProcessGroupError`` when the transport fails.
  /// - Complexity: one collective of the batch sizes.
  public func distributed(over group: any ProcessGroup) throws -> DataSet {
    precondition(self.group.isSingleProcess, "this data set is already a shard")
    let ranks = group.size
    let rank = group.rank
    var shard: DataSet
    switch storage {
    case let .tensors(inputs, targets, batchSize):
      let n = targets.count
      guard n >= ranks else {
        throw HessianAnalysisError.tooFewSamples(count: n, ranks: ranks, unit: "samples")
      }
      let start = rank * (n / ranks) + Swift.min(rank, n % ranks)
      let range = start..<start + n / ranks + (rank < n % ranks ? 1 : 0)
      shard =
        ranks == 1
        ? self
        : DataSet(
          inputs: inputs.slice(range), targets: targets.slice(range), batchSize: batchSize)
    case let .batches(batches):
      let range = try Self.batchRange(sizes: batchSizes, rank: rank, ranks: ranks)
      shard = DataSet(batches: Array(batches[range]))
    case let .closure(sizes, body):
      let range = try Self.batchRange(sizes: sizes, rank: rank, ranks: ranks)
      shard = DataSet(batchSizes: Array(sizes[range])) { try body(range.lowerBound + $0) }
    }
    return try shard.shard(over: group)
  }

  /// This data set as this rank's shard of a data set spread over `group`, when each rank
  /// has loaded its own part (for example its own files). Shards may differ in size; the
  /// global batch order is rank order, then this data set's order.
  ///
  /// - Throws: ``ProcessGroupError`` when the transport fails.
  /// - Complexity: one collective of the batch sizes.
  public func shard(over group: any ProcessGroup) throws -> DataSet {
    precondition(self.group.isSingleProcess, "this data set is already a shard")
    var shard = self
    shard.group = group
    guard !group.isSingleProcess else { return shard }
    // Each rank's batch count, then every batch size, gathered by summing disjoint slots.
    var counts = [Double](repeating: 0, count: group.size)
    counts[group.rank] = Double(batchCount)
    let batchCounts = try group.sumInRankOrder(counts).map { Int($0) }
    let offset = batchCounts[..<group.rank].reduce(0, +)
    var sizes = [Double](repeating: 0, count: batchCounts.reduce(0, +))
    for (b, size) in batchSizes.enumerated() { sizes[offset + b] = Double(size) }
    shard.globalBatches = (try group.sumInRankOrder(sizes).map { Int($0) }, offset)
    return shard
  }

  /// The sizes of every batch over all ranks, in global order.
  var allBatchSizes: [Int] { globalBatches?.sizes ?? batchSizes }

  /// The global index of this shard's first batch and the global batch count.
  var termNumbering: (offset: Int, total: Int) { (globalIndex(ofBatch: 0), totalBatchCount) }

  /// The contiguous batches of `rank`: each batch goes to the rank its middle sample falls in
  /// when the samples are split evenly.
  private static func batchRange(sizes: [Int], rank: Int, ranks: Int) throws -> Range<Int> {
    guard sizes.count >= ranks else {
      throw HessianAnalysisError.tooFewSamples(count: sizes.count, ranks: ranks, unit: "batches")
    }
    let total = sizes.reduce(0, +)
    // owner_i = the rank of batch i's middle sample, then no rank skipped (a step of at most
    // one) and enough batches left for the ranks after it (owner_i >= ranks - count + i).
    var owners: [Int] = []
    var before = 0
    for (i, size) in sizes.enumerated() {
      let middle = Swift.min(ranks - 1, (2 * before + size) * ranks / (2 * total))
      let previous = owners.last ?? -1
      owners.append(Swift.max(ranks - sizes.count + i, Swift.min(middle, previous + 1)))
      before += size
    }
    let start = owners.firstIndex(of: rank) ?? 0
    let end = (owners.lastIndex(of: rank) ?? start) + 1
    return start..<end
  }
}
