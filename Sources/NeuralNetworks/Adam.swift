// The Adam optimizer with PyTorch's semantics, to train the built-in demonstration model (and
// small models in tests) before their curvature is measured.

import Autodiff
import TensorCore

/// Adam (Kingma and Ba 2015), as PyTorch's `torch.optim.Adam(params, lr, betas, eps)`.
///
/// At step `t` (from 1), for each parameter `p` with gradient `g`:
///
/// ```
/// m = beta1 m + (1 - beta1) g
/// v = beta2 v + (1 - beta2) g^2
/// p = p - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
/// ```
///
/// ```swift
/// var optimizer = Adam(for: model.parameters, learningRate: 1e-2)
/// let (loss, g) = valueWithGradient(at: model.parameters.values) { p in
///   model.loss(.crossEntropy(.mean), inputs: x, targets: .classes(y), parameters: p)
/// }
/// optimizer.update(&model.parameters.values, along: g)
/// ```
public struct Adam<Scalar: TensorScalar>: Sendable {
  /// The step size `lr` (PyTorch `lr`, default 1e-3).
  public var learningRate: Double
  /// The decay of the first moment (PyTorch `betas[0]`, default 0.9).
  public var beta1: Double
  /// The decay of the second moment (PyTorch `betas[1]`, default 0.999).
  public var beta2: Double
  /// Added to the denominator (PyTorch `eps`, default 1e-8).
  public var epsilon: Double
  /// The number of updates taken.
  public private(set) var stepCount = 0
  var beta1Power = 1.0
  var beta2Power = 1.0
  var firstMoments: [Tensor<Scalar>]
  var secondMoments: [Tensor<Scalar>]

  /// An optimizer for tensors of the given shapes, with zero moments.
  ///
  /// - Parameters:
  ///   - shapes: the shapes of the tensors it will update, in order.
  ///   - learningRate, beta1, beta2, epsilon: as PyTorch.
  public init(
    shapes: [[Int]], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
    epsilon: Double = 1e-8
  ) {
    precondition(learningRate > 0, "learningRate must be positive, got \(learningRate)")
    precondition(
      (0..<1).contains(beta1) && (0..<1).contains(beta2),
      "betas must be in [0, 1), got (\(beta1), \(beta2))")
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.firstMoments = shapes.map { Tensor(zeros: $0) }
    self.secondMoments = shapes.map { Tensor(zeros: $0) }
  }

  /// An optimizer for a model's trainable parameters.
  public init(
    for parameters: ParameterCollection<Scalar>, learningRate: Double = 1e-3,
    beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8
  ) {
    self.init(
      shapes: parameters.values.map(\.shape), learningRate: learningRate, beta1: beta1,
      beta2: beta2, epsilon: epsilon)
  }

  /// Takes one step: updates `values` in place along `gradient` (PyTorch `optimizer.step()`).
  ///
  /// - Precondition: `values` and `gradient` have the shapes given at creation.
  public mutating func update(_ values: inout [Tensor<Scalar>], along gradient: [Tensor<Scalar>]) {
    precondition(
      values.count == firstMoments.count && gradient.count == firstMoments.count,
      "Adam was created for \(firstMoments.count) tensors, got \(values.count) values and "
        + "\(gradient.count) gradients")
    stepCount += 1
    beta1Power *= beta1
    beta2Power *= beta2
    let correction1 = 1 - beta1Power
    let correction2 = 1 - beta2Power
    let (b1, b2, eps) = (Scalar(beta1), Scalar(beta2), Scalar(epsilon))
    let stepSize = Scalar(learningRate / correction1)
    let rootCorrection2 = Scalar(correction2.squareRoot())
    for i in values.indices {
      precondition(
        values[i].shape == firstMoments[i].shape && gradient[i].shape == firstMoments[i].shape,
        "tensor \(i): expected shape \(firstMoments[i].shape), got value \(values[i].shape) "
          + "and gradient \(gradient[i].shape)")
      let g = gradient[i]
      firstMoments[i] = b1 * firstMoments[i] + (1 - b1) * g
      secondMoments[i] = b2 * secondMoments[i] + (1 - b2) * g * g
      let denominator = secondMoments[i].squareRoot() * (1 / rootCorrection2) + eps
      values[i] = values[i] - stepSize * firstMoments[i] / denominator
    }
  }
}
