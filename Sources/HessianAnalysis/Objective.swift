// The engine shared by the Hessian operators: a scalar objective written as a sum of terms
// (one per batch) of the same points, with its value, gradient and Hessian products by either
// backend, the non-finite checks that name the batch, the two-pass determinism check, and the
// primal tapes that let every exact product after the first skip the primal work.

import Autodiff
import NeuralNetworks
import TensorCore

/// `F(x) = sum_t term_t(x)`: each term is one batch's (already weighted) loss as a
/// differentiable function of the points `x` (parameters, an input, or an activation).
struct Objective<Scalar: TensorScalar>: Sendable {
  /// The point `x` at which derivatives are taken.
  let points: [Tensor<Scalar>]
  /// How the points form the operator's flat vectors.
  let layout: FlatLayout
  /// The number of terms (this rank's batches).
  let termCount: Int
  /// The processes whose terms are summed with these (one process by default).
  let group: any ProcessGroup
  /// The global index of term 0 and the number of terms over all ranks, for error messages.
  let termNumbering: (offset: Int, total: Int)
  /// Term `t` as a function of variables standing for the points.
  let term: @Sendable (Int, [Variable<Scalar>]) throws -> Variable<Scalar>
  /// `||x||`, for the finite-difference step.
  let pointNorm: Double
  /// This objective's key to the primal tapes of its terms at `points`, or nil: only an
  /// objective that passed the determinism check may replay primal values
  /// (``checkDeterminism(mode:)`` records them).
  let cacheOwner: PrimalCache.Owner?

  init(
    points: [Tensor<Scalar>], termCount: Int, cache: PrimalCache? = nil,
    group: any ProcessGroup = SingleProcess.shared, termNumbering: (offset: Int, total: Int)? = nil,
    term: @escaping @Sendable (Int, [Variable<Scalar>]) throws -> Variable<Scalar>
  ) {
    self.points = points
    self.layout = FlatLayout(shapes: points.map(\.shape))
    self.termCount = termCount
    self.group = group
    self.termNumbering = termNumbering ?? (0, termCount)
    self.term = term
    self.pointNorm = euclideanNorm(points)
    self.cacheOwner = cache.map { PrimalCache.Owner(cache: $0) }
  }

  /// Runs `pass` for term `t` with that term's primal tape when `cached` and one is free.
  private func withTape<R>(
    term t: Int, cached: Bool, _ pass: (PrimalTape<Scalar>?) throws -> R
  ) rethrows -> R {
    guard cached, let owner = cacheOwner else { return try pass(nil) }
    return try owner.withTape(term: t, pass)
  }

  /// The bytes of this objective's primal tapes.
  var primalTapeBytes: Int { cacheOwner?.byteCount ?? 0 }

  /// Frees this objective's primal tapes (they are recorded again on the next product).
  func releasePrimalTapes() { cacheOwner?.release() }

  /// `F(x)`, summed in Double.
  func value() throws -> Double { try value(at: points) }

  /// `F(y)` at other points `y` (the loss landscape), summed in Double.
  func value(at y: [Tensor<Scalar>]) throws -> Double {
    let constants = y.map { Variable($0) }
    return try sumOverBatches(group: group, termCount, shape: nil, fingerprint: fingerprint(y)) {
      t -> (value: Double, vector: Tensor<Scalar>?) in
      let v = Double(try term(t, constants).value.scalar)
      guard v.isFinite else { throw nonFinite("loss", term: t) }
      return (v, nil)
    }.value
  }

  /// `F(y)` and its gradient at other points `y` (the landscape and finite differences use
  /// this), the gradient as a flat vector `[n]`. `cached` records or replays the primal tapes:
  /// only at `y == points`.
  func valueWithGradient(
    at y: [Tensor<Scalar>], cached: Bool = false
  ) throws -> (value: Double, gradient: Tensor<Scalar>) {
    let r = try sumOverBatches(
      group: group, termCount, shape: [layout.dimension], fingerprint: fingerprint(y)
    ) { t -> (value: Double, vector: Tensor<Scalar>?) in
      let r = try withTape(term: t, cached: cached) { tape in
        try Autodiff.valueWithGradient(at: y, tape: tape) { try term(t, $0) }
      }
      let flat = layout.flatten(r.gradient)
      guard r.value.isFinite, flat.isFinite else {
        throw nonFinite(r.value.isFinite ? "gradient" : "loss", term: t)
      }
      return (Double(r.value), flat)
    }
    return (r.value, r.vector ?? Tensor(zeros: [layout.dimension]))
  }

  /// The exact products `H X` for a block `[k, n]`, with `F(x)`: one forward-over-reverse pass
  /// per term (Pearlmutter 1994), replaying the term's primal values when its tape is kept.
  func exactProducts(_ block: Tensor<Scalar>) throws -> (value: Double, products: Tensor<Scalar>) {
    let k = block.shape[0]
    let directions = layout.split(block)
    let r = try sumOverBatches(
      group: group, termCount, shape: block.shape, fingerprint: fingerprint([block])
    ) { t -> (value: Double, vector: Tensor<Scalar>?) in
      let r = try withTape(term: t, cached: true) { tape in
        try hessianVectorProducts(at: points, along: directions, tape: tape) { try term(t, $0) }
      }
      let flat = layout.join(r.hessianVectorProducts, rows: k)
      guard r.value.isFinite, flat.isFinite else {
        throw nonFinite(r.value.isFinite ? "Hessian-vector product" : "loss", term: t)
      }
      return (Double(r.value), flat)
    }
    return (r.value, r.vector ?? Tensor(zeros: block.shape))
  }

  /// Central differences of the gradient, `(g(x + h v) - g(x - h v)) / 2h` for each row `v`
  /// of the block: `2 k termCount` gradient passes.
  func finiteDifferenceProducts(
    _ block: Tensor<Scalar>, step: FiniteDifferenceStep
  ) throws -> Tensor<Scalar> {
    let k = block.shape[0]
    var rows: [Tensor<Scalar>] = []
    for i in 0..<k {
      let row = block.slice(i..<i + 1, alongAxis: 0)
      let v = layout.split(row).map { $0.reshaped(to: Array($0.shape.dropFirst())) }
      let vNorm = euclideanNorm(v)
      guard vNorm > 0 else {
        rows.append(Tensor(zeros: [1, layout.dimension]))
        continue
      }
      let h = step.step(for: Scalar.self, pointNorm: pointNorm, directionNorm: vNorm)
      let plus = zip(points, v).map { $0 + $1 * Scalar(h) }
      let minus = zip(points, v).map { $0 - $1 * Scalar(h) }
      let gPlus = try valueWithGradient(at: plus).gradient
      let gMinus = try valueWithGradient(at: minus).gradient
      rows.append(((gPlus - gMinus) * Scalar(1 / (2 * h))).reshaped(to: [1, layout.dimension]))
    }
    return k == 1 ? rows[0] : Tensor.concatenated(rows, alongAxis: 0)
  }

  /// The error for a non-finite `quantity` of term `t`, named by its index over all ranks.
  func nonFinite(_ quantity: String, term t: Int) -> HessianAnalysisError {
    .nonFinite(
      quantity: quantity, batch: termNumbering.offset + t, batchCount: termNumbering.total,
      rank: group.isSingleProcess ? nil : group.rank)
  }

  /// `H X` by the chosen method.
  func products(_ block: Tensor<Scalar>, method: DifferentiationMethod) throws -> Tensor<Scalar> {
    layout.checkBlock(block)
    switch method {
    case .exact: return try exactProducts(block).products
    case .finiteDifference(let step): return try finiteDifferenceProducts(block, step: step)
    }
  }

  /// Two gradient passes over the data must give the same loss and the same gradient, to
  /// `sqrt(eps)` relative (curvlinops' `check_deterministic`). The first pass records the
  /// primal tapes, the second computes everything afresh: a model that draws new random numbers
  /// on every pass (dropout in training mode, augmentation) changes its gradient and fails here,
  /// before a replayed tape could mix one pass's values with another's tangents.
  ///
  /// - Throws: ``HessianAnalysisError/nondeterministic(quantity:first:second:relativeDifference:tolerance:mode:)``
  ///   naming the likely cause from `mode`.
  /// - Complexity: two gradient passes per batch (each about 0.4 of one HVP on ResNet-20).
  func checkDeterminism(mode: LayerMode) throws {
    let first = try valueWithGradient(at: points, cached: true)
    let second = try valueWithGradient(at: points)
    let tolerance = Double(Scalar.ulpOfOne).squareRoot()
    let lossScale = Swift.max(Swift.abs(first.value), Swift.abs(second.value))
    let lossDifference = Swift.abs(first.value - second.value)
    if lossDifference > tolerance * lossScale {
      releasePrimalTapes()
      throw HessianAnalysisError.nondeterministic(
        quantity: "loss", first: first.value, second: second.value,
        relativeDifference: lossDifference / lossScale, tolerance: tolerance, mode: mode)
    }
    let n1 = Double(first.gradient.norm())
    let n2 = Double(second.gradient.norm())
    let difference = Double((first.gradient - second.gradient).norm())
    if difference > tolerance * Swift.max(n1, n2) {
      releasePrimalTapes()
      throw HessianAnalysisError.nondeterministic(
        quantity: "gradient norm", first: n1, second: n2,
        relativeDifference: difference / Swift.max(n1, n2), tolerance: tolerance, mode: mode)
    }
  }
}

extension Variable {
  /// `self * weight`, skipping the multiplication for a weight of 1.
  func weighted(_ weight: Double) -> Variable {
    weight == 1 ? self : self * Scalar(weight)
  }
}
