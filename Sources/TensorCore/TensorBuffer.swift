// Tensor storage, and a pool that recycles large allocations.
//
// NOTE: large tensors come from mmap, so every fresh one costs page faults and the kernel's
// zeroing of each page: 30% of an 8-direction HVP on ResNet-20 was spent there (perf,
// `clear_page_erms`). The same shapes recur in every forward and backward pass, so a pool
// keyed by exact byte size serves nearly all of them from memory already mapped.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The reference-counted storage behind a ``Tensor``; copied on write.
@usableFromInline
final class TensorBuffer<Scalar>: @unchecked Sendable {
  @usableFromInline let pointer: UnsafeMutablePointer<Scalar>
  @usableFromInline let count: Int

  @inlinable
  init(uninitializedCount count: Int) {
    self.count = count
    self.pointer = BufferPool.shared.allocate(
      bytes: Swift.max(count, 1) * MemoryLayout<Scalar>.stride
    ).bindMemory(to: Scalar.self, capacity: Swift.max(count, 1))
  }

  @inlinable
  deinit {
    BufferPool.shared.release(
      UnsafeMutableRawPointer(pointer), bytes: Swift.max(count, 1) * MemoryLayout<Scalar>.stride)
  }
}

/// Recycles large tensor allocations by exact size, holding (free plus in use) at most the larger
/// of ``limit`` and twice the peak of live pooled bytes; smaller allocations go straight to
/// `malloc`.
///
/// NOTE: with a fixed 1 GiB cap, a block of 8 HVPs on ResNet-20 at batch 200 (2.2 GB peak)
/// handed about 1.2 GB back to the system every pass and faulted it in again: 6% of the block
/// in `clear_page_erms`. Capping the free bytes at the live peak still missed 351 MB a pass:
/// each size peaks at its own moment, so a repeated pass needs the sum of the per-size peaks
/// (2.1 GB there, 1.2 times the live peak), and at the end of a pass the buffers released last
/// were dropped. Bounding free plus live by twice the live peak holds that sum; the peak RSS is
/// bounded as before (live plus at most the live peak).
@usableFromInline
final class BufferPool: @unchecked Sendable {
  @usableFromInline static let shared = BufferPool()

  /// Allocations from this size up are pooled (below it, malloc's own caches do well).
  let threshold = 1 << 18
  /// The pooled bytes (free plus in use) always allowed to be held (more when the live peak was
  /// higher).
  let limit: Int
  private var free: [Int: [UnsafeMutableRawPointer]] = [:]
  private var freeBytes = 0
  /// Bytes of pooled-size buffers handed out and not yet released, and their peak.
  private var liveBytes = 0
  private var peakLiveBytes = 0
  private var mutex = pthread_mutex_t()

  init(limit: Int = 1 << 30) {
    pthread_mutex_init(&mutex, nil)
    self.limit = limit
  }

  @usableFromInline
  func allocate(bytes: Int) -> UnsafeMutableRawPointer {
    if bytes >= threshold {
      pthread_mutex_lock(&mutex)
      let reused = free[bytes]?.popLast()
      if reused != nil { freeBytes -= bytes }
      liveBytes += bytes
      peakLiveBytes = Swift.max(peakLiveBytes, liveBytes)
      pthread_mutex_unlock(&mutex)
      if let reused { return reused }
    }
    return .allocate(byteCount: bytes, alignment: 64)
  }

  @usableFromInline
  func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
    if bytes >= threshold {
      pthread_mutex_lock(&mutex)
      liveBytes -= bytes
      let kept = freeBytes + liveBytes + bytes <= Swift.max(limit, 2 * peakLiveBytes)
      if kept {
        free[bytes, default: []].append(pointer)
        freeBytes += bytes
      }
      pthread_mutex_unlock(&mutex)
      if kept { return }
    }
    pointer.deallocate()
  }

  /// The bytes of free buffers held for reuse.
  var cachedBytes: Int {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return freeBytes
  }

  /// Returns every pooled buffer to the system.
  func drain() {
    pthread_mutex_lock(&mutex)
    let all = free.values.flatMap { $0 }
    free = [:]
    freeBytes = 0
    peakLiveBytes = liveBytes  // the pool grows back only as far as use needs again
    pthread_mutex_unlock(&mutex)
    for p in all { p.deallocate() }
  }
}

/// The free tensor storage HessianKit keeps for reuse.
///
/// Large tensors (256 KiB and up) are recycled by exact size instead of being returned to the
/// system, because fresh memory costs page faults on every pass (30% of a block HVP on
/// ResNet-20 before the pool). Storage is held (free plus in use) up to the larger of 1 GiB and
/// twice the peak of pooled storage in use, so a repeated computation reuses all of its memory
/// (each shape as many times as it was live at once) and the process's peak stays within twice
/// its live peak.
public enum TensorMemory {
  /// The bytes of free tensor storage currently held for reuse.
  public static var cachedBytes: Int { BufferPool.shared.cachedBytes }

  /// Returns the free tensor storage held for reuse to the system, for example after an
  /// analysis and before other memory-hungry work. Tensors in use are not affected.
  public static func releaseCachedBuffers() { BufferPool.shared.drain() }
}

/// Temporary storage for `count` elements from the buffer pool (im2col columns and the like);
/// the owner calls ``release()`` when done.
@usableFromInline
struct Scratch<Scalar>: @unchecked Sendable {
  @usableFromInline let pointer: UnsafeMutablePointer<Scalar>
  @usableFromInline let bytes: Int

  @inlinable
  init(count: Int) {
    bytes = Swift.max(count, 1) * MemoryLayout<Scalar>.stride
    pointer = BufferPool.shared.allocate(bytes: bytes).bindMemory(
      to: Scalar.self, capacity: Swift.max(count, 1))
  }

  @inlinable
  func release() { BufferPool.shared.release(UnsafeMutableRawPointer(pointer), bytes: bytes) }
}
