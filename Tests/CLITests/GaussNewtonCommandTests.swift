// `--curvature ggn` end to end on the seed-001 network, whose Gauss-Newton matrix is worked out
// by hand: the output yHat = v W x is a scalar, so G = Jᵀ (2) J = 2 J Jᵀ with
// J = d yHat / d(w11, w12, w21, w22, v1, v2) = (v1 x1, v1 x2, v2 x1, v2 x2, (W x)_1, (W x)_2)
//   = (2, 2, 1, 1, 5, 5),  |J|^2 = 60:
// rank one, eigenvalue 2 |J|^2 = 120 along J, trace 120 (the Hessian's top eigenvalue is
// 122.032250: the network's own second derivatives add the rest).

import Foundation
import TensorCore
import TensorIO
import Testing

@Suite("hessian --curvature ggn on the seed-001 network (hand-worked oracle)", .serialized)
struct GaussNewtonCommandTests {
  static let jacobian: [Double] = [2, 2, 1, 1, 5, 5]

  @Test func eigenDenseAndTraceGiveTheRankOneMatrix() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let files = try Seed001Files.arguments(in: scratch) + ["--curvature", "ggn"]
    let eigen = try CLI.run(["eigen", "--top", "1", "--tolerance", "1e-9"] + files)
    #expect(eigen.status == 0, "\(eigen.stderr)")
    #expect(try eigen.json()["scope"] as? String == "gauss-newton")
    #expect(close(try eigen.json().numbers("eigenvalues"), [120], rtol: 1e-9, atol: 0))
    let dense = try CLI.run(["dense"] + files)
    #expect(dense.status == 0, "\(dense.stderr)")
    #expect(
      close(try dense.json().numbers("eigenvalues"), [0, 0, 0, 0, 0, 120], atol: 1e-9),
      "\(dense.stdout)")
    let trace = try CLI.run(["trace", "--max-probes", "40"] + files)
    #expect(trace.status == 0, "\(trace.stderr)")
    #expect(close([try trace.json().number("trace") ?? .nan], [120], rtol: 1e-9, atol: 0))
    // The Hessian itself is unchanged by the option's default.
    let hessian = try CLI.run(["eigen", "--top", "1", "--tolerance", "1e-9"] + files.dropLast(2))
    #expect(close(try hessian.json().numbers("eigenvalues"), [122.032250], atol: 5e-7))
  }

  /// `G v = 2 J (J . v)`; the loss and the gradient are the loss's own: 1 and 2 (yHat - 14) J.
  @Test func hvpMultipliesByTheGaussNewtonMatrix() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let v: [Double] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -1]
    try NumPy.write(
      StoredTensor(Tensor<Double>(shape: [2, 6], scalars: v)),
      to: URL(fileURLWithPath: scratch.path("v.npy")))
    let run = try CLI.run(
      [
        "hvp", "--vector", scratch.path("v.npy"), "--out", scratch.path("gv.npy"), "--curvature",
        "ggn",
      ] + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let gv = try NumPy.read(contentsOf: scratch.url.appendingPathComponent("gv.npy"))
      .floatingPoint(as: Double.self)
    // Row 0: e_1, J . e_1 = 2, so 4 J; row 1: J . (e_5 - e_6) = 0.
    let expected = Self.jacobian.map { 4 * $0 } + [Double](repeating: 0, count: 6)
    #expect(close(gv.scalars, expected, atol: 1e-12), "\(gv.scalars)")
    let json = try run.json()
    #expect(json["scope"] as? String == "gauss-newton")
    #expect(close([json.number("loss") ?? .nan], [1], atol: 1e-12))
    #expect(close([json.number("gradient_norm") ?? .nan], [2 * 60.0.squareRoot()], atol: 1e-12))
  }

  /// Subcommands that take the Hessian only refuse the option before any work (exit 64).
  @Test func commandsWithoutTheGaussNewtonMatrixRefuseIt() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let files = try Seed001Files.arguments(in: scratch) + ["--curvature", "ggn"]
    for (arguments, message) in [
      (["report", "--out", scratch.path("r")], "not supported by `hessian report`"),
      (["landscape"], "not supported by `hessian landscape`"),
      (["eigen", "--per-layer"], "cannot be combined with --curvature ggn"),
      (["trace", "--activations"], "not --curvature ggn"),
    ] {
      let run = try CLI.run(arguments + files)
      #expect(run.status == 64, "\(arguments): \(run.stderr)")
      #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
    }
    #expect(
      try scratch.contents().allSatisfy { $0.hasSuffix(".npy") || $0.hasSuffix(".safetensors") })
  }
}
