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
  /// Target values with the outputs' shape (MSE).
  case values(Tensor<Scalar>)

  /// The number of samples.
  public var count: Int {
    switch self {
    case .classes(let c): c.count
    case .values(let v): v.shape.first ?? 0
    }
  }

  /// The targets of samples `range`.
  public func slice(_ range: Range<Int>) -> Targets {
    switch self {
    case .classes(let c): .classes(Array(c[range]))
    case .values(let v): .values(v.slice(range, alongAxis: 0))
    }
  }
}

/// The cross-entropy of `logits` `[N, C]` with class `labels` (PyTorch `F.cross_entropy`):
/// `-log softmax(logits)[i, labels[i]]`, averaged or summed over the `N` samples.
///
/// - Precondition: every label is in `0..<C` and there is one label per sample.
public func crossEntropy<Scalar>(
  logits: Variable<Scalar>, labels: [Int], reduction: Reduction = .mean
) -> Variable<Scalar> {
  precondition(logits.shape.count == 2, "cross-entropy expects logits [N, C], got \(logits.shape)")
  let (n, c) = (logits.shape[0], logits.shape[1])
  precondition(labels.count == n, "cross-entropy got \(labels.count) labels for \(n) samples")
  var oneHot = Tensor<Scalar>(zeros: [n, c])
  oneHot.withUnsafeMutableBufferPointer { p in
    for (i, label) in labels.enumerated() {
      precondition(0 <= label && label < c, "label \(label) of sample \(i) is not in 0..<\(c)")
      p[i * c + label] = 1
    }
  }
  let total = -(logits.logSoftmax(alongAxis: 1) * oneHot).sum()
  return reduction == .mean ? total / Scalar(n) : total
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
  /// ``meanSquaredError(predictions:targets:reduction:)`` with value targets.
  case meanSquaredError(Reduction)

  /// The loss of `outputs` against `targets`.
  ///
  /// - Precondition: the targets are of the kind the loss needs.
  public func callAsFunction<Scalar>(_ outputs: Variable<Scalar>, _ targets: Targets<Scalar>)
    -> Variable<Scalar>
  {
    switch (self, targets) {
    case (.crossEntropy(let r), .classes(let labels)):
      return NeuralNetworks.crossEntropy(logits: outputs, labels: labels, reduction: r)
    case (.meanSquaredError(let r), .values(let values)):
      return NeuralNetworks.meanSquaredError(predictions: outputs, targets: values, reduction: r)
    case (.crossEntropy, .values):
      preconditionFailure("cross-entropy needs class labels, got value targets")
    case (.meanSquaredError, .classes):
      preconditionFailure("mean squared error needs value targets, got class labels")
    }
  }

  /// The reduction.
  public var reduction: Reduction {
    switch self {
    case .crossEntropy(let r), .meanSquaredError(let r): r
    }
  }
}
