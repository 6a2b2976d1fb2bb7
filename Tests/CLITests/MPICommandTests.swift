// `mpirun -np N hessian ...`: ranks that each hold a shard give the single-process results
// (Double to 1e-12, Float within rounding), rank 0 alone prints and writes, and a failure on
// any rank ends every rank within seconds with its message, a non-zero status and no output.
// The oracle is the same command in one process, without MPI.

import Foundation
import TensorCore
import TensorIO
import Testing

enum MPIRun {
  static let mpirun = URL(fileURLWithPath: "/usr/bin/mpirun")
  /// Open MPI refuses root without these (CI runs as root); more ranks than cores are allowed.
  static let environment = [
    "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
  ]

  /// `mpirun -np ranks hessian arguments...`, killed after `timeout` seconds.
  static func run(ranks: Int, _ arguments: [String], timeout: Double = 240) throws -> CLIRun {
    try run(apps: [(ranks, CLI.executable.path, arguments)], timeout: timeout)
  }

  /// Several programs in one MPI job (`mpirun -np 1 a ... : -np 1 b ...`): rank r runs its own
  /// arguments.
  static func run(
    apps: [(ranks: Int, program: String, arguments: [String])], timeout: Double = 240
  ) throws -> CLIRun {
    guard FileManager.default.isExecutableFile(atPath: mpirun.path) else {
      throw CLITestError("mpirun is missing: run `make deps` (Debian openmpi-bin)")
    }
    var arguments: [String] = []
    for (i, app) in apps.enumerated() {
      if i > 0 { arguments.append(":") }
      arguments += ["-np", String(app.ranks), app.program] + app.arguments
    }
    return try CLI.run(mpirun, arguments, environment: environment, timeout: timeout)
  }
}

@Suite("mpirun: data-parallel ranks give the single-process results", .serialized)
struct MPICommandTests {
  /// The built-in workload on 301 samples in batches of 64: shards of 151/150 and 101/100/100
  /// samples, each with an unequal last batch.
  static let workload = [
    "--train-steps", "30", "--samples", "301", "--batch-size", "64", "--quiet",
  ]

  static func json(_ run: CLIRun) throws -> [String: Any] {
    #expect(run.status == 0, "\(run.stderr)")
    return try run.json()
  }

  static func compare(
    _ arguments: [String], ranks: [Int] = [2, 3], rtol: Double = 1e-12,
    _ values: ([String: Any]) -> [Double]
  ) throws {
    let single = try json(CLI.run(arguments))
    let expected = values(single)
    #expect(!expected.isEmpty, "no values in \(single.keys.sorted())")
    for n in ranks {
      let run = try MPIRun.run(ranks: n, arguments)
      let document = try json(run)
      #expect((document["ranks"] as? Int) == n)
      let got = values(document)
      let scale = expected.map(abs).max() ?? 1
      #expect(
        close(got, expected, rtol: rtol, atol: rtol * scale),
        "\(arguments[0]) on \(n) ranks: \(got) vs \(expected)")
      // Rank 0 alone prints: one JSON document, not one per rank.
      #expect(run.stdout.components(separatedBy: "\"command\"").count == 2)
    }
  }

  @Test func eigenvaluesInDouble() throws {
    try Self.compare(["eigen", "--top", "3", "--precision", "double"] + Self.workload) {
      $0.numbers("eigenvalues") + [$0.number("hvp_count") ?? -1]
    }
  }

  @Test func perLayerEigenvaluesAndGaussNewtonInDouble() throws {
    try Self.compare(
      ["eigen", "--top", "2", "--per-layer", "--precision", "double"] + Self.workload, ranks: [3]
    ) { $0.objects("layers").flatMap { $0.numbers("eigenvalues") } }
    try Self.compare(
      ["eigen", "--top", "2", "--curvature", "ggn", "--precision", "double"] + Self.workload,
      ranks: [2]
    ) { $0.numbers("eigenvalues") }
  }

  @Test func tracesAndDensityWithTheSameSeedInDouble() throws {
    try Self.compare(
      ["trace", "--max-probes", "16", "--precision", "double", "--seed", "3"] + Self.workload
    ) { [$0.number("trace") ?? .nan, $0.number("standard_error") ?? .nan] }
    try Self.compare(
      ["trace", "--activations", "--max-probes", "8", "--precision", "double"] + Self.workload,
      ranks: [3]
    ) { $0.objects("layers").compactMap { $0.number("trace") } }
    try Self.compare(["density", "--precision", "double"] + Self.workload, ranks: [2]) {
      $0.numbers("density") + [$0.number("trace_estimate") ?? .nan]
    }
  }

  @Test func landscapeInDouble() throws {
    try Self.compare(
      ["landscape", "--grid", "5", "--precision", "double"] + Self.workload, ranks: [3]
    ) { $0.objects("curves").flatMap { $0.numbers("losses") } }
  }

  /// The remaining subcommands: a dense block, the diagonal, the input Hessian of one sample
  /// (replicated, no data reduction) and the report.
  @Test func denseDiagonalInputAndReport() throws {
    try Self.compare(
      ["dense", "--parameters", "2.*", "--precision", "double"] + Self.workload, ranks: [3]
    ) { $0.numbers("eigenvalues") }
    try Self.compare(
      ["diag", "--probes", "8", "--precision", "double"] + Self.workload, ranks: [2]
    ) { $0.numbers("diagonal") }
    try Self.compare(
      ["input-hessian", "--sample", "200", "--top", "2", "--precision", "double"] + Self.workload,
      ranks: [2]
    ) { $0.numbers("eigenvalues") }
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try MPIRun.run(
      ranks: 2,
      ["report", "--out", scratch.path("r"), "--precision", "double", "--grid", "5",
       "--grid-2d", "3"] + Self.workload)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(FileManager.default.fileExists(atPath: scratch.path("r/report.html")))
  }

  @Test func eigenvaluesInFloat() throws {
    try Self.compare(["eigen", "--top", "3"] + Self.workload, rtol: 1e-4) {
      $0.numbers("eigenvalues")
    }
  }

  /// `hvp --out`: rank 0 alone writes the file, equal to one process's.
  @Test func productsFileWrittenByRankZero() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    var g = SeededGenerator(seed: 1)
    try NumPy.write(
      StoredTensor(Tensor<Double>(randomNormal: [2, 1251], using: &g)),
      to: URL(fileURLWithPath: scratch.path("v.npy")))
    let common = ["hvp", "--vector", scratch.path("v.npy"), "--precision", "double"] + Self.workload
    #expect(try CLI.run(common + ["--out", scratch.path("one.npy")]).status == 0)
    let run = try MPIRun.run(ranks: 3, common + ["--out", scratch.path("three.npy")])
    #expect(run.status == 0, "\(run.stderr)")
    let one = try NumPy.read(contentsOf: URL(fileURLWithPath: scratch.path("one.npy")))
      .floatingPoint(as: Double.self).scalars
    let three = try NumPy.read(contentsOf: URL(fileURLWithPath: scratch.path("three.npy")))
      .floatingPoint(as: Double.self).scalars
    let scale = one.map(abs).max() ?? 1
    #expect(close(three, one, rtol: 1e-12, atol: 1e-12 * scale))
    #expect(try scratch.contents() == ["one.npy", "three.npy", "v.npy"])
  }
}

/// A failure on one rank ends every rank with its message, a non-zero status, and no output
/// file, within seconds: no rank waits forever in a collective.
@Suite("mpirun: a failure on any rank stops every rank", .serialized)
struct MPIFailureTests {
  static let hessian = CLI.executable.path

  /// Runs the job, which must fail within 60 s (not time out) and leave `json` unwritten.
  static func expectFailure(
    _ apps: [(ranks: Int, program: String, arguments: [String])], json: String,
    mentioning texts: [String]
  ) throws {
    let start = Date()
    let run = try MPIRun.run(apps: apps, timeout: 120)
    let seconds = Date().timeIntervalSince(start)
    #expect(run.status != 0)
    #expect(seconds < 60, "took \(seconds) s")
    for text in texts { #expect(run.stderr.contains(text), "\(text) not in: \(run.stderr)") }
    #expect(!FileManager.default.fileExists(atPath: json), "partial output \(json)")
  }

  static let workload = ["--train-steps", "30", "--samples", "301", "--quiet"]

  @Test func aBadFileOnOneRank() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let json = scratch.path("out.json")
    let missing = scratch.path("missing.npy")
    let args = ["eigen", "--top", "2", "--json", json] + Self.workload
    try Self.expectFailure(
      [
        (1, Self.hessian, args),
        (
          1, Self.hessian,
          args + ["--model", "mlp", "--widths", "2,4,3", "--inputs", missing, "--labels", missing]
        ),
      ], json: json, mentioning: [missing, "rank 1 of 2"])
  }

  /// The last sample's target overflows the squared error: only rank 1's shard holds it.
  @Test func nonFiniteLossInOneShard() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    var g = SeededGenerator(seed: 2)
    var targets = Tensor<Double>(randomNormal: [40, 3], using: &g)
    targets[39, 0] = 1e200
    try NumPy.write(
      StoredTensor(Tensor<Double>(randomNormal: [40, 2], using: &g)),
      to: URL(fileURLWithPath: scratch.path("x.npy")))
    try NumPy.write(StoredTensor(targets), to: URL(fileURLWithPath: scratch.path("y.npy")))
    let json = scratch.path("out.json")
    let args = [
      "eigen", "--model", "mlp", "--widths", "2,8,3", "--activation", "tanh", "--loss", "mse",
      "--inputs", scratch.path("x.npy"), "--labels", scratch.path("y.npy"), "--batch-size", "8",
      "--precision", "double", "--quiet", "--json", json,
    ]
    try Self.expectFailure(
      [(3, Self.hessian, args)], json: json,
      // Shards of 14, 13 and 13 samples in batches of 8: rank 2 holds global batches 4 and 5.
      mentioning: ["batch 5 (0-based, of 6, on rank 2) is not finite"])
  }

  /// Rank 1 is killed (SIGKILL) in the middle of a long run; rank 0 must not wait for it.
  @Test func aRankKilledBySignal() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let json = scratch.path("out.json")
    // 100,000 probes with no stopping rule: far longer than the 8 s before the kill.
    let args = [
      "trace", "--method", "hutchinson", "--target-error", "0", "--max-probes", "100000",
      "--json", json, "--precision", "double", "--quiet",
    ]
    try Self.expectFailure(
      [
        (1, Self.hessian, args),
        (1, "/usr/bin/timeout", ["-s", "KILL", "8", Self.hessian] + args),
      ], json: json, mentioning: [])
  }

  /// Ranks whose replicated state differs (here: a different seed, so a different built-in
  /// model) stop at the first data reduction instead of summing unrelated products.
  @Test func ranksThatDriftApart() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let json = scratch.path("out.json")
    let args = ["eigen", "--top", "2", "--json", json] + Self.workload
    try Self.expectFailure(
      [(1, Self.hessian, args), (1, Self.hessian, args + ["--seed", "1"])], json: json,
      mentioning: ["inputs that differ from rank 0's"])
  }
}
