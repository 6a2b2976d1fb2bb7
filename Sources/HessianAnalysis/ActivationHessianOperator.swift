// The Hessian of the loss with respect to a named layer's output activations (seed notebook
// 004: PyHessian's activation traces), and the traces of several layers in one call.

import Autodiff
import MatrixFree
import NeuralNetworks
import TensorCore

/// The Hessian of the data-set loss with respect to one layer's output activations, as a
/// ``LinearOperator`` over the activations of every sample.
///
/// ```
/// H = d^2 L / da^2,   a = the output of layer `layer` on the data (shape [N, features...])
/// ```
///
/// The activation is replaced, through an ``ActivationObserver``, by a differentiated leaf:
/// the forward pass up to the layer is a constant, and only the rest of the network and the
/// loss are differentiated. Vectors are flat over the activations of all `N` samples
/// (batch by batch, each `[n_b, features...]` row-major), so the dimension is `N` times the
/// features per sample. Batches enter with the weights of ``DataSet`` (`n_b / N` for mean
/// reduction), and since a sample's loss depends only on its own activations (in evaluation
/// mode), the Hessian is block-diagonal over samples.
///
/// ```swift
/// let hessian = try ActivationHessianOperator(
///   model: model, loss: .crossEntropy(.mean), data: data, layer: "layer1.0")
/// var rng = SeededGenerator(seed: 0)
/// let trace = try hutchinsonTrace(of: hessian, using: &rng)
/// ```
///
/// - Complexity: one pass per batch per block of `k` vectors (the forward pass up to the
///   layer is recomputed without tangents); memory `k + 1` copies of the activations after it.
///
/// Equivalents: PyHessian's activation-trace tutorial (Hessian traces of the loss with respect
/// to each conv layer's output, via forward hooks).
public struct ActivationHessianOperator<Scalar: TensorScalar>: CurvatureOperator {
  /// The layer's dotted name (`layer1.0`, `2`, ...).
  public let layer: String
  /// The activations at the point, one entry per batch, each `[n_b, features...]`.
  public let activations: [Tensor<Scalar>]
  /// Exact or finite-difference products.
  public let method: DifferentiationMethod
  /// `activation <layer>`.
  public let scope: CurvatureScope
  let objective: Objective<Scalar>
  let counter = ProductCounter()

  /// The Hessian of the loss over `data` with respect to the output of `layer`.
  ///
  /// - Parameters:
  ///   - model: the model (parameters constant).
  ///   - loss: the loss function; its reduction sets the batch weights.
  ///   - data: the data set.
  ///   - layer: the layer's name as its ``LayerScope`` reports it (see
  ///     ``layerOutputNames(of:input:)``).
  ///   - method: exact (default) or finite-difference products.
  ///   - checkDeterminism: run the two-pass check (default true); once it passes, each batch's
  ///     primal values are kept (within 2 GiB) and every product replays them.
  /// - Throws: ``HessianAnalysisError/unknownLayer(name:available:)`` when no layer has that
  ///   name; the other ``HessianAnalysisError`` cases as ``HessianOperator``.
  public init(
    model: Model<Scalar>, loss: LossFunction, data: DataSet<Scalar>, layer: String,
    method: DifferentiationMethod = .exact, checkDeterminism: Bool = true
  ) throws {
    var activations: [Tensor<Scalar>] = []
    for b in 0..<data.batchCount {
      let inputs = try data.batch(b).modelInputs
      let recorder = ActivationRecorder<Scalar>(layer: layer)
      _ = model.output(
        for: inputs, parameters: model.parameters.values.map { Variable($0) },
        observer: recorder.observer)
      guard let activation = recorder.recorded else {
        throw HessianAnalysisError.unknownLayer(name: layer, available: recorder.names)
      }
      activations.append(activation)
    }
    let numbering = data.termNumbering
    if !data.group.isSingleProcess {
      activations = try Self.gathered(activations, of: data, layer: layer)
    }
    self.layer = layer
    self.activations = activations
    self.method = method
    self.scope = CurvatureScope(.activation, name: layer)
    let constants = model.parameters.values
    let dataSetLoss = try DataSetLoss(model: model, loss: loss, data: data)
    self.objective = Objective(
      points: activations, termCount: data.batchCount,
      cache: .forOperator(checked: checkDeterminism, method: method), group: data.group,
      termNumbering: numbering
    ) { t, a in
      let observer = ActivationObserver<Scalar>(replacing: layer, with: a[numbering.offset + t])
      return try dataSetLoss.term(
        t, parameters: constants.map { Variable($0) }, observer: observer)
    }
    if checkDeterminism { try objective.checkDeterminism(mode: model.mode) }
  }

  /// Every rank's activations, batch by batch in global order, from this rank's: the points of
  /// the operator are those of the whole data set, so its vectors are replicated like every
  /// other operator's, and each rank's products are zero outside its own batches.
  private static func gathered(
    _ local: [Tensor<Scalar>], of data: DataSet<Scalar>, layer: String
  ) throws -> [Tensor<Scalar>] {
    let perSample = Array(local[0].shape.dropFirst())
    for (a, n) in zip(local, data.batchSizes) where a.shape != [n] + perSample {
      throw HessianAnalysisError.activationWithoutSampleAxis(
        layer: layer, shape: a.shape, batchSize: n)
    }
    let offset = data.globalIndex(ofBatch: 0)
    let shapes = data.allBatchSizes.map { [$0] + perSample }
    let layout = FlatLayout(shapes: shapes)
    var points = shapes.map { Tensor<Scalar>(zeros: $0) }
    for (b, a) in local.enumerated() { points[offset + b] = a }
    let sum = try data.group.sumInRankOrder(
      value: 0, vector: layout.flatten(points), fingerprint: 0)
    return layout.unflatten(sum.vector!)
  }

  /// The operator over one batch.
  public init(
    model: Model<Scalar>, loss: LossFunction, inputs: Tensor<Scalar>, targets: Targets<Scalar>,
    layer: String, method: DifferentiationMethod = .exact, checkDeterminism: Bool = true
  ) throws {
    try self.init(
      model: model, loss: loss, data: DataSet(inputs: inputs, targets: targets), layer: layer,
      method: method, checkDeterminism: checkDeterminism)
  }

  /// The number of activation entries over all samples.
  public var dimension: Int { objective.layout.dimension }

  /// One segment per batch, `<layer>[batch b]`, of that batch's activation shape.
  public var segments: [VectorSegment] {
    zip(activations.indices, objective.layout.offsets).map { b, offset in
      VectorSegment(name: "\(layer)[batch \(b)]", shape: activations[b].shape, offset: offset)
    }
  }

  /// Products applied so far (vectors).
  public var hvpCount: Int { counter.value }

  /// The bytes of primal values this operator keeps (see ``HessianOperator/primalCacheBytes``).
  public var primalCacheBytes: Int { objective.primalTapeBytes }

  /// Frees this operator's cached primal values; the next products record them again.
  public func releasePrimalCache() { objective.releasePrimalTapes() }

  /// `H x` for each row of `block` (`[k, n]`).
  ///
  /// - Throws: ``HessianAnalysisError/nonFinite(quantity:batch:batchCount:rank:)``.
  /// - Precondition: `block` is `[k, n]` with `k >= 1`.
  /// - Complexity: see the type.
  public func apply(_ block: Tensor<Scalar>) throws -> Tensor<Scalar> {
    let result = try objective.products(block, method: method)
    counter.add(block.shape[0])
    return result
  }

  /// The loss and its gradient with respect to the activations (flat, `[n]`).
  public func lossAndGradient() throws -> (loss: Double, gradient: Tensor<Scalar>) {
    let r = try objective.valueWithGradient(at: objective.points)
    return (r.value, r.gradient)
  }
}

/// The names of the layers that report their output during a forward pass of `input`, in the
/// order they report (the names ``ActivationHessianOperator`` accepts).
public func layerOutputNames<Scalar>(of model: Model<Scalar>, input: Tensor<Scalar>) -> [String] {
  layerOutputNames(of: model, inputs: ModelInputs(input))
}

/// The names of the layer outputs (an imported graph's node outputs) an activation Hessian can
/// be taken at, for a model of named inputs.
public func layerOutputNames<Scalar>(of model: Model<Scalar>, inputs: ModelInputs<Scalar>)
  -> [String]
{
  let recorder = ActivationRecorder<Scalar>(layer: nil)
  _ = model.output(
    for: inputs, parameters: model.parameters.values.map { Variable($0) },
    observer: recorder.observer)
  return recorder.names
}

/// Records the names the layers report, and the first output of `layer`.
final class ActivationRecorder<Scalar: TensorScalar>: @unchecked Sendable {
  let layer: String?
  private(set) var names: [String] = []
  private(set) var recorded: Tensor<Scalar>?

  init(layer: String?) { self.layer = layer }

  var observer: ActivationObserver<Scalar> {
    ActivationObserver { [self] name, output in
      names.append(name)
      if name == layer && recorded == nil { recorded = output.value }
      return output
    }
  }
}

extension ActivationObserver {
  /// An observer that replaces the first output of `layer` by `variable`.
  convenience init(replacing layer: String, with variable: Variable<Scalar>) {
    var replaced = false
    self.init { name, output in
      guard !replaced && name == layer else { return output }
      precondition(
        output.shape == variable.shape,
        "layer \"\(layer)\" produced \(output.shape), the injected activation is \(variable.shape)")
      replaced = true
      return variable
    }
  }
}
