// The fuzzing corpora replayed: every seed and every input the fuzzer once crashed on
// (Tests/Fuzz/{seeds,regressions}/<harness>/, see Scripts/fuzz.sh) goes through its loader's
// harness again. Each must be accepted or refused with an error; a crash fails the suite.
// The seeds must mostly load (a harness that refuses its own seeds fuzzes nothing).

import Foundation
import Testing
import _FuzzHarnesses

@Suite("Fuzzing corpora replayed through the loaders")
struct FuzzRegressionTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz")

  static func files(_ kind: String, _ harness: FuzzHarness) -> [URL] {
    let directory = root.appendingPathComponent(kind).appendingPathComponent(harness.rawValue)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    var urls = names.sorted().map { directory.appendingPathComponent($0) }
    // Safetensors and ONNX seeds are the test fixtures themselves (as in Scripts/fuzz.sh).
    let fixtures = root.deletingLastPathComponent().appendingPathComponent("Fixtures")
    if kind == "seeds" && harness == .safetensors {
      urls.append(fixtures.appendingPathComponent("mlp_tanh.weights.safetensors"))
    }
    if kind == "seeds" && harness == .onnx {
      urls += ["op_gemm.legacy.onnx", "op_conv_transpose.dynamo.onnx", "seed003.legacy.onnx"].map {
        fixtures.appendingPathComponent("onnx").appendingPathComponent($0)
      }
    }
    return urls
  }

  @Test(arguments: FuzzHarness.allCases)
  func seedsLoadAndRegressionsDoNotCrash(_ harness: FuzzHarness) throws {
    let seeds = Self.files("seeds", harness)
    var accepted = 0
    for url in seeds {
      if (try? harness.run(Data(contentsOf: url))) != nil { accepted += 1 }
    }
    #expect(!seeds.isEmpty && accepted == seeds.count, "\(accepted) of \(seeds.count) seeds load")
    for url in Self.files("regressions", harness) {
      _ = try? harness.run(Data(contentsOf: url))
    }
  }

  /// Truncations and single-byte flips of each seed: refused or accepted, never a crash (a
  /// deterministic sample of what the fuzzer explores).
  @Test(arguments: FuzzHarness.allCases)
  func damagedSeedsAreRefusedWithoutCrashing(_ harness: FuzzHarness) throws {
    for url in Self.files("seeds", harness) {
      let data = try Data(contentsOf: url)
      for cut in stride(from: 0, to: data.count, by: Swift.max(1, data.count / 16)) {
        _ = try? harness.run(data.prefix(cut))
      }
      for i in stride(from: 0, to: data.count, by: Swift.max(1, data.count / 32)) {
        var flipped = data
        flipped[flipped.startIndex + i] ^= 0xFF
        _ = try? harness.run(flipped)
      }
    }
  }
}
