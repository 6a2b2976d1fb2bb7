// The parameter Hessian of a model's loss over a data set, as a LinearOperator.

import Autodiff
import MatrixFree
import NeuralNetworks
import TensorCore

/// The Hessian of a model's data-set loss with respect to its parameters (or a selection of
/// them), as a matrix-free ``LinearOperator``.
///
/// ```
/// H = d^2/dtheta^2 L(theta),   L(theta) = sum_b w_b loss(model(x_b; theta), y_b)
/// ```
///
/// with the batch weights `w_b` of ``DataSet`` (`n_b / N` for mean reduction, 1 for sum): the
/// Hessian of the loss function applied to the whole data set. A block `X` of `k` vectors
/// (`[k, n]`, rows flat in ``segments`` order, which is PyTorch's `model.parameters()` order
/// restricted to the selection) gives `[k, n]` products from one forward-over-reverse pass per
/// batch (Pearlmutter 1994), summed with the weights.
///
/// With a ``ParameterSelection`` other than ``ParameterSelection/all`` the operator is the
/// diagonal block of the selected parameters (the others are constants), labeled
/// ``CurvatureScope/Kind/parameters``; ``perLayer(model:loss:data:method:checkDeterminism:primalCacheLimit:)``
/// gives each layer's block labeled ``CurvatureScope/Kind/perLayer``.
///
/// **Determinism check.** At construction (unless `checkDeterminism` is false) the operator
/// runs two gradient passes over the data; if the loss or the gradient differs beyond
/// `sqrt(eps)` relative, it throws
/// ``HessianAnalysisError/nondeterministic(quantity:first:second:relativeDifference:tolerance:mode:)``
/// naming the likely cause (dropout in training mode, random augmentation) and the opt-out
/// (curvlinops' `check_deterministic`). BatchNorm in training mode passes the check (its batch
/// statistics are the same on every pass) but makes the Hessian depend on how the data is cut
/// into batches; use evaluation mode for the Hessian of the per-sample loss.
///
/// ```swift
/// let data = DataSet(inputs: x, targets: .classes(y), batchSize: 64)
/// let hessian = try HessianOperator(model: model, loss: .crossEntropy(.mean), data: data)
/// var generator = SeededGenerator(seed: 0)
/// let top = try eigenpairs(of: hessian, count: 5, using: &generator)
/// print(top.eigenvalues, hessian.hvpCount)
/// ```
///
/// **Primal cache.** The primal half of a product (forward and backward values) does not depend
/// on the vectors, so after the check the operator keeps each batch's primal values
/// (``Autodiff/PrimalTape``, about two copies of the batch's activations) within a
/// byte budget (`primalCacheLimit`), and every exact product replays them and computes only tangents:
/// about a third less work per product on a ResNet-20. Batches beyond the budget are computed
/// afresh each time. The cache needs the determinism check: with `checkDeterminism: false`,
/// or finite differences, nothing is kept.
///
/// - Complexity: one pass per batch per block of `k` vectors, whose cost is about 2-4 times a
///   forward pass plus `k` times the tangent work (the primal part is skipped for cached
///   batches); finite differences cost `2 k` gradient passes per batch. Construction costs two
///   gradient passes (the check).
///
/// Equivalents: curvlinops `HessianLinearOperator(model, loss, params, data)`; PyHessian
/// `hessian(model, criterion, dataloader=...)`'s `dataloader_hv_product`.
public struct HessianOperator<Scalar: TensorScalar>: CurvatureOperator {
  /// The model (its parameters are the point at which the Hessian is taken).
  public let model: Model<Scalar>
  /// The loss function; its reduction sets the batch weights.
  public let loss: LossFunction
  /// The data set.
  public let data: DataSet<Scalar>
  /// The differentiated parameters in vector order, with offsets in this operator's vectors.
  public let segments: [VectorSegment]
  /// Exact or finite-difference products.
  public let method: DifferentiationMethod
  /// Which Hessian this is: ``CurvatureScope/full``, a selection, or one layer.
  public let scope: CurvatureScope
  let objective: Objective<Scalar>
  let counter = ProductCounter()

  /// Creates the operator, checking determinism unless told not to.
  ///
  /// - Parameters:
  ///   - model: the model, at its current parameters and mode.
  ///   - loss: the loss function (``LossFunction``).
  ///   - data: the data set (its batches are visited in order on every product).
  ///   - parameters: the differentiated parameters (default all: the full Hessian).
  ///   - method: exact products (default) or finite differences.
  ///   - checkDeterminism: run the two-pass check (default true); without it no primal values
  ///     are cached.
  ///   - primalCacheLimit: the bytes of primal values this operator keeps to skip their
  ///     recomputation (0 keeps none); nil (the default) shares one 2 GiB budget with every
  ///     other operator of the process, the least recently used tapes of others going first.
  /// - Throws: ``HessianAnalysisError`` when the selection is empty, a pass is not finite
  ///   (naming the batch), or the check fails.
  public init(
    model: Model<Scalar>, loss: LossFunction, data: DataSet<Scalar>,
    parameters selection: ParameterSelection = .all, method: DifferentiationMethod = .exact,
    checkDeterminism: Bool = true, primalCacheLimit: Int? = nil
  ) throws {
    let (indices, segments) = try selection.resolve(in: model.parameters)
    let scope: CurvatureScope =
      indices.count == model.parameters.names.count
      ? .full : CurvatureScope(.parameters, name: selection.description)
    try self.init(
      model: model, loss: loss, data: data, indices: indices, segments: segments, scope: scope,
      method: method, checkDeterminism: checkDeterminism,
      cache: .forOperator(checked: checkDeterminism, method: method, byteLimit: primalCacheLimit))
  }

  /// The operator over one batch (`inputs` `[N, ...]` and their targets).
  public init(
    model: Model<Scalar>, loss: LossFunction, inputs: Tensor<Scalar>, targets: Targets<Scalar>,
    parameters selection: ParameterSelection = .all, method: DifferentiationMethod = .exact,
    checkDeterminism: Bool = true, primalCacheLimit: Int? = nil
  ) throws {
    try self.init(
      model: model, loss: loss, data: DataSet(inputs: inputs, targets: targets),
      parameters: selection, method: method, checkDeterminism: checkDeterminism,
      primalCacheLimit: primalCacheLimit)
  }

  /// The operator on the parameters at `indices`. `cache` keeps its exact products' primal
  /// values: pass one only when this objective is checked for determinism, here or (per layer)
  /// on the full Hessian, since replaying them is sound only for a deterministic objective.
  init(
    model: Model<Scalar>, loss: LossFunction, data: DataSet<Scalar>, indices: [Int],
    segments: [VectorSegment], scope: CurvatureScope, method: DifferentiationMethod,
    checkDeterminism: Bool, cache: PrimalCache?
  ) throws {
    self.model = model
    self.loss = loss
    self.data = data
    self.segments = segments
    self.method = method
    self.scope = scope
    self.objective = try Self.objective(
      model: model, loss: loss, data: data, indices: indices,
      cache: method == .exact ? cache : nil)
    if checkDeterminism { try objective.checkDeterminism(mode: model.mode) }
  }

  /// The data-set loss as a function of the parameters at `indices` (the others constant).
  static func objective(
    model: Model<Scalar>, loss: LossFunction, data: DataSet<Scalar>, indices: [Int],
    cache: PrimalCache? = nil
  ) throws -> Objective<Scalar> {
    let values = model.parameters.values
    let dataSetLoss = try DataSetLoss(model: model, loss: loss, data: data)
    return Objective(
      points: indices.map { values[$0] }, termCount: data.batchCount, cache: cache,
      group: data.group, termNumbering: data.termNumbering
    ) { t, selected in
      var variables = values.map { Variable($0) }
      for (i, v) in zip(indices, selected) { variables[i] = v }
      return try dataSetLoss.term(t, parameters: variables)
    }
  }

  /// The number of differentiated parameters `n`.
  public var dimension: Int { objective.layout.dimension }

  /// Hessian-vector products applied so far (vectors, not blocks), over all copies of this
  /// operator.
  public var hvpCount: Int { counter.value }

  /// `H x` for each row `x` of `block` (`[k, n]`).
  ///
  /// - Throws: ``HessianAnalysisError/nonFinite(quantity:batch:batchCount:rank:)`` naming the batch
  ///   whose loss or product is not finite; errors of a closure-backed data set.
  /// - Precondition: `block` is `[k, n]`.
  public func apply(_ block: Tensor<Scalar>) throws -> Tensor<Scalar> {
    let result = try objective.products(block, method: method)
    counter.add(block.shape[0])
    return result
  }

  /// The data-set loss `L(theta)` at the model's parameters.
  ///
  /// - Complexity: one forward pass per batch.
  public func lossValue() throws -> Double { try objective.value() }

  /// The data-set loss and its gradient with respect to the selected parameters (flat, `[n]`).
  ///
  /// - Complexity: one forward and backward pass per batch.
  public func lossAndGradient() throws -> (loss: Double, gradient: Tensor<Scalar>) {
    let r = try objective.valueWithGradient(at: objective.points)
    return (r.value, r.gradient)
  }

  /// The bytes of primal values this operator keeps (its own tapes, not those of the other
  /// operators sharing its budget).
  public var primalCacheBytes: Int { objective.primalTapeBytes }

  /// Frees this operator's cached primal values; the next products record them again.
  public func releasePrimalCache() { objective.releasePrimalTapes() }

  /// The selected parameters' values as one flat vector `[n]` (the point `theta`).
  public var point: Tensor<Scalar> { objective.layout.flatten(objective.points) }
}
