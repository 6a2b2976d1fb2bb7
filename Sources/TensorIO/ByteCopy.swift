// Memory copies kept out of closures that the compiler may emit as throwing functions.
//
// NOTE: Swift 6.3's LLVM miscompiles a function with a `swifterror` parameter (any closure
// passed where a throwing closure is expected, such as the body of `withUnsafeBytes`) whose
// success path ends in a tail call to memcpy/memmove/memset: the epilogue skips restoring the
// error register (r12 on x86_64, x21 on arm64), so the caller sees a phantom thrown error and
// releases live objects (swiftlang/swift#90477, fixed by swiftlang/llvm-project#13691). We hit
// it in release builds: `floatingPoint(as:)` returned a freed tensor. Every bulk copy inside such
// a closure therefore goes through these non-inlined, non-throwing helpers, where a tail call
// is harmless.

import Foundation

/// Copies `source` to the start of `destination`, which must be at least as large.
@inline(never)
func copyBytes(_ source: UnsafeRawBufferPointer, to destination: UnsafeMutableRawBufferPointer) {
  precondition(source.count <= destination.count, "copyBytes: destination too small")
  destination.copyMemory(from: source)
}

/// Appends `source` to `data`.
@inline(never)
func appendBytes(_ source: UnsafeRawBufferPointer, to data: inout Data) {
  data.append(contentsOf: source)
}
