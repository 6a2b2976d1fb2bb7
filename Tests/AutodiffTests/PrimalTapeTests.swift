// PrimalTape: HVPs that replay recorded primal values against finite differences of gradients
// (Double), and the tape's contract: it really replays, it follows k, and it refuses a changed
// function.

import Autodiff
import TensorCore
import Testing
import _TestSupport

@Suite("Primal tape: replayed HVPs")
struct PrimalTapeTests {
  /// Record with one direction, then replay two others: each replayed product matches central
  /// differences of the gradient, and equals the product computed without a tape.
  @Test(arguments: primitiveCases)
  func replayedProductsMatchFiniteDifferences(_ c: PrimitiveCase) {
    let x = c.points(seed: 51)
    let f = c.function(seed: 51)
    var g = SeededGenerator(seed: 52)
    let tape = PrimalTape<Double>()
    let first = x.map { Tensor<Double>(randomNormal: [1] + $0.shape, using: &g) }
    let recording = hessianVectorProducts(at: x, along: first, tape: tape, in: f)
    #expect(tape.isRecorded && tape.entryCount > 0)
    for _ in 0..<2 {
      let v = x.map { Tensor<Double>(randomNormal: $0.shape, using: &g) }
      let replayed = hessianVectorProducts(
        at: x, along: v.map { $0.expandingShape(at: 0) }, tape: tape, in: f)
      let fresh = hessianVectorProducts(at: x, along: v.map { $0.expandingShape(at: 0) }, in: f)
      let oracle = numericalHessianVectorProduct(at: x, along: v) { gradient(at: $0, in: f) }
      #expect(replayed.value == recording.value)
      for i in x.indices {
        let actual = replayed.hessianVectorProducts[i]
        let result = closeness(
          actual.reshaped(to: oracle[i].shape), oracle[i], rtol: 1e-6, atol: 1e-6)
        #expect(result.passes, "\(c.name): \(result)")
        #expect(actual.scalars == fresh.hessianVectorProducts[i].scalars, "\(c.name)")
        #expect(replayed.gradient[i].scalars == fresh.gradient[i].scalars, "\(c.name)")
      }
    }
  }

  /// A tape recorded by a gradient pass (no tangents) serves HVP passes with any `k`.
  @Test func gradientRecordingServesBlocksOfAnySize() {
    let c = primitiveCases.first { $0.name.hasPrefix("conv2d with bias") }!
    let x = c.points(seed: 61)
    let f = c.function(seed: 61)
    let tape = PrimalTape<Double>()
    let (value, gradient) = valueWithGradient(at: x, tape: tape, in: f)
    var g = SeededGenerator(seed: 62)
    for k in [3, 1] {
      let block = x.map { Tensor<Double>(randomNormal: [k] + $0.shape, using: &g) }
      let replayed = hessianVectorProducts(at: x, along: block, tape: tape, in: f)
      #expect(replayed.value == value)
      for i in x.indices { #expect(replayed.gradient[i].scalars == gradient[i].scalars) }
      for j in 0..<k {
        let v = block.map {
          $0.slice(j..<j + 1, alongAxis: 0).reshaped(to: Array($0.shape.dropFirst()))
        }
        let oracle = numericalHessianVectorProduct(at: x, along: v) {
          Autodiff.gradient(at: $0, in: f)
        }
        for i in x.indices {
          let row = replayed.hessianVectorProducts[i].slice(j..<j + 1, alongAxis: 0)
          let result = closeness(
            row.reshaped(to: oracle[i].shape), oracle[i], rtol: 1e-6, atol: 1e-6)
          #expect(result.passes, "k = \(k), direction \(j): \(result)")
        }
      }
    }
  }

  /// Replay takes the recorded values, not new ones: at another point (a contract violation
  /// with the same sequence of operations) it still returns the recorded point's value and
  /// gradient. This is what shows the primal work is skipped.
  @Test func replayUsesTheRecordedValues() {
    let f: ([Variable<Double>]) -> Variable<Double> = { x in (x[0] * x[0] * x[0]).sum() }
    let tape = PrimalTape<Double>()
    let one = Tensor<Double>(shape: [1, 1], scalars: [1])
    let at2 = hessianVectorProducts(at: [Tensor([2])], along: [one], tape: tape, in: f)
    #expect(
      at2.value == 8 && at2.gradient[0].scalars == [12]
        && at2.hessianVectorProducts[0].scalars == [12])
    let replay = hessianVectorProducts(at: [Tensor([5])], along: [one], tape: tape, in: f)
    #expect(replay.value == 8)
    #expect(replay.gradient[0].scalars == [12])
    tape.reset()
    #expect(!tape.isRecorded && tape.entryCount == 0 && tape.byteCount == 0)
    let at5 = hessianVectorProducts(at: [Tensor([5])], along: [one], tape: tape, in: f)
    #expect(
      at5.value == 125 && at5.gradient[0].scalars == [75]
        && at5.hessianVectorProducts[0].scalars == [30])
  }

  /// `z = softplus(tanh(x W) V)`, `[4, 2]`, of the points `W` `[3, 5]` and `V` `[5, 2]`, for the
  /// JVP and VJP tapes.
  static func network(_ p: [Variable<Double>]) -> Variable<Double> {
    var g = SeededGenerator(seed: 71)
    let x = Tensor<Double>(randomNormal: [4, 3], using: &g)
    return Variable(x).matmul(p[0]).tanh().matmul(p[1]).softplus()
  }

  /// JVP and VJP passes record their own tapes and then replay them: the replayed products
  /// equal the ones computed without a tape bit for bit, and match central differences of the
  /// outputs (`J v`) and of `u . z` along `v` (`(Jᵀ u) . v`) in Double.
  @Test func jacobianProductPassesReplay() {
    var g = SeededGenerator(seed: 72)
    let points = [
      Tensor<Double>(randomNormal: [3, 5], using: &g), Tensor(randomNormal: [5, 2], using: &g),
    ]
    let outputs = { (p: [Tensor<Double>]) in Self.network(p.map { Variable($0) }).value }
    let (jvpTape, vjpTape) = (PrimalTape<Double>(), PrimalTape<Double>())
    for k in [2, 1, 3] {
      let v = points.map { Tensor<Double>(randomNormal: [k] + $0.shape, using: &g) }
      let u = Tensor<Double>(randomNormal: [k, 4, 2], using: &g)
      let jvp = valueWithDirectionalDerivatives(
        at: points, along: v, tape: jvpTape, in: Self.network)
      let vjp = valueWithVectorJacobianProducts(
        at: points, cotangents: u, tape: vjpTape, in: Self.network)
      #expect(jvpTape.isRecorded && vjpTape.isRecorded)
      let freshJVP = valueWithDirectionalDerivatives(at: points, along: v, in: Self.network)
      let freshVJP = valueWithVectorJacobianProducts(at: points, cotangents: u, in: Self.network)
      #expect(jvp.derivatives.scalars == freshJVP.derivatives.scalars, "k = \(k)")
      #expect(jvp.value.scalars == freshJVP.value.scalars && vjp.value.scalars == jvp.value.scalars)
      for i in points.indices {
        #expect(vjp.products[i].scalars == freshVJP.products[i].scalars, "k = \(k), point \(i)")
      }
      for j in 0..<k {
        let vj = v.map {
          $0.slice(j..<j + 1, alongAxis: 0).reshaped(to: Array($0.shape.dropFirst()))
        }
        let uj = u.slice(j..<j + 1, alongAxis: 0).reshaped(to: [4, 2])
        let h = 1e-5
        let plus = outputs(zip(points, vj).map { $0 + $1 * h })
        let minus = outputs(zip(points, vj).map { $0 - $1 * h })
        let difference = (plus - minus) * (1 / (2 * h))
        let row = jvp.derivatives.slice(j..<j + 1, alongAxis: 0).reshaped(to: [4, 2])
        let result = closeness(row, difference, rtol: 1e-7, atol: 1e-9)
        #expect(result.passes, "J v, k = \(k), direction \(j): \(result)")
        // (Jᵀ u) . v = u . (J v), the right side by central differences.
        let expected = (uj * difference).sum().scalar
        let actual = zip(vjp.products, vj).reduce(0.0) { total, pair in
          total
            + (pair.0.slice(j..<j + 1, alongAxis: 0).reshaped(to: pair.1.shape) * pair.1)
            .sum().scalar
        }
        #expect(Swift.abs(actual - expected) <= 1e-7 * Swift.max(1, Swift.abs(expected)))
      }
    }
    // The replays really take the recorded values: at another point they return the first
    // point's outputs.
    let elsewhere = points.map { $0 * 2 }
    let replayed = valueWithDirectionalDerivatives(
      at: elsewhere, along: elsewhere.map { $0.expandingShape(at: 0) }, tape: jvpTape,
      in: Self.network)
    #expect(replayed.value.scalars == outputs(points).scalars)
    #expect(replayed.value.scalars != outputs(elsewhere).scalars)
  }

  /// A pass that throws while recording leaves the tape empty, so the next one records.
  @Test func throwingRecordingLeavesTheTapeEmpty() throws {
    struct Stop: Error {}
    let tape = PrimalTape<Double>()
    #expect(throws: Stop.self) {
      _ = try valueWithGradient(at: [Tensor<Double>([1, 2])], tape: tape) { x -> Variable<Double> in
        _ = x[0].exp()
        throw Stop()
      }
    }
    #expect(!tape.isRecorded && tape.entryCount == 0)
    let r = valueWithGradient(at: [Tensor<Double>([1, 2])], tape: tape) { ($0[0] * $0[0]).sum() }
    #expect(r.value == 5 && tape.isRecorded)
  }

  /// The tape counts the bytes it keeps.
  @Test func byteCountCoversTheRecordedTensors() {
    let tape = PrimalTape<Float>()
    _ = valueWithGradient(at: [Tensor<Float>(zeros: [1000])], tape: tape) { ($0[0].exp()).sum() }
    // exp's value (1000 floats) at least, and its adjoint.
    #expect(tape.byteCount >= 2 * 1000 * MemoryLayout<Float>.stride)
  }
}
