// Errors thrown by HessianAnalysis: failures of the model or the data (non-finite values,
// passes that disagree), user input that names nothing (a pattern, a layer), and refused
// allocations. Programmer errors (a block of the wrong shape) are preconditions instead.

import NeuralNetworks

/// An error thrown while building or applying a curvature operator.
///
/// Each case's ``description`` is one sentence saying what went wrong, where, and what to do.
public enum HessianAnalysisError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Two passes over the same data gave different results: the loss, or a product with a
  /// fixed vector, differed by more than rounding (`relativeDifference` against `tolerance`).
  /// `mode` is the model's mode, which names the likely cause.
  case nondeterministic(
    quantity: String, first: Double, second: Double, relativeDifference: Double,
    tolerance: Double, mode: LayerMode)
  /// A loss, gradient or product of batch `batch` (0-based, of `batchCount` over all ranks)
  /// was NaN or infinite; `rank` is the process that holds the batch when distributed.
  case nonFinite(quantity: String, batch: Int, batchCount: Int, rank: Int? = nil)
  /// A parameter selection matched no parameter of the model.
  case emptySelection(selection: String, available: [String])
  /// No layer of the model has this name (activation Hessians); `available` lists the names
  /// a forward pass reported.
  case unknownLayer(name: String, available: [String])
  /// A dense Hessian of `dimension` x `dimension` would need `bytes` bytes, above `limit`.
  case denseHessianTooLarge(dimension: Int, bytes: Int, limit: Int)
  /// A direction of a loss landscape is zero (for example the gradient at a stationary
  /// point), so it cannot be normalized.
  case zeroDirection(label: String)
  /// Every label of the data set is the ignore index (-100): a mean loss over no labeled
  /// position is undefined.
  case noLabeledPositions
  /// The Gauss-Newton matrix needs a loss applied to the model's output; a model whose output
  /// is the objective has none.
  case gaussNewtonWithoutLoss
  /// An activation Hessian over several processes needs the layer's output to have a leading
  /// sample axis; this layer's output on a batch of `batchSize` samples has `shape`.
  case activationWithoutSampleAxis(layer: String, shape: [Int], batchSize: Int)
  /// A data set of `count` samples (or batches, as `unit` says) cannot give each of `ranks`
  /// processes at least one.
  case tooFewSamples(count: Int, ranks: Int, unit: String)

  /// What went wrong and what to do.
  public var description: String {
    switch self {
    case let .nondeterministic(quantity, first, second, relative, tolerance, mode):
      let cause =
        mode == .training
        ? "the model is in training mode, where dropout draws new masks on every pass (and "
          + "BatchNorm uses batch statistics, which ties the Hessian to the batch split); set "
          + "model.mode = .evaluation"
        : "the data or the loss changes between passes (random augmentation, reshuffled "
          + "batches, or a layer that draws random numbers in evaluation mode)"
      return "two passes over the same data disagree: the \(quantity) was \(first), then "
        + "\(second) (relative difference \(relative), tolerance \(tolerance)), so there is no "
        + "single Hessian to measure. Likely cause: \(cause). To analyze it anyway, pass "
        + "checkDeterminism: false"
    case let .nonFinite(quantity, batch, batchCount, rank):
      return "the \(quantity) of batch \(batch) (0-based, of \(batchCount)"
        + (rank.map { ", on rank \($0)" } ?? "") + ") is not finite "
        + "(NaN or infinity); check that batch's inputs and targets and the parameters for "
        + "non-finite values, and the loss for overflow"
    case let .emptySelection(selection, available):
      return "the parameter selection \(selection) matches none of the model's parameters "
        + Self.abbreviated(available)
    case let .unknownLayer(name, available):
      return "the model has no layer named \"\(name)\"; layers that report an output: "
        + Self.abbreviated(available)
    case let .denseHessianTooLarge(dimension, bytes, limit):
      return "a dense Hessian of \(dimension) parameters (\(dimension) x \(dimension)) needs "
        + "\(bytes) bytes, more than the limit of \(limit) bytes; select fewer parameters, "
        + "raise memoryLimit, or use the matrix-free estimators"
    case .gaussNewtonWithoutLoss:
      return "the Gauss-Newton matrix needs a loss on the model's output (cross-entropy or "
        + "MSE); a model whose output is the objective has no loss Hessian to use"
    case let .activationWithoutSampleAxis(layer, shape, batchSize):
      return "the output of layer \"\(layer)\" has shape \(shape) on a batch of \(batchSize) "
        + "samples, without a leading sample axis, so its Hessian cannot be split over ranks; "
        + "run it in one process"
    case let .tooFewSamples(count, ranks, unit):
      return "the data set has \(count) \(unit), too few to give each of the \(ranks) ranks "
        + "at least one; run fewer ranks (mpirun -np) or analyze more data"
    case .noLabeledPositions:
      return "every label is the ignore index (-100): the mean cross-entropy over no labeled "
        + "position is undefined"
    case let .zeroDirection(label):
      return "the \(label) direction is zero and cannot be normalized; choose another direction"
    }
  }

  static func abbreviated(_ names: [String]) -> String {
    names.count <= 12
      ? "\(names)" : "\(Array(names.prefix(12))) and \(names.count - 12) more"
  }
}
