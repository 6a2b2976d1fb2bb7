// When the CLI asks OpenBLAS for other kernels: only when OpenBLAS fell back to its generic
// Prescott kernels on a CPU that has better ones, and never over the user's own setting. The
// oracle is the table of CPU flags each OpenBLAS kernel set needs (OpenBLAS's cpuid_x86.c).

import Foundation
import Testing

@testable import hessian_cli

@Suite("hessian: OpenBLAS kernels")
struct BLASCoreTests {
  static let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl"]
  static let avx2: Set<String> = ["sse3", "avx", "avx2", "fma"]

  @Test func replacesOnlyTheGenericFallback() {
    #expect(BLASCore.replacement(detected: "Prescott", cpuFlags: Self.avx512, userSetting: nil) == "SkylakeX")
    #expect(BLASCore.replacement(detected: "Prescott", cpuFlags: Self.avx2, userSetting: nil) == "Haswell")
    #expect(BLASCore.replacement(detected: "Prescott", cpuFlags: ["sse3", "avx"], userSetting: nil) == nil)
    #expect(BLASCore.replacement(detected: "SkylakeX", cpuFlags: Self.avx512, userSetting: nil) == nil)
    #expect(BLASCore.replacement(detected: "Haswell", cpuFlags: Self.avx512, userSetting: nil) == nil)
    #expect(BLASCore.replacement(detected: "Prescott", cpuFlags: Self.avx512, userSetting: "Haswell") == nil)
    #expect(BLASCore.replacement(detected: nil, cpuFlags: Self.avx512, userSetting: nil) == nil)
  }

  @Test func theRerunKeepsOutputAndExitStatus() throws {
    // The built binary, run as users run it: whatever kernels it ends up with, it prints its
    // version once and exits 0 (a second exec would print nothing, a loop would hang).
    let run = try CLI.run(["--version"])
    #expect(run.status == 0 && run.stdout == "0.1.0\n")
  }
}
