// The one data reduction. Every operator built on a data set (Hessian, per-layer blocks,
// activation, GGN, finite differences, landscape) evaluates the data-set loss through
// DataSetLoss and sums its batches' contributions through sumOverBatches: a data-parallel run
// over processes replaces that sum with one over ranks here, and nowhere else.

import Autodiff
import NeuralNetworks
import TensorCore

/// The data-set loss `L = sum_b w_b loss(model(x_b), y_b)` of a model, with each batch weighted
/// by its share of what the mean loss divides by (``DataSet/batchWeights(for:)``).
struct DataSetLoss<Scalar: TensorScalar>: Sendable {
  let model: Model<Scalar>
  let loss: LossFunction
  let data: DataSet<Scalar>
  /// `w_b` for each batch.
  let weights: [Double]

  init(model: Model<Scalar>, loss: LossFunction, data: DataSet<Scalar>) throws {
    self.model = model
    self.loss = loss
    self.data = data
    self.weights = try data.batchWeights(for: loss)
  }

  var batchCount: Int { data.batchCount }

  /// The model's outputs on batch `b` with the given parameter variables, and the batch.
  func outputs(
    _ b: Int, parameters: [Variable<Scalar>], observer: ActivationObserver<Scalar>? = nil
  ) throws -> (outputs: Variable<Scalar>, batch: Batch<Scalar>) {
    let batch = try data.batch(b)
    return (
      model.output(for: batch.modelInputs, parameters: parameters, observer: observer), batch
    )
  }

  /// `w_b loss(model(x_b), y_b)`: batch `b`'s term of the data-set loss.
  func term(
    _ b: Int, parameters: [Variable<Scalar>], observer: ActivationObserver<Scalar>? = nil
  ) throws -> Variable<Scalar> {
    let (z, batch) = try outputs(b, parameters: parameters, observer: observer)
    return loss(z, batch.targets).weighted(weights[b])
  }
}

/// `sum_b body(b)` over this rank's batches, then over the ranks of `group` in rank order
/// (``ProcessGroup/sumInRankOrder(value:vector:fingerprint:)``): the values summed in Double and
/// the vectors (when given) summed in order, batch by batch. Every data reduction of the
/// operators goes through here, and nothing else in HessianAnalysis knows about ranks.
///
/// - Parameters:
///   - group: the processes holding the other shards (one process: no communication).
///   - count: the number of this rank's batches.
///   - shape: the vectors' shape, or nil when `body` returns none (every rank must contribute
///     a vector of the same shape, even a rank whose batches give none).
///   - fingerprint: a summary of the inputs the sum depends on, equal on every rank unless the
///     replicated computations have drifted apart (checked); evaluated only with several ranks.
///   - body: batch `b`'s value and vector (nil when there is none).
func sumOverBatches<Scalar: TensorScalar>(
  group: any ProcessGroup, _ count: Int, shape: [Int]?,
  fingerprint: @autoclosure () -> UInt64 = 0,
  _ body: (Int) throws -> (value: Double, vector: Tensor<Scalar>?)
) throws -> (value: Double, vector: Tensor<Scalar>?) {
  var total = 0.0
  var sum: Tensor<Scalar>?
  for b in 0..<count {
    let (value, vector) = try body(b)
    total += value
    if let vector {
      if sum == nil { sum = Tensor(zeros: vector.shape) }
      sum! += vector
    }
  }
  guard !group.isSingleProcess else { return (total, sum) }
  if sum == nil, let shape { sum = Tensor(zeros: shape) }
  return try group.sumInRankOrder(value: total, vector: sum, fingerprint: fingerprint())
}
