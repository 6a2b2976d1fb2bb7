// copyAvoidingPageAliasing splits copies whose destination lies just past the source modulo
// 4 KB into 2 KB pieces; every piece boundary and the tail must land where a plain copy puts it.

@testable import TensorCore
import Testing

@Suite("Copies avoiding page aliasing")
struct CopyTests {
  @Test(arguments: [0, 1, 3, 15, 16, 17, 1024])  // element distances past the source mod 4 KB
  func copiesEveryElement(distance: Int) {
    let count = 5000  // several 2 KB pieces and a partial one
    let source = UnsafeMutablePointer<Float>.allocate(capacity: count + 1024)
    let target = UnsafeMutableRawPointer.allocate(byteCount: 4 * count + 8192, alignment: 4096)
    defer {
      source.deallocate()
      target.deallocate()
    }
    for i in 0..<count { source[i] = Float(i) + 0.5 }
    // Place the destination `distance` elements past the source's page offset.
    let offset = (Int(bitPattern: source) + 4 * distance) & 4095
    let destination = (target + offset).bindMemory(to: Float.self, capacity: count)
    copyAvoidingPageAliasing(from: UnsafePointer(source), to: destination, count: count)
    #expect((0..<count).allSatisfy { destination[$0] == Float($0) + 0.5 })
  }
}
