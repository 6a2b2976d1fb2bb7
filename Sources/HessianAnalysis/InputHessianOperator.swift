// The Hessian of a scalar function of a model's input (seed notebook 000: the Hessian of
// objective(G(z)) with respect to a generator's latent code z).

import Autodiff
import MatrixFree
import NeuralNetworks
import TensorCore

/// The Hessian of a scalar function `f(x)` with respect to an input tensor `x`, as a
/// ``LinearOperator`` over the flattened input (row-major, all of `x`'s elements).
///
/// ```
/// (H v)_i = d^2 f / dx_i dx_j v_j,   e.g. f(z) = objective(G(z)) for a generator G
/// ```
///
/// Exact products are forward-over-reverse (Pearlmutter 1994); `k` directions cost one pass.
/// For a ReLU network and an objective linear in its activations the exact Hessian is zero
/// almost everywhere, and ``DifferentiationMethod/finiteDifference(_:)`` with a chosen
/// ``FiniteDifferenceStep/perturbationNorm(_:)`` measures the Hessian of the function smoothed
/// on that scale instead (seed notebook 000; see ``FiniteDifferenceStep``).
///
/// ```swift
/// let generator = Model<Double>(multilayerPerceptron(widths: [8, 32, 64], activation: .tanh))
/// let hessian = try InputHessianOperator(model: generator, input: z) { image in
///   (image * weights).sum().squared()
/// }
/// var rng = SeededGenerator(seed: 0)
/// let top = try eigenpairs(of: hessian, count: 3, using: &rng)
/// ```
///
/// For one sample of a batch, pass that sample alone (shape `[1, ...]`): the operator's
/// dimension is the element count of `input`.
///
/// - Complexity: one pass per block of `k` vectors (finite differences: `2 k` gradient passes).
public struct InputHessianOperator<Scalar: TensorScalar>: CurvatureOperator {
  /// The point `x`.
  public let input: Tensor<Scalar>
  /// Exact or finite-difference products.
  public let method: DifferentiationMethod
  /// ``CurvatureScope/Kind/input``.
  public let scope = CurvatureScope(.input)
  let objective: Objective<Scalar>
  let counter = ProductCounter()

  /// The Hessian of `function` at `input`.
  ///
  /// - Parameters:
  ///   - input: the point `x` (any shape).
  ///   - method: exact (default) or finite-difference products.
  ///   - checkDeterminism: evaluate `f` and its gradient twice and compare (default true);
  ///     once it passes, the primal values of `f` are kept and every product replays them.
  ///   - function: `f`, written with ``Variable`` operations; must return a scalar.
  /// - Throws: ``HessianAnalysisError`` when `f` or a product is not finite or the check fails.
  public init(
    at input: Tensor<Scalar>, method: DifferentiationMethod = .exact,
    checkDeterminism: Bool = true,
    function: @escaping @Sendable (Variable<Scalar>) -> Variable<Scalar>
  ) throws {
    try self.init(
      input: input, mode: .evaluation, method: method, checkDeterminism: checkDeterminism,
      function: function)
  }

  /// The Hessian of `objective(model(x))` with respect to the model's input `x`, the model's
  /// parameters held constant (the generator of seed notebook 000).
  ///
  /// - Parameters:
  ///   - model: the network `G` (for example a generator).
  ///   - input: the point `x` (a batch of one sample, or more).
  ///   - method: exact (default) or finite-difference products.
  ///   - checkDeterminism: evaluate `f` and its gradient twice and compare (default true);
  ///     once it passes, the primal values of `f` are kept and every product replays them.
  ///   - objective: a scalar function of the model's output.
  public init(
    model: Model<Scalar>, input: Tensor<Scalar>, method: DifferentiationMethod = .exact,
    checkDeterminism: Bool = true,
    objective: @escaping @Sendable (Variable<Scalar>) -> Variable<Scalar>
  ) throws {
    let constants = model.parameters.values
    try self.init(
      input: input, mode: model.mode, method: method, checkDeterminism: checkDeterminism
    ) { x in
      objective(model.output(for: x, parameters: constants.map { Variable($0) }))
    }
  }

  /// The Hessian of `objective(model(inputs))` with respect to the input named `name`, the
  /// other inputs (token ids, masks, class labels of a conditional generator) and the
  /// parameters held constant.
  ///
  /// - Parameters:
  ///   - inputs: the model's inputs by name; the one named `name` must be floating-point.
  ///   - name: the input differentiated.
  ///   - objective: a scalar function of the model's output.
  /// - Precondition: `inputs` has a floating-point input `name`.
  public init(
    model: Model<Scalar>, inputs: ModelInputs<Scalar>, withRespectTo name: String,
    method: DifferentiationMethod = .exact, checkDeterminism: Bool = true,
    objective: @escaping @Sendable (Variable<Scalar>) -> Variable<Scalar>
  ) throws {
    guard case .real(let x)? = inputs[name] else {
      preconditionFailure("no floating-point input \"\(name)\" among \(inputs.names)")
    }
    let constants = model.parameters.values
    try self.init(
      input: x, mode: model.mode, method: method, checkDeterminism: checkDeterminism
    ) { v in
      objective(
        model.output(
          for: inputs, parameters: constants.map { Variable($0) }, differentiating: (name, v)))
    }
  }

  init(
    input: Tensor<Scalar>, mode: LayerMode, method: DifferentiationMethod, checkDeterminism: Bool,
    function: @escaping @Sendable (Variable<Scalar>) -> Variable<Scalar>
  ) throws {
    precondition(input.count >= 1, "the input must have at least one element, got \(input.shape)")
    self.input = input
    self.method = method
    self.objective = Objective(
      points: [input], termCount: 1,
      cache: .forOperator(checked: checkDeterminism, method: method)
    ) { _, x in function(x[0]) }
    if checkDeterminism { try objective.checkDeterminism(mode: mode) }
  }

  /// The number of input elements `n`.
  public var dimension: Int { input.count }

  /// One segment, `input`, of the input's shape.
  public var segments: [VectorSegment] {
    [VectorSegment(name: "input", shape: input.shape, offset: 0)]
  }

  /// Products applied so far (vectors).
  public var hvpCount: Int { counter.value }

  /// The bytes of primal values this operator keeps (see ``HessianOperator/primalCacheBytes``).
  public var primalCacheBytes: Int { objective.primalTapeBytes }

  /// Frees this operator's cached primal values; the next products record them again.
  public func releasePrimalCache() { objective.releasePrimalTapes() }

  /// `H x` for each row of `block` (`[k, n]`, rows are flattened inputs).
  ///
  /// - Throws: ``HessianAnalysisError/nonFinite(quantity:batch:batchCount:rank:)``.
  /// - Precondition: `block` is `[k, n]` with `k >= 1`.
  /// - Complexity: see the type.
  public func apply(_ block: Tensor<Scalar>) throws -> Tensor<Scalar> {
    let result = try objective.products(block, method: method)
    counter.add(block.shape[0])
    return result
  }

  /// `f(x)`.
  public func value() throws -> Double { try objective.value() }

  /// `f(x)` and its gradient with respect to `x` (shape of `input`).
  public func valueAndGradient() throws -> (value: Double, gradient: Tensor<Scalar>) {
    let r = try objective.valueWithGradient(at: [input])
    return (r.value, r.gradient.reshaped(to: input.shape))
  }
}
