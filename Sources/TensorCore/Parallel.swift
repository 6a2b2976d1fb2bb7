// Work splitting over the machine's cores, and control of OpenBLAS's own threads.

import Dispatch

#if canImport(Accelerate)
  import Accelerate
#else
  import CHessianBLAS
#endif

/// A value sent across threads whose safety the caller guarantees (disjoint writes).
@usableFromInline
struct UncheckedSendable<Value>: @unchecked Sendable {
  @usableFromInline let value: Value
  @inlinable init(_ value: Value) { self.value = value }
}

/// How many threads HessianKit's kernels use.
///
/// HessianKit splits work across cores itself (images of a convolution, rows of a large
/// matrix product, chunks of element-wise loops) and keeps OpenBLAS single-threaded so the two
/// never compete for the cores (see SWIFT-PERFORMANCE.md: 1.3-1.7x on many small GEMMs).
public enum Parallelism {
  nonisolated(unsafe) static var _threadCount: Int = defaultThreadCount()

  static func defaultThreadCount() -> Int {
    #if !canImport(Accelerate)
      openblas_set_num_threads(1)
    #endif
    return Swift.max(1, System.activeProcessorCount)
  }

  /// The number of worker threads kernels split work across (default: the active cores).
  ///
  /// Set it once at start-up, before any computation runs; the CLI's `--threads` does this.
  public static var threadCount: Int {
    get { _threadCount }
    set {
      precondition(newValue >= 1, "thread count must be at least 1, got \(newValue)")
      #if !canImport(Accelerate)
        openblas_set_num_threads(1)
      #endif
      _threadCount = newValue
    }
  }
}

enum System {
  static var activeProcessorCount: Int {
    #if canImport(Glibc)
      return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    #else
      return 2
    #endif
  }
}

#if canImport(Glibc)
  import Glibc
#endif

/// Runs `body` over `0..<count` split into contiguous chunks, one per worker thread, when each
/// worker gets at least `minimumChunk` iterations; otherwise runs it on the calling thread.
///
/// With `minimumChunk <= 1` and more iterations than workers (a convolution's images), the
/// iterations are instead handed out one at a time to whichever worker is free: a worker that
/// loses its core for a while (the machine is shared) no longer holds the others up with a
/// fixed half of the work. On the ResNet-20 block of 8 HVPs the median over 11 alternating runs
/// fell from 8.56 s to 8.17 s. `parallelFor(workers) { range in ... }` (one range per worker,
/// for per-worker accumulators) keeps one contiguous range per worker; sums over images use
/// ``parallelForChunks(_:_:)``.
///
/// `body` must only write to locations disjoint between chunks.
@inlinable
public func parallelFor(
  _ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void
) {
  let workers = Swift.min(Parallelism.threadCount, count / Swift.max(1, minimumChunk))
  if workers <= 1 {
    if count > 0 { body(0..<count) }
    return
  }
  withoutActuallyEscaping(body) { body in
    let box = UncheckedSendable(body)
    if minimumChunk <= 1 && count > workers {
      DispatchQueue.concurrentPerform(iterations: count) { i in box.value(i..<i + 1) }
      return
    }
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      let lower = count * worker / workers
      let upper = count * (worker + 1) / workers
      box.value(lower..<upper)
    }
  }
}

/// How many fixed chunks ``parallelForChunks(_:_:)`` splits a sum over images into.
@usableFromInline let accumulationChunks = 16

/// Runs `body(chunk, range)` for `min(count, 16)` fixed contiguous chunks of `0..<count`, handing
/// the chunks one at a time to whichever worker is free.
///
/// For sums over images (a convolution's weight adjoint) with one partial sum per chunk: the
/// chunks do not depend on the thread count or on which thread ran what, so adding the
/// partials in chunk order gives the same bits on every run and every machine, while a worker
/// that loses its core (the machine is shared) holds the others up by at most one chunk
/// instead of half the images. Returns the number of chunks.
@inlinable
@discardableResult
public func parallelForChunks(
  _ count: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void
) -> Int {
  let chunks = Swift.min(count, accumulationChunks)
  parallelFor(chunks) { indices in
    for chunk in indices { body(chunk, count * chunk / chunks..<count * (chunk + 1) / chunks) }
  }
  return chunks
}

/// The number of chunks ``parallelForChunks(_:_:)`` uses for `count` items.
@inlinable
public func accumulationChunkCount(_ count: Int) -> Int { Swift.min(count, accumulationChunks) }

extension Parallelism {
  /// The name of the kernel set OpenBLAS chose for this CPU (`openblas_get_corename()`, for
  /// example `"SkylakeX"`, `"Haswell"` or the generic `"Prescott"`); nil with Accelerate.
  public static var blasCoreName: String? {
    #if canImport(Accelerate)
      return nil
    #else
      guard let name = openblas_get_corename() else { return nil }
      return String(cString: name)
    #endif
  }
}
