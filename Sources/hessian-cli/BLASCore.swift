// OpenBLAS 0.3.21 (Debian 12) does not recognize recent Xeons and falls back to its generic
// Prescott (SSE3) kernels, which made one ResNet-20 HVP 2.8x slower on such a machine (3.99 s
// against 1.43 s with its SkylakeX kernels, 2026-12-03; the test suite passes with either).
// OpenBLAS picks its kernels when the library loads, before any of our code runs, so the only
// remedy from inside is to run again with OPENBLAS_CORETYPE set. A value the user set is never
// overridden.

import Foundation
import TensorCore

#if canImport(Glibc)
  import Glibc
#endif

enum BLASCore {
  /// The OpenBLAS core type to ask for instead of the detected one, or nil to keep it: only
  /// when OpenBLAS fell back to `Prescott` on a CPU whose flags show AVX-512 (SkylakeX kernels)
  /// or AVX2 with FMA (Haswell kernels), and the user set no `OPENBLAS_CORETYPE`.
  static func replacement(detected: String?, cpuFlags: Set<String>, userSetting: String?)
    -> String?
  {
    guard userSetting == nil, detected == "Prescott" else { return nil }
    if cpuFlags.isSuperset(of: ["avx512f", "avx512dq", "avx512bw", "avx512vl"]) {
      return "SkylakeX"
    }
    if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
    return nil
  }

  /// The `flags` of the first processor in /proc/cpuinfo (empty elsewhere).
  static func cpuFlags() -> Set<String> {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
      let colon = line.firstIndex(of: ":")
    else { return [] }
    return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
  }

  /// Runs this executable again with `OPENBLAS_CORETYPE` set when ``replacement`` says so;
  /// returns (and the run goes on unchanged) when it does not, or when the exec fails.
  static func runAgainWithNativeKernelsIfNeeded() {
    #if os(Linux)
      let marker = "HESSIAN_BLAS_CORE_RETRIED"
      guard ProcessInfo.processInfo.environment[marker] == nil,
        let core = replacement(
          detected: Parallelism.blasCoreName, cpuFlags: cpuFlags(),
          userSetting: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"])
      else { return }
      setenv("OPENBLAS_CORETYPE", core, 1)
      setenv(marker, "1", 1)
      execv("/proc/self/exe", CommandLine.unsafeArgv)
      // Only reached when exec failed: carry on with the generic kernels.
      unsetenv("OPENBLAS_CORETYPE")
    #endif
  }
}
