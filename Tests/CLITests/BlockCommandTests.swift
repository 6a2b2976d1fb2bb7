// `--blocks` end to end on the character GPT of Tests/Fixtures/transformer (exported by
// Scripts/generate_transformer_fixtures.py): each block's top eigenvalue against eigsh on
// PyTorch's float64 block operator, each small block's trace against PyTorch's exact trace
// within its standard error, and the densities' heterogeneity matrix.

import Foundation
import TensorCore
import TensorIO
import Testing

@Suite("--blocks: transformer parameter blocks from the command line", .serialized)
struct BlockCommandTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/transformer")

  /// The model, its tokens and next-token labels as .npy files in `scratch`.
  static func arguments(_ scratch: Scratch) throws -> [String] {
    let data = try Safetensors.read(
      contentsOf: fixtures.appendingPathComponent("chargpt.data.safetensors"))
    for (key, file) in [("idx", "idx.npy"), ("labels", "labels.npy")] {
      try NumPy.write(try data.tensor(named: key), to: URL(fileURLWithPath: scratch.path(file)))
    }
    return [
      "--model", fixtures.appendingPathComponent("chargpt.legacy.onnx").path,
      "--input", "input.1=\(scratch.path("idx.npy"))", "--labels", scratch.path("labels.npy"),
      "--precision", "double", "--quiet",
    ]
  }

  /// PyTorch's blocks by their merged ranges (the generator names them differently).
  static func reference() throws -> [[Int]: [String: Any]] {
    let json = try JSONSerialization.jsonObject(
      with: Data(contentsOf: fixtures.appendingPathComponent("chargpt.json"))) as? [String: Any]
    var result: [[Int]: [String: Any]] = [:]
    for block in json?["blocks"] as? [[String: Any]] ?? [] {
      result[merged(block["ranges"] as? [[Int]] ?? [])] = block
    }
    return result
  }

  static func merged(_ ranges: [[Int]]) -> [Int] {
    var out: [[Int]] = []
    for r in ranges.sorted(by: { $0[0] < $1[0] }) {
      if let last = out.last, last[1] == r[0] { out[out.count - 1][1] = r[1] } else { out.append(r) }
    }
    return out.flatMap { $0 }
  }

  @Test func eigenAndTraceOfEveryBlock() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let common = try Self.arguments(scratch)
    let reference = try Self.reference()
    let eigen = try CLI.run(["eigen", "--blocks", "--top", "1", "--tolerance", "1e-8"] + common)
    #expect(eigen.status == 0, "\(eigen.stderr)")
    let blocks = try eigen.json().objects("blocks")
    #expect(blocks.count == 19)
    #expect(blocks.map { $0["kind"] as? String ?? "" }.filter { $0 == "query" }.count == 2)
    for block in blocks {
      let name = block["name"] as? String ?? "?"
      let expected = try #require(reference[Self.merged(block["ranges"] as? [[Int]] ?? [])])
      let top = block.numbers("eigenvalues").first ?? .nan
      let torch = expected["top_eigenvalue"] as? Double ?? .nan
      #expect(abs(top - torch) <= 1e-6 * abs(torch), "\(name): \(top) vs \(torch)")
    }
    let trace = try CLI.run(
      ["trace", "--blocks", "--max-probes", "200", "--target-error", "0"] + common)
    #expect(trace.status == 0, "\(trace.stderr)")
    for block in try trace.json().objects("blocks") {
      let expected = try #require(reference[Self.merged(block["ranges"] as? [[Int]] ?? [])])
      let estimate = block.number("trace") ?? .nan
      let error = block.number("standard_error") ?? .nan
      let torch = expected["trace"] as? Double ?? .nan
      #expect(
        abs(estimate - torch) <= 4 * error + 1e-9,
        "\(block["name"] ?? "?"): \(estimate) ± \(error) vs exact \(torch)")
    }
  }

  @Test func densitiesAndTheirHeterogeneity() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(
      ["density", "--blocks", "--steps", "12", "--plot", scratch.path("h.svg")]
        + Self.arguments(scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    let blocks = json.objects("blocks")
    let heterogeneity = json.object("heterogeneity")
    let distances = (heterogeneity["distances"] as? [[Double]]) ?? []
    #expect(blocks.count == 19 && distances.count == 19)
    for i in distances.indices {
      #expect(distances[i][i] < 1e-12)
      for j in distances.indices {
        #expect(distances[i][j] == distances[j][i] && (0...1).contains(distances[i][j]))
      }
    }
    // A 64-parameter norm block takes min(12, 64) steps: its nodes are Ritz values of the block.
    #expect(blocks.allSatisfy { ($0["lanczos_steps"] as? Int ?? 0) == 12 })
    #expect((heterogeneity["mean_distance"] as? Double ?? -1) > 0)
    #expect(FileManager.default.fileExists(atPath: scratch.path("h.svg")))
  }
}
