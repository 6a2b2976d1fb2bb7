// PrimalTape: the primal values of one differentiation pass, kept so that later passes of the
// same function at the same point replay them and compute only tangents.

import Dispatch
import TensorCore

/// The primal values of one differentiation pass (forward and reverse), kept so that later
/// passes of the same function at the same point compute only the tangents.
///
/// An HVP at a point `x` along `v` costs a primal forward and backward pass, which do not depend
/// on `v`, plus their tangents, which do. Operators that multiply many vectors at one point
/// (Lanczos, Hutchinson, stochastic Lanczos quadrature) can record the primal values once and
/// replay them: on a ResNet-20 that is about a third of each product.
///
/// ```swift
/// let tape = PrimalTape<Float>()
/// // Records the primal values while computing H v1:
/// let first = hessianVectorProducts(at: points, along: v1, tape: tape, in: f)
/// // Replays them: only the tangent work of H v2 is done.
/// let second = hessianVectorProducts(at: points, along: v2, tape: tape, in: f)
/// ```
///
/// **Contract.** A tape belongs to one function at one point: every pass that uses it must run
/// the same `f` at the same `points`, with the same inputs differentiated (the directions and
/// their number `k` may change). The primal values are taken from the tape in the order the
/// operations run; a pass that runs a different sequence of operations stops with a
/// precondition failure naming the first operation that differs. A function that is not
/// deterministic (dropout in training mode, random augmentation) must not use a tape: its
/// replayed values would not match the tangents computed around them. Check determinism with
/// two passes without a tape first (HessianAnalysis' operators do).
///
/// A tape is not used by two passes at the same time (a precondition checks it).
///
/// - Complexity: recording costs nothing beyond the pass; the tape keeps every primal value of
///   the pass alive (about the forward activations twice: the values and their adjoints,
///   ``byteCount``), until it is released.
public final class PrimalTape<Scalar: TensorScalar>: @unchecked Sendable {
  @usableFromInline let storage = PrimalTapeStorage()

  /// An empty tape: the next pass that uses it records.
  public init() {}

  /// True once a pass has recorded the primal values (the next passes replay them).
  public var isRecorded: Bool { storage.isRecorded }

  /// The number of primal values recorded.
  public var entryCount: Int { storage.entryCount }

  /// The bytes of tensor storage the recorded values hold (views sharing storage with another
  /// value are counted again, so this is an upper bound).
  public var byteCount: Int { storage.byteCount }

  /// Forgets the recorded values (freeing them), so that the next pass records again.
  public func reset() { storage.reset() }
}

/// The type-erased storage of a ``PrimalTape`` and the task-local that makes it the current
/// tape of a pass.
@usableFromInline
final class PrimalTapeStorage: @unchecked Sendable {
  enum Mode { case idle, recording, replaying }

  /// The tape the current differentiation pass records to or replays from, if any.
  @TaskLocal static var current: PrimalTapeStorage?

  private var values: [Any] = []
  private var tags: [StaticString] = []
  private var cursor = 0
  private var mode = Mode.idle
  private var recorded = false
  private(set) var byteCount = 0
  private let busy = DispatchSemaphore(value: 1)

  var isRecorded: Bool { recorded }
  var entryCount: Int { values.count }

  func reset() {
    precondition(mode == .idle, "a PrimalTape cannot be reset during a pass that uses it")
    clear()
  }

  private func clear() {
    values = []
    tags = []
    byteCount = 0
    recorded = false
  }

  /// Runs one pass with this tape current: recording when empty, replaying otherwise. A pass
  /// that throws while recording leaves the tape empty.
  func run<R>(_ pass: () throws -> R) rethrows -> R {
    precondition(
      busy.wait(timeout: .now()) == .success, "a PrimalTape is used by two passes at once")
    defer { busy.signal() }
    mode = recorded ? .replaying : .recording
    cursor = 0
    defer { mode = .idle }
    do {
      let result = try PrimalTapeStorage.$current.withValue(self) { try pass() }
      if recorded {
        precondition(
          cursor == values.count,
          "PrimalTape replay ran \(cursor) primal operations, the recording has \(values.count): "
            + "the function or its point changed since the tape was recorded")
      } else {
        recorded = true
      }
      return result
    } catch {
      if !recorded { clear() }
      throw error
    }
  }

  /// The value of the next primal operation: computed and kept when recording, taken from the
  /// tape when replaying.
  func value<T>(_ tag: StaticString, _ compute: () -> T) -> T {
    switch mode {
    case .idle:
      return compute()
    case .recording:
      let v = compute()
      values.append(v)
      tags.append(tag)
      if let counted = v as? any TapeByteCounting { byteCount += counted.tapeByteCount }
      return v
    case .replaying:
      precondition(
        cursor < values.count,
        "PrimalTape replay ran more primal operations than were recorded (\(values.count)), "
          + "at \(tag): the function or its point changed since the tape was recorded")
      let recordedTag = tags[cursor]
      precondition(
        recordedTag.description == tag.description,
        "PrimalTape replay: operation \(cursor) is \(tag), the recording has \(recordedTag): "
          + "the function or its point changed since the tape was recorded")
      guard let v = values[cursor] as? T else {
        preconditionFailure(
          "PrimalTape replay: operation \(cursor) (\(tag)) recorded a \(type(of: values[cursor])), "
            + "not a \(T.self)")
      }
      cursor += 1
      return v
    }
  }
}

/// The primal value of an operation: `compute()`, or the value recorded for it on the current
/// pass's ``PrimalTape``. `tag` names the operation (checked on replay).
@usableFromInline
func primal<T>(_ tag: StaticString, _ compute: () -> T) -> T {
  guard let tape = PrimalTapeStorage.current else { return compute() }
  return tape.value(tag, compute)
}

/// Values whose storage a tape counts.
protocol TapeByteCounting { var tapeByteCount: Int { get } }

extension Tensor: TapeByteCounting {
  var tapeByteCount: Int { count * MemoryLayout<Scalar>.stride }
}

/// Runs one differentiation pass with `tape` current (recording or replaying), or with no tape
/// current, so that a pass nested in a taped one computes its own values.
@usableFromInline
func withPrimalTape<Scalar, R>(
  _ tape: PrimalTape<Scalar>?, _ pass: () throws -> R
) rethrows -> R {
  guard let tape else {
    if PrimalTapeStorage.current == nil { return try pass() }
    return try PrimalTapeStorage.$current.withValue(nil) { try pass() }
  }
  return try tape.storage.run(pass)
}
