// The buffer pool recycles large allocations by exact size, up to its limit, and gives them
// back on request. A private pool keeps the test independent of tensors other tests allocate.

@testable import TensorCore
import Testing

@Suite("Tensor memory")
struct TensorMemoryTests {
  @Test func largeBuffersAreRecycledBySizeAndDrained() {
    let pool = BufferPool()
    let size = 1 << 20
    let first = pool.allocate(bytes: size)
    pool.release(first, bytes: size)
    #expect(pool.cachedBytes == size)
    let second = pool.allocate(bytes: size)
    #expect(second == first)  // the same memory, served again
    #expect(pool.cachedBytes == 0)
    let other = pool.allocate(bytes: size / 2)  // a different size is a new allocation
    #expect(other != first)
    pool.release(second, bytes: size)
    pool.release(other, bytes: size / 2)
    #expect(pool.cachedBytes == size + size / 2)
    pool.drain()
    #expect(pool.cachedBytes == 0)
  }

  @Test func keepsUpToThePeakInUseWhenAboveTheLimit() {
    let size = 1 << 20
    let pool = BufferPool(limit: size)
    let buffers = (0..<3).map { _ in pool.allocate(bytes: size) }  // 3 MiB in use at the peak
    for b in buffers { pool.release(b, bytes: size) }
    #expect(pool.cachedBytes == 3 * size)  // above the 1 MiB limit, up to the peak
    let again = (0..<3).map { _ in pool.allocate(bytes: size) }
    #expect(Set(again) == Set(buffers))  // a repeat of the same work reuses all of it
    #expect(pool.cachedBytes == 0)
    for b in again { pool.release(b, bytes: size) }
    pool.drain()
    // After a drain the peak starts again from what is in use (nothing): back to the limit.
    let small = (0..<2).map { _ in pool.allocate(bytes: size) }
    pool.release(small[0], bytes: size)
    pool.release(small[1], bytes: size)
    #expect(pool.cachedBytes == 2 * size)  // the new peak, 2 MiB
    pool.drain()
  }

  @Test func aRepeatReusesEverySizeThoughEachPeaksAtItsOwnMoment() {
    let size = 1 << 20
    let pool = BufferPool(limit: size)
    func pass() -> [UnsafeMutableRawPointer] {
      let a = (0..<2).map { _ in pool.allocate(bytes: size) }  // 2 MiB live: the live peak
      for p in a { pool.release(p, bytes: size) }
      let b = pool.allocate(bytes: 2 * size)  // later, one buffer of another size
      pool.release(b, bytes: 2 * size)
      return a + [b]
    }
    let first = pass()
    #expect(pool.cachedBytes == 4 * size)  // the sum of the per-size peaks, twice the live peak
    #expect(Set(pass()) == Set(first))  // nothing is allocated afresh
    pool.drain()
  }

  @Test func smallBuffersAreNotPooled() {
    let pool = BufferPool()
    let small = pool.allocate(bytes: 1024)
    pool.release(small, bytes: 1024)
    #expect(pool.cachedBytes == 0)
  }

  @Test func publicReleaseLeavesLiveTensorsIntact() {
    let kept = Tensor<Float>(repeating: 2, shape: [1 << 17])
    TensorMemory.releaseCachedBuffers()
    #expect(kept.sum().scalar == Float(1 << 18))
  }
}
