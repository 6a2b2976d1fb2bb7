// Loss functions: cross-entropy and mean squared error, as PyTorch defines them.

import Autodiff
import TensorCore

/// How per-sample losses are combined (PyTorch `reduction=`).
public enum Reduction: String, Sendable, Codable, CaseIterable {
  /// The mean over samples (over elements, for MSE): PyTorch's default.
  case mean
  /// The sum.
  case sum
}

/// What a loss compares the outputs with.
public enum Targets<Scalar: TensorScalar>: Sendable {
  /// Class indices, one per sample (cross-entropy).
  case classes([Int])
  /// Class indices with a shape `[N, d1, ...]`, one per position of logits `[N, C, d1, ...]`
  /// (token labels `[N, T]` for a language model), row-major; ``ignoreIndex`` marks positions
  /// without a label.
  case positionClasses(shape: [Int], labels: [Int])
  /// Target values with the outputs' shape (MSE).
  case values(Tensor<Scalar>)
  /// No targets: the model's output is the objective (``LossFunction/modelOutput(_:)``).
  case none(count: Int)

  /// The label PyTorch's `cross_entropy` skips (`ignore_index=-100`).
  public static var ignoreIndex: Int { -100 }

  /// The number of samples.
  public var count: Int {
    switch self {
    case .classes(let c): c.count
    case .positionClasses(let shape, _): shape.first ?? 0
    case .values(let v): v.shape.first ?? 0
    case .none(let n): n
    }
  }

  /// The targets of samples `range`.
  public func slice(_ range: Range<Int>) -> Targets {
    switch self {
    case .classes(let c): .classes(Array(c[range]))
    case .positionClasses(let shape, let labels):
      {
        let per = shape.dropFirst().reduce(1, *)
        return .positionClasses(
          shape: [range.count] + shape.dropFirst(),
          labels: Array(labels[range.lowerBound * per..<range.upperBound * per]))
      }()
    case .values(let v): .values(v.slice(range, alongAxis: 0))
    case .none: .none(count: range.count)
    }
  }

  /// The labels as one flat list, for class targets of either shape; nil for other targets.
  public var classLabels: [Int]? {
    switch self {
    case .classes(let c): c
    case .positionClasses(_, let labels): labels
    default: nil
    }
  }
}

/// The cross-entropy of `logits` with class `labels` (PyTorch `F.cross_entropy`):
/// `-log softmax(logits)[i, labels[i]]` over the class axis 1, averaged over the labeled
/// positions or summed.
///
/// Logits are `[N, C]` with one label per sample, or `[N, C, d1, ...]` with one label per
/// position (row-major over `[N, d1, ...]`; a language model's `[N, V, T]` after PyTorch's
/// `logits.transpose(1, 2)`). A label equal to ``Targets/ignoreIndex`` (-100) contributes
/// nothing, and the mean divides by the number of labeled positions, as PyTorch does; with no
/// labeled position at all the mean is 0 (PyTorch: NaN), so that such a batch adds nothing to a
/// data set's loss (``LossFunction/normalizationCount(_:)`` weights it 0).
///
/// - Precondition: one label per position, each in `0..<C` or the ignore index.
public func crossEntropy<Scalar>(
  logits: Variable<Scalar>, labels: [Int], reduction: Reduction = .mean
) -> Variable<Scalar> {
  precondition(logits.shape.count >= 2, "cross-entropy expects logits [N, C, ...], got \(logits.shape)")
  let c = logits.shape[1]
  let rank = logits.shape.count
  // Class axis last, positions as rows: [M, C].
  let rows =
    rank == 2
    ? logits
    : logits.permuted([0] + Array(2..<rank) + [1]).reshaped(to: [-1, c])
  let m = rows.shape[0]
  precondition(labels.count == m, "cross-entropy got \(labels.count) labels for \(m) positions")
  var oneHot = Tensor<Scalar>(zeros: [m, c])
  var labeled = 0
  oneHot.withUnsafeMutableBufferPointer { p in
    for (i, label) in labels.enumerated() where label != Targets<Scalar>.ignoreIndex {
      precondition(0 <= label && label < c, "label \(label) of position \(i) is not in 0..<\(c)")
      p[i * c + label] = 1
      labeled += 1
    }
  }
  let total = -(rows.logSoftmax(alongAxis: 1) * oneHot).sum()
  return reduction == .mean ? total / Scalar(Swift.max(labeled, 1)) : total
}

/// The squared error `(predictions - targets)^2`, averaged over every element or summed
/// (PyTorch `F.mse_loss`).
public func meanSquaredError<Scalar>(
  predictions: Variable<Scalar>, targets: Tensor<Scalar>, reduction: Reduction = .mean
) -> Variable<Scalar> {
  precondition(
    predictions.shape == targets.shape,
    "MSE: predictions \(predictions.shape) and targets \(targets.shape) differ in shape")
  let total = (predictions - targets).squared().sum()
  return reduction == .mean ? total / Scalar(predictions.count) : total
}

/// A loss function of a model's outputs and targets.
public enum LossFunction: Sendable, Hashable, Codable {
  /// ``crossEntropy(logits:labels:reduction:)`` with class targets.
  case crossEntropy(Reduction)
  /// Cross-entropy with the class axis last: a language model's logits `[N, T, V]` and token
  /// labels `[N, T]` (PyTorch `F.cross_entropy(logits.view(-1, V), labels.view(-1))`), the
  /// ignore index and the mean over labeled tokens as in
  /// ``crossEntropy(logits:labels:reduction:)``.
  case tokenCrossEntropy(Reduction)
  /// ``meanSquaredError(predictions:targets:reduction:)`` with value targets.
  case meanSquaredError(Reduction)
  /// The model's output is the objective: a scalar the graph computes itself (a model exported
  /// with its loss, or seed 000's objective of a latent code). The reduction says how the
  /// graph combines a batch's samples: a mean (batches weighted by their size over the total)
  /// or a sum (weight 1).
  case modelOutput(Reduction)

  /// The loss of `outputs` against `targets`.
  ///
  /// - Precondition: the targets are of the kind the loss needs.
  public func callAsFunction<Scalar>(_ outputs: Variable<Scalar>, _ targets: Targets<Scalar>)
    -> Variable<Scalar>
  {
    switch (self, targets) {
    case (.crossEntropy(let r), .classes(let labels)),
      (.crossEntropy(let r), .positionClasses(_, let labels)):
      return NeuralNetworks.crossEntropy(logits: outputs, labels: labels, reduction: r)
    case (.tokenCrossEntropy(let r), .classes(let labels)),
      (.tokenCrossEntropy(let r), .positionClasses(_, let labels)):
      return NeuralNetworks.crossEntropy(
        logits: LossFunction.classAxisFirst(outputs), labels: labels, reduction: r)
    case (.meanSquaredError(let r), .values(let values)):
      return NeuralNetworks.meanSquaredError(predictions: outputs, targets: values, reduction: r)
    case (.modelOutput, _):
      precondition(outputs.count == 1, "the model's output is not a scalar: \(outputs.shape)")
      return outputs.shape.isEmpty ? outputs : outputs.reshaped(to: [])
    case (.crossEntropy, _), (.tokenCrossEntropy, _):
      preconditionFailure("cross-entropy needs class labels")
    case (.meanSquaredError, _):
      preconditionFailure("mean squared error needs value targets")
    }
  }

  /// The reduction.
  public var reduction: Reduction {
    switch self {
    case .crossEntropy(let r), .tokenCrossEntropy(let r), .meanSquaredError(let r),
      .modelOutput(let r):
      r
    }
  }

  /// `[N, d1, ..., C]` with the class axis moved to position 1: `[N, C, d1, ...]`.
  public static func classAxisFirst<Scalar>(_ logits: Variable<Scalar>) -> Variable<Scalar> {
    let r = logits.shape.count
    return r <= 2 ? logits : logits.permuted([0, r - 1] + Array(1..<(r - 1)))
  }

  /// What a mean-reduced loss divides by on these targets: the labeled positions for
  /// cross-entropy (ignored labels excluded), the samples otherwise. Batches of a data set are
  /// weighted by their share of the total, so that the data-set loss is the loss over all
  /// samples (or tokens) at once.
  public func normalizationCount<Scalar>(_ targets: Targets<Scalar>) -> Int {
    switch (self, targets) {
    case (.crossEntropy, _), (.tokenCrossEntropy, _):
      targets.classLabels.map { $0.reduce(0) { $1 == Targets<Scalar>.ignoreIndex ? $0 : $0 + 1 } }
        ?? targets.count
    default: targets.count
    }
  }
}
