// Full-batch training with Adam: enough to give a built-in or test model trained weights
// whose curvature is worth measuring. Not a training framework.

import Autodiff
import TensorCore

/// Trains `model` on one batch with Adam for `steps` full-batch steps and returns the loss
/// before each step (PyTorch: `for _ in range(steps): opt.zero_grad(); loss.backward();
/// opt.step()`).
///
/// Deterministic: the same model, data and optimizer give the same weights. In training mode
/// dropout draws from the model's own ``RandomSource``.
///
/// - Parameters:
///   - model: the model to train in place (its parameters; buffers are left as they are).
///   - loss: the loss function.
///   - inputs, targets: the batch.
///   - steps: the number of updates.
///   - optimizer: the optimizer, created for `model.parameters`.
///   - progress: called after each step with the step number (from 1) and the loss before it.
/// - Returns: the `steps` losses, the first at the initial weights.
/// - Complexity: `steps` forward and reverse passes over the batch.
@discardableResult
public func train<Scalar: TensorScalar>(
  _ model: inout Model<Scalar>, loss: LossFunction, inputs: Tensor<Scalar>,
  targets: Targets<Scalar>, steps: Int, optimizer: inout Adam<Scalar>,
  progress: ((_ step: Int, _ loss: Double) -> Void)? = nil
) -> [Double] {
  precondition(steps >= 0, "steps must be non-negative, got \(steps)")
  guard steps > 0 else { return [] }
  var losses: [Double] = []
  losses.reserveCapacity(steps)
  let network = model  // the architecture, buffers and mode; parameters come in as `p`
  for step in 1...steps {
    let (value, gradient) = valueWithGradient(at: model.parameters.values) { p in
      network.loss(loss, inputs: inputs, targets: targets, parameters: p)
    }
    optimizer.update(&model.parameters.values, along: gradient)
    losses.append(Double(value))
    progress?(step, Double(value))
  }
  return losses
}
