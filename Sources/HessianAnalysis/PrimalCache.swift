// The primal tapes of an operator's batches, kept within a byte budget, so that every product
// after the first at a point computes only tangents.

import Autodiff
import Foundation
import TensorCore

/// Primal tapes (``PrimalTape``) keyed by objective and batch, within a byte budget shared by
/// the operators that hold the cache: by default every operator of the process
/// (``shared``), or those given their own limit (one operator, or all of
/// ``HessianOperator/perLayer``'s). An objective's tapes go when it does.
///
/// A tape is handed to one pass at a time (``checkout(owner:term:as:)``); a batch whose tape
/// is busy (a concurrent product) computes its primal values. When a new recording takes the
/// total over the budget, other objectives' tapes are dropped, least recently used first, and
/// if that is not enough the new recording is not kept: an operator whose batches do not all
/// fit keeps its first ones and recomputes the rest.
final class PrimalCache: @unchecked Sendable {
  /// The default budget: 2 GiB.
  static let defaultByteLimit = 2 << 30

  /// The cache of operators created without their own limit: one budget for the process.
  static let shared = PrimalCache(byteLimit: defaultByteLimit)

  /// One objective's key to its tapes; they are dropped when it goes.
  final class Owner: Sendable {
    let cache: PrimalCache
    init(cache: PrimalCache) { self.cache = cache }
    deinit { cache.removeAll(ofOwner: ObjectIdentifier(self)) }

    /// Runs `pass` with this owner's tape of term `t` (recording or replaying), or with nil
    /// when that tape is in use by another pass or the cache is off.
    func withTape<Scalar: TensorScalar, R>(
      term t: Int, _ pass: (PrimalTape<Scalar>?) throws -> R
    ) rethrows -> R {
      guard let tape = cache.checkout(owner: self, term: t, as: Scalar.self) else {
        return try pass(nil)
      }
      defer { cache.checkin(owner: self, term: t) }
      return try pass(tape)
    }

    /// The bytes of this owner's tapes.
    var byteCount: Int { cache.byteCount(of: self) }

    /// Drops this owner's tapes that are not in use (they are recorded again when next needed).
    func release() { cache.removeAll(of: self) }
  }

  private struct Key: Hashable {
    let owner: ObjectIdentifier
    let term: Int
  }

  private struct Entry {
    let tape: AnyObject
    var bytes: Int
    var lastUse: Int
    var inUse: Bool
  }

  /// The most bytes of tapes kept.
  let byteLimit: Int
  private let lock = NSLock()
  private var entries: [Key: Entry] = [:]
  private var clock = 0

  init(byteLimit: Int = PrimalCache.defaultByteLimit) {
    precondition(byteLimit >= 0, "a primal cache's byte limit must not be negative")
    self.byteLimit = byteLimit
  }

  /// The cache for an operator's exact products when replaying is sound (the objective is
  /// checked for determinism), else nil: ``shared`` without a limit of its own.
  static func forOperator(
    checked: Bool, method: DifferentiationMethod, byteLimit: Int? = nil
  ) -> PrimalCache? {
    guard checked && method == .exact else { return nil }
    return byteLimit.map { PrimalCache(byteLimit: $0) } ?? .shared
  }

  /// The bytes the kept tapes hold.
  var byteCount: Int { lock.withLock { entries.values.reduce(0) { $0 + $1.bytes } } }

  /// The tape for batch `term` of `owner`: recorded (replay), new (record), or nil when the
  /// cache is off or that batch's tape is in use. Return it with ``checkin(owner:term:)``.
  func checkout<Scalar>(owner: Owner, term: Int, as _: Scalar.Type) -> PrimalTape<Scalar>? {
    guard byteLimit > 0 else { return nil }
    return lock.withLock {
      let key = Key(owner: ObjectIdentifier(owner), term: term)
      clock += 1
      if var entry = entries[key] {
        if entry.inUse { return nil }
        entry.inUse = true
        entry.lastUse = clock
        entries[key] = entry
        return entry.tape as? PrimalTape<Scalar>
      }
      let tape = PrimalTape<Scalar>()
      entries[key] = Entry(tape: tape, bytes: 0, lastUse: clock, inUse: true)
      return tape
    }
  }

  /// Returns the tape of batch `term` after a pass: a new recording is kept if it fits, making
  /// room by dropping the least recently used tapes; an empty tape (the pass failed) is dropped.
  func checkin(owner: Owner, term: Int) {
    lock.withLock {
      let key = Key(owner: ObjectIdentifier(owner), term: term)
      guard var entry = entries[key] else { return }
      entry.inUse = false
      let bytes = (entry.tape as? any TapeMeasuring)?.recordedBytes
      guard let bytes, bytes <= byteLimit else {
        entries[key] = nil
        return
      }
      entry.bytes = bytes
      entries[key] = entry
      // Other objectives' tapes go first, least recently used first; then the new recording
      // itself. An objective never evicts its own tapes: its batches are visited in order on
      // every product, where evicting the least recently used batch would miss every time.
      var total = entries.values.reduce(0) { $0 + $1.bytes }
      while total > byteLimit {
        guard
          let victim = entries.filter({ !$0.value.inUse && $0.key.owner != key.owner })
            .min(by: { $0.value.lastUse < $1.value.lastUse })
        else { break }
        total -= victim.value.bytes
        entries[victim.key] = nil
      }
      if total > byteLimit { entries[key] = nil }
    }
  }

  /// Drops every tape of `owner` that is not in use.
  func removeAll(of owner: Owner) { removeAll(ofOwner: ObjectIdentifier(owner)) }

  /// The bytes of `owner`'s tapes.
  func byteCount(of owner: Owner) -> Int {
    lock.withLock {
      entries.filter { $0.key.owner == ObjectIdentifier(owner) }.values.reduce(0) { $0 + $1.bytes }
    }
  }

  private func removeAll(ofOwner owner: ObjectIdentifier) {
    lock.withLock { entries = entries.filter { $0.key.owner != owner || $0.value.inUse } }
  }
}

/// A tape's recorded size, or nil when nothing is recorded (type-erased over the scalar).
private protocol TapeMeasuring { var recordedBytes: Int? { get } }

extension PrimalTape: TapeMeasuring {
  fileprivate var recordedBytes: Int? { isRecorded ? byteCount : nil }
}
