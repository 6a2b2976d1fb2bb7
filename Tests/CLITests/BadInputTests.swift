// Bad input fails clearly: one line on stderr that names what is wrong and where, a non-zero
// exit status, and no output file (not even a partial or temporary one).

import Foundation
import TensorCore
import TensorIO
import Testing

@Suite("hessian rejects bad input with one clear line and writes nothing", .serialized)
struct BadInputTests {
  /// Runs `arguments` (with a --json file in `scratch`), expects failure with `fragments` in the
  /// error line, and checks that the directory holds only `inputFiles`.
  func expectFailure(
    _ arguments: [String], in scratch: Scratch, mentioning fragments: [String],
    status expected: Int32 = 1, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let before = try scratch.contents()
    let run = try CLI.run(arguments + ["--json", scratch.path("out.json")])
    #expect(
      run.status == expected, "status \(run.status); stderr: \(run.stderr)",
      sourceLocation: sourceLocation)
    let errorLine = run.stderr.split(separator: "\n").first { $0.hasPrefix("Error:") }
    let line = String(errorLine ?? "")
    for fragment in fragments {
      #expect(
        line.contains(fragment), "\"\(fragment)\" missing from: \(run.stderr)",
        sourceLocation: sourceLocation)
    }
    #expect(run.stdout.isEmpty, "stdout: \(run.stdout)", sourceLocation: sourceLocation)
    let after = try scratch.contents()
    #expect(after == before, "files written: \(after)", sourceLocation: sourceLocation)
  }

  func write(_ tensor: Tensor<Double>, _ name: String, in scratch: Scratch) throws {
    try NumPy.write(StoredTensor(tensor), to: scratch.url.appendingPathComponent(name))
  }

  /// Arguments for an MLP 2-3-3 (3 classes) on files `x.npy`, `y.npy` and `w.safetensors`.
  func mlp(_ scratch: Scratch, weights: Bool = false) -> [String] {
    [
      "eigen", "--model", "mlp", "--widths", "2,3,3", "--activation", "tanh", "--inputs",
      scratch.path("x.npy"), "--labels", scratch.path("y.npy"), "--quiet",
    ] + (weights ? ["--weights", scratch.path("w.safetensors")] : [])
  }

  func validData(_ scratch: Scratch) throws {
    try write(
      Tensor(shape: [4, 2], scalars: [0.1, 0.2, 0.3, -0.4, 0.5, 0.6, -0.7, 0.8]), "x.npy",
      in: scratch)
    try NumPy.write(
      StoredTensor(integers: [Int64(0), 1, 2, 1], shape: [4]),
      to: scratch.url.appendingPathComponent("y.npy"))
  }

  @Test func missingAndUnreadableFiles() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try validData(scratch)
    try expectFailure(
      mlp(scratch).map { $0 == scratch.path("x.npy") ? scratch.path("nope.npy") : $0 },
      in: scratch, mentioning: ["nope.npy"])
    try Data("not a numpy file at all".utf8).write(
      to: scratch.url.appendingPathComponent("bad.npy"))
    try expectFailure(
      mlp(scratch).map { $0 == scratch.path("x.npy") ? scratch.path("bad.npy") : $0 },
      in: scratch, mentioning: ["bad.npy"])
    try expectFailure(
      mlp(scratch).map { $0 == scratch.path("x.npy") ? scratch.path("x.csv") : $0 },
      in: scratch, mentioning: ["x.csv", "unknown input format"])
  }

  @Test func weightsThatDoNotMatchTheArchitecture() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try validData(scratch)
    try Safetensors.write(
      [
        ("0.weight", StoredTensor(Tensor<Float>(zeros: [4, 2]))),
        ("0.bias", StoredTensor(Tensor<Float>(zeros: [3]))),
        ("2.bias", StoredTensor(Tensor<Float>(zeros: [3]))),
        ("extra.weight", StoredTensor(Tensor<Float>(zeros: [1]))),
      ], to: scratch.url.appendingPathComponent("w.safetensors"))
    try expectFailure(
      mlp(scratch, weights: true), in: scratch,
      mentioning: ["w.safetensors", "\"0.weight\"", "[4, 2]", "[3, 2]", "2.weight", "extra.weight"])
  }

  @Test func nonFiniteWeightsInputsAndLoss() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try validData(scratch)
    try Safetensors.write(
      [
        (
          "0.weight",
          StoredTensor(Tensor<Float>(shape: [3, 2], scalars: [1, 2, .infinity, 0, 0, 0]))
        ),
        ("0.bias", StoredTensor(Tensor<Float>(zeros: [3]))),
        ("2.weight", StoredTensor(Tensor<Float>(zeros: [3, 3]))),
        ("2.bias", StoredTensor(Tensor<Float>(zeros: [3]))),
      ], to: scratch.url.appendingPathComponent("w.safetensors"))
    try expectFailure(
      mlp(scratch, weights: true), in: scratch, mentioning: ["w.safetensors", "0.weight", "inf"])
    try write(Tensor(shape: [2, 2], scalars: [0, .nan, 1, 2]), "x.npy", in: scratch)
    try expectFailure(mlp(scratch), in: scratch, mentioning: ["x.npy", "nan", "element 1"])
    // Finite weights whose loss overflows: identity MLP with weights 1e200 in Double.
    try validData(scratch)
    try Safetensors.write(
      [
        ("0.weight", StoredTensor(Tensor<Double>(repeating: 1e200, shape: [3, 2]))),
        ("0.bias", StoredTensor(Tensor<Double>(zeros: [3]))),
        ("2.weight", StoredTensor(Tensor<Double>(repeating: 1e200, shape: [3, 3]))),
        ("2.bias", StoredTensor(Tensor<Double>(zeros: [3]))),
      ], to: scratch.url.appendingPathComponent("w.safetensors"))
    let identity = mlp(scratch, weights: true).map { $0 == "tanh" ? "identity" : $0 }
    try expectFailure(
      identity + ["--precision", "double"], in: scratch, mentioning: ["loss", "not finite"])
  }

  @Test func labelsOutOfRangeAndOfTheWrongKind() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try validData(scratch)
    try NumPy.write(
      StoredTensor(integers: [Int64(0), 1, 7, 1], shape: [4]),
      to: scratch.url.appendingPathComponent("y.npy"))
    try expectFailure(
      mlp(scratch), in: scratch, mentioning: ["y.npy", "label 7", "sample 2", "3 classes"])
    try write(Tensor(shape: [4], scalars: [0, 1, 1.5, 2]), "y.npy", in: scratch)
    try expectFailure(mlp(scratch), in: scratch, mentioning: ["1.5"])
    try NumPy.write(
      StoredTensor(integers: [Int64(0), 1], shape: [2]),
      to: scratch.url.appendingPathComponent("y.npy"))
    try expectFailure(
      mlp(scratch), in: scratch, mentioning: ["y.npy", "2 labels", "4 input samples"])
    try NumPy.write(
      StoredTensor(integers: [Int64(0), 1, 2, 1, 0, 2], shape: [6]),
      to: scratch.url.appendingPathComponent("y.npy"))
    try expectFailure(
      mlp(scratch), in: scratch, mentioning: ["y.npy", "6 labels", "4 input samples"])
  }

  @Test func inputsOfTheWrongShapeOrDtypeAndEmptyData() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try validData(scratch)
    try write(Tensor(zeros: [4, 3]), "x.npy", in: scratch)
    try expectFailure(mlp(scratch), in: scratch, mentioning: ["x.npy", "[4, 3]", "input width 2"])
    try write(Tensor(zeros: [0, 2]), "x.npy", in: scratch)
    try expectFailure(mlp(scratch), in: scratch, mentioning: ["x.npy", "empty"])
    try NumPy.write(
      StoredTensor(integers: [Int32](repeating: 1, count: 8), shape: [4, 2]),
      to: scratch.url.appendingPathComponent("x.npy"))
    try expectFailure(
      mlp(scratch), in: scratch, mentioning: ["x.npy", "dtype I32", "floating-point"])
    try validData(scratch)
    let resnet = mlp(scratch).map { $0 == "mlp" ? "resnet20" : $0 }
      .filter { $0 != "--widths" && $0 != "2,3,3" && $0 != "--activation" && $0 != "tanh" }
    try expectFailure(resnet, in: scratch, mentioning: ["x.npy", "[N, 3, H, W]"])
  }

  @Test func denseHessianTooLargeIsRefusedBeforeAnyWork() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try validData(scratch)
    var arguments = mlp(scratch)
    arguments[0] = "dense"
    try expectFailure(
      arguments + ["--memory-limit", "1e-7", "--out", scratch.path("h.npy")], in: scratch,
      mentioning: ["dense Hessian of 21 parameters", "more than the limit"])
  }

  @Test func invalidOptionsExitWithAUsageError() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try validData(scratch)
    try expectFailure(
      mlp(scratch) + ["--top", "0"], in: scratch, mentioning: ["--top"], status: 64)
    try expectFailure(
      ["eigen", "--model", "mlp", "--widths", "2,x", "--inputs", scratch.path("x.npy")],
      in: scratch, mentioning: ["--widths"], status: 64)
    try expectFailure(
      ["eigen", "--model", "resnet20"], in: scratch, mentioning: ["--inputs"], status: 64)
    try expectFailure(
      mlp(scratch) + ["--activation", "swish"], in: scratch, mentioning: ["swish", "tanh"])
    try expectFailure(
      mlp(scratch) + ["--top", "25"], in: scratch, mentioning: ["25 eigenvalues", "21 dimensions"])
  }

  @Test func anUnwritableOutputFailsBeforeAnyWork() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    try validData(scratch)
    var arguments = mlp(scratch)
    arguments[0] = "dense"
    try expectFailure(
      arguments + ["--out", scratch.path("missing/h.npy")], in: scratch,
      mentioning: ["cannot write", "missing/h.npy", "does not exist"])
  }
}
