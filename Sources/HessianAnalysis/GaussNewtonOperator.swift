// The generalized Gauss-Newton matrix Jᵀ H_loss J (Schraudolph 2002): a JVP to the outputs,
// the loss Hessian there in closed form, a VJP back.

import Autodiff
import MatrixFree
import NeuralNetworks
import TensorCore

/// The generalized Gauss-Newton (GGN) matrix of a model's data-set loss, as a
/// ``LinearOperator`` over its parameters (or a selection).
///
/// ```
/// G = sum_b w_b J_bᵀ H_b J_b,   J_b = d z_b / d theta,   H_b = d^2 loss_b / d z_b^2
/// ```
///
/// with `z_b` the model's outputs on batch `b` and `w_b` the batch weights of ``DataSet``. It
/// is the Hessian with the second derivatives of the network dropped (only the loss's
/// curvature kept), so it is positive semi-definite for convex losses (Schraudolph 2002,
/// "Fast curvature matrix-vector products for second-order gradient descent"). The loss
/// Hessian is used in closed form:
///
/// ```
/// cross-entropy:  H u = c (p * u - p (pᵀ u)) per sample, p = softmax(z)
///                 c = 1/n_b (mean), 1 (sum)
/// squared error:  H u = 2 c u
///                 c = 1/(n_b d) (mean over the n_b d output elements), 1 (sum)
/// ```
///
/// A block of `k` vectors costs, per batch, one forward pass carrying `k` tangents (the JVP
/// `J V`, ``valueWithDirectionalDerivatives(at:along:tape:in:)``) and one forward and backward
/// pass carrying `k` cotangents (the VJP `Jᵀ U`,
/// ``valueWithVectorJacobianProducts(at:cotangents:tape:in:)``).
/// With ``DifferentiationMethod/finiteDifference(_:)`` the JVP is replaced by central
/// differences of the outputs, `(z(theta + h v) - z(theta - h v)) / 2h` (two forward passes per
/// vector); the VJP stays exact (first order).
///
/// **Primal cache.** As ``HessianOperator`` does, after the determinism check the operator
/// keeps each batch's primal values of both passes (``Autodiff/PrimalTape``: the JVP's forward
/// values; the VJP's forward values and its zero primal adjoint) within a byte budget
/// (`primalCacheLimit`), so that every exact product after the first computes only the `k`
/// tangents and cotangents. On a conv net that halves a single product: of its cost in forward
/// passes, about 3 (JVP) + 5 (VJP), the primal part is 1 + 3.
///
/// - Complexity: about two passes per batch per block; with the batch's tapes kept, their
///   tangent work only (`4 k` forward passes' worth of products on a conv net).
///
/// Equivalents: curvlinops `GGNLinearOperator`; BackPACK `GGNMP`.
public struct GaussNewtonOperator<Scalar: TensorScalar>: CurvatureOperator {
  /// The model.
  public let model: Model<Scalar>
  /// Cross-entropy or mean squared error.
  public let loss: LossFunction
  /// The data set.
  public let data: DataSet<Scalar>
  /// Each batch's weight in the data-set loss (``DataSet/batchWeights(for:)``).
  let weights: [Double]
  /// The differentiated parameters, offsets in this operator's vectors.
  public let segments: [VectorSegment]
  /// Exact or finite-difference JVPs.
  public let method: DifferentiationMethod
  /// `gauss-newton` (with the selection's name when not all parameters).
  public let scope: CurvatureScope
  let indices: [Int]
  let layout: FlatLayout
  let counter = ProductCounter()
  /// The key to this operator's primal tapes (terms `2b`: batch `b`'s JVP, `2b + 1`: its VJP),
  /// or nil when products may not replay them (no determinism check, finite differences).
  let cacheOwner: PrimalCache.Owner?

  /// Creates the operator, checking determinism (two gradient passes over the data) unless
  /// told not to.
  ///
  /// - Parameters: as
  ///   ``HessianOperator/init(model:loss:data:parameters:method:checkDeterminism:primalCacheLimit:)``:
  ///   `primalCacheLimit` bounds the bytes of primal values kept (nil: the process-wide 2 GiB
  ///   budget; 0: none), and nothing is kept without the check or with finite differences.
  /// - Throws: as ``HessianOperator``.
  public init(
    model: Model<Scalar>, loss: LossFunction, data: DataSet<Scalar>,
    parameters selection: ParameterSelection = .all, method: DifferentiationMethod = .exact,
    checkDeterminism: Bool = true, primalCacheLimit: Int? = nil
  ) throws {
    if case .modelOutput = loss { throw HessianAnalysisError.gaussNewtonWithoutLoss }
    let (indices, segments) = try selection.resolve(in: model.parameters)
    self.model = model
    self.loss = loss
    self.data = data
    self.weights = try data.batchWeights(for: loss)
    self.segments = segments
    self.method = method
    self.indices = indices
    self.layout = FlatLayout(shapes: segments.map(\.shape))
    self.scope =
      indices.count == model.parameters.names.count
      ? CurvatureScope(.gaussNewton) : CurvatureScope(.gaussNewton, name: selection.description)
    if checkDeterminism {
      try HessianOperator.objective(model: model, loss: loss, data: data, indices: indices)
        .checkDeterminism(mode: model.mode)
    }
    self.cacheOwner = PrimalCache.forOperator(
      checked: checkDeterminism, method: method, byteLimit: primalCacheLimit
    ).map { PrimalCache.Owner(cache: $0) }
  }

  /// The number of differentiated parameters `n`.
  public var dimension: Int { layout.dimension }

  /// Products applied so far (vectors).
  public var hvpCount: Int { counter.value }

  /// The bytes of primal values this operator keeps (its own tapes, not those of the other
  /// operators sharing its budget).
  public var primalCacheBytes: Int { cacheOwner?.byteCount ?? 0 }

  /// Frees this operator's cached primal values; the next products record them again.
  public func releasePrimalCache() { cacheOwner?.release() }

  /// Runs `pass` with this operator's tape of term `t`, if it keeps one and it is free.
  private func withTape<R>(term t: Int, _ pass: (PrimalTape<Scalar>?) throws -> R) rethrows -> R {
    guard let cacheOwner else { return try pass(nil) }
    return try cacheOwner.withTape(term: t, pass)
  }

  /// `G x` for each row of `block` (`[k, n]`).
  ///
  /// - Throws: ``HessianAnalysisError/nonFinite(quantity:batch:batchCount:rank:)``.
  /// - Precondition: `block` is `[k, n]` with `k >= 1`.
  /// - Complexity: see the type.
  public func apply(_ block: Tensor<Scalar>) throws -> Tensor<Scalar> {
    layout.checkBlock(block)
    let k = block.shape[0]
    let directions = layout.split(block)
    let values = model.parameters.values
    let points = indices.map { values[$0] }
    let result = try sumOverBatches(
      group: data.group, data.batchCount, shape: block.shape, fingerprint: fingerprint([block])
    ) { b -> (value: Double, vector: Tensor<Scalar>?) in
      let batch = try data.batch(b)
      let outputs = { (selected: [Variable<Scalar>]) -> Variable<Scalar> in
        var variables = values.map { Variable($0) }
        for (i, v) in zip(indices, selected) { variables[i] = v }
        return model.output(for: batch.modelInputs, parameters: variables)
      }
      let (z, jv) = try withTape(term: 2 * b) { tape in
        try jacobianProducts(
          at: points, directions: directions, block: block, tape: tape, outputs)
      }
      let cotangents = lossHessianProducts(z, jv, targets: batch.targets) * Scalar(weights[b])
      let back = withTape(term: 2 * b + 1) { tape in
        valueWithVectorJacobianProducts(
          at: points, cotangents: cotangents, tape: tape, in: outputs)
      }
      let flat = layout.join(back.products, rows: k)
      guard flat.isFinite else {
        throw HessianAnalysisError.nonFinite(
          quantity: "Gauss-Newton product", batch: data.globalIndex(ofBatch: b),
          batchCount: data.totalBatchCount, rank: data.group.isSingleProcess ? nil : data.group.rank)
      }
      return (0, flat)
    }
    counter.add(k)
    return result.vector ?? Tensor(zeros: block.shape)
  }

  /// The outputs `z` and `J v` for each direction (`[k] + z.shape`), exactly (with `tape`, if
  /// any) or by central differences.
  func jacobianProducts(
    at points: [Tensor<Scalar>], directions: [Tensor<Scalar>], block: Tensor<Scalar>,
    tape: PrimalTape<Scalar>?, _ outputs: ([Variable<Scalar>]) -> Variable<Scalar>
  ) throws -> (Tensor<Scalar>, Tensor<Scalar>) {
    guard case .finiteDifference(let step) = method else {
      return valueWithDirectionalDerivatives(
        at: points, along: directions, tape: tape, in: outputs)
    }
    let z = outputs(points.map { Variable($0) }).value
    let pointNorm = euclideanNorm(points)
    var rows: [Tensor<Scalar>] = []
    for i in 0..<block.shape[0] {
      let v = layout.split(block.slice(i..<i + 1, alongAxis: 0)).map {
        $0.reshaped(to: Array($0.shape.dropFirst()))
      }
      let vNorm = euclideanNorm(v)
      guard vNorm > 0 else {
        rows.append(Tensor(zeros: [1] + z.shape))
        continue
      }
      let h = step.step(for: Scalar.self, pointNorm: pointNorm, directionNorm: vNorm)
      let plus = outputs(zip(points, v).map { Variable($0 + $1 * Scalar(h)) }).value
      let minus = outputs(zip(points, v).map { Variable($0 - $1 * Scalar(h)) }).value
      rows.append(((plus - minus) * Scalar(1 / (2 * h))).expandingShape(at: 0))
    }
    return (z, Tensor.concatenated(rows, alongAxis: 0))
  }

  /// `H_loss u` for each `u` in `[k] + z.shape`, in closed form (see the type's documentation).
  /// The targets enter only through cross-entropy's ignored labels, whose positions have a zero
  /// loss Hessian, and its count of labeled positions.
  func lossHessianProducts(
    _ z: Tensor<Scalar>, _ u: Tensor<Scalar>, targets: Targets<Scalar>
  ) -> Tensor<Scalar> {
    switch loss {
    case .tokenCrossEntropy(let reduction):
      // The class axis last: move it to 1, apply the closed form, move it back.
      let r = z.rank
      guard r > 2 else {
        return crossEntropyHessianProducts(z, u, targets: targets, reduction: reduction)
      }
      let toFirst = [0, r - 1] + Array(1..<(r - 1))
      let back = [0] + Array(2..<r) + [1]
      let h = crossEntropyHessianProducts(
        z.permuted(toFirst), u.permuted([0] + toFirst.map { $0 + 1 }), targets: targets,
        reduction: reduction)
      return h.permuted([0] + back.map { $0 + 1 })
    case .crossEntropy(let reduction):
      return crossEntropyHessianProducts(z, u, targets: targets, reduction: reduction)
    case .meanSquaredError(let reduction):
      let scale: Scalar = reduction == .mean ? 2 / Scalar(z.count) : 2
      return u * scale
    case .modelOutput:
      preconditionFailure("the GGN needs a loss on the outputs (refused at construction)")
    }
  }

  /// Cross-entropy's loss Hessian on `u`, class axis 1 of `z`.
  func crossEntropyHessianProducts(
    _ z: Tensor<Scalar>, _ u: Tensor<Scalar>, targets: Targets<Scalar>, reduction: Reduction
  ) -> Tensor<Scalar> {
    // Softmax over the class axis 1 of z (axis 2 of the tangents u).
    let shifted = (z - z.max(alongAxes: [1])).exp()
    let p = shifted / shifted.sum(alongAxes: [1])
    let pu = p * u
    let labels = targets.classLabels ?? []
    let labeled = loss.normalizationCount(targets)
    let scale: Scalar = reduction == .mean ? 1 / Scalar(Swift.max(labeled, 1)) : 1
    var h = (pu - p * pu.sum(alongAxes: [2])) * scale
    if labeled < labels.count {
      // Ignored positions contribute nothing: zero their rows.
      var positions = z.shape
      positions[1] = 1
      let mask = Tensor<Scalar>(
        shape: positions,
        scalars: labels.map { $0 == Targets<Scalar>.ignoreIndex ? 0 : 1 })
      h = h * mask
    }
    return h
  }
}
