// Ranks as threads of one process: a ProcessGroup for tests of the data-parallel reduction
// without MPI. Each rank is a thread that runs the same analysis on its shard; the collectives
// meet at a barrier.

import Foundation
import TensorCore

/// `size` ranks that are threads of this process, sharing gather and broadcast buffers.
public final class ThreadProcessGroup: ProcessGroup, @unchecked Sendable {
  public let rank: Int
  public let size: Int
  private let shared: Rendezvous

  private init(rank: Int, shared: Rendezvous) {
    self.rank = rank
    self.size = shared.size
    self.shared = shared
  }

  /// Runs `body` on `size` threads, one per rank, each with its group, and returns the ranks'
  /// results in rank order (rethrowing the first rank's error, if any).
  public static func run<R: Sendable>(
    ranks size: Int, _ body: @escaping @Sendable (ThreadProcessGroup) throws -> R
  ) throws -> [R] {
    let shared = Rendezvous(size: size)
    let results = ResultSlots<R>(count: size)
    let done = DispatchGroup()
    for rank in 0..<size {
      done.enter()
      let thread = Thread {
        let result = Result { try body(ThreadProcessGroup(rank: rank, shared: shared)) }
        if case .failure = result { shared.abort() }
        results.set(rank, result)
        done.leave()
      }
      thread.stackSize = 16 << 20
      thread.start()
    }
    done.wait()
    // The failing rank's own error, not the "another rank failed" of the ranks it released.
    let failures = results.values.compactMap { r -> Error? in
      if case .failure(let e)? = r { return e }
      return nil
    }
    if let first = failures.first(where: {
      ($0 as? ProcessGroupError) != .transport("another rank failed")
    }) ?? failures.first {
      throw first
    }
    return try results.values.map { try $0!.get() }
  }

  public func gatherToRoot(
    _ bytes: UnsafeRawBufferPointer, into receive: UnsafeMutableRawBufferPointer?
  ) throws {
    shared.deposit(rank: rank, Array(bytes))
    try shared.barrier()
    if let receive {
      for (k, part) in shared.slots.enumerated() {
        part.withUnsafeBytes { source in
          UnsafeMutableRawBufferPointer(rebasing: receive[(k * part.count)...])
            .copyMemory(from: source)
        }
      }
    }
    try shared.barrier()
  }

  public func broadcastFromRoot(_ bytes: UnsafeMutableRawBufferPointer) throws {
    if rank == 0 { shared.deposit(rank: 0, Array(UnsafeRawBufferPointer(bytes))) }
    try shared.barrier()
    if rank != 0 {
      shared.slots[0].withUnsafeBytes { bytes.copyMemory(from: $0) }
    }
    try shared.barrier()
  }
}

/// The buffers and the reusable barrier the thread ranks share.
private final class Rendezvous: @unchecked Sendable {
  let size: Int
  private let condition = NSCondition()
  private var arrived = 0
  private var generation = 0
  private(set) var slots: [[UInt8]]

  init(size: Int) {
    self.size = size
    slots = Array(repeating: [], count: size)
  }

  func deposit(rank: Int, _ bytes: [UInt8]) {
    condition.lock()
    slots[rank] = bytes
    condition.unlock()
  }

  private var aborted = false

  /// Waits for every rank; throws when another rank failed instead of arriving.
  func barrier() throws {
    condition.lock()
    defer { condition.unlock() }
    let current = generation
    arrived += 1
    if arrived == size {
      arrived = 0
      generation += 1
      condition.broadcast()
    } else {
      while generation == current && !aborted { condition.wait() }
    }
    if aborted { throw ProcessGroupError.transport("another rank failed") }
  }

  /// Releases every rank waiting at the barrier, with an error.
  func abort() {
    condition.lock()
    aborted = true
    condition.broadcast()
    condition.unlock()
  }
}

private final class ResultSlots<R>: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var values: [Result<R, Error>?]
  init(count: Int) { values = Array(repeating: nil, count: count) }
  func set(_ index: Int, _ value: Result<R, Error>) { lock.withLock { values[index] = value } }
}
