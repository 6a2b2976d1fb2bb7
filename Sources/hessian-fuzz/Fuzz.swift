// hessian-fuzz: the loaders' fuzzing entry point. Built by `make fuzz` with
// `-sanitize=fuzzer,address -DFUZZING`, libFuzzer drives LLVMFuzzerTestOneInput with the
// harness named by HESSIAN_FUZZ_HARNESS; built normally, it replays files through a harness
// (`hessian-fuzz onnx crash-1234`) to reproduce what the fuzzer found.

import Foundation
import _FuzzHarnesses

#if FUZZING
  private let harness: FuzzHarness = {
    let name = ProcessInfo.processInfo.environment["HESSIAN_FUZZ_HARNESS"] ?? ""
    guard let h = FuzzHarness(rawValue: name) else {
      fatalError(
        "set HESSIAN_FUZZ_HARNESS to one of "
          + FuzzHarness.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return h
  }()

  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    _ = try? harness.run(data)
    return 0
  }

  @_silgen_name("LLVMFuzzerRunDriver")
  func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt

  // SwiftPM links an executable's entry point under this name (main is defined to it), so
  // libFuzzer's own main is not linked: its driver is started from here.
  @_cdecl("hessian_fuzz_main")
  public func fuzzMain(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
  ) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { start, size in fuzzOneInput(start, size) }
  }
#else
  @main
  struct Replay {
    static func main() {
      let arguments = CommandLine.arguments.dropFirst()
      guard let name = arguments.first, let harness = FuzzHarness(rawValue: name) else {
        print(
          "usage: hessian-fuzz <\(FuzzHarness.allCases.map(\.rawValue).joined(separator: "|"))> "
            + "FILE...")
        exit(64)
      }
      for path in arguments.dropFirst() {
        do {
          try harness.run(Data(contentsOf: URL(fileURLWithPath: path)))
          print("\(path): accepted")
        } catch {
          print("\(path): refused: \(error)")
        }
      }
    }
  }
#endif
