// Every subcommand end to end on the seed-001 network, whose Hessian is known exactly: the JSON
// fields and values against the hand-worked matrix, its eigenvalues, and closed-form losses.

import Foundation
import MatrixFree
import TensorCore
import TensorIO
import Testing

@Suite("hessian subcommands on the seed-001 network (exact oracles)", .serialized)
struct Seed001CommandTests {
  @Test func eigenTopGivesTheFullHessiansTopEigenvalue() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(
      ["eigen", "--top", "1", "--tolerance", "1e-9", "--vectors", scratch.path("v.npy")]
        + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["command"] as? String == "eigen")
    #expect(json["scope"] as? String == "full")
    #expect(json["seed"] as? Int == 0)
    #expect(close(json.numbers("eigenvalues"), [122.032250], atol: 5e-7), "\(json)")
    #expect((json["converged"] as? [Bool]) == [true])
    #expect(json.numbers("relative_residuals")[0] <= 1e-9)
    let hvps = try #require(json["hvp_count"] as? Int)
    #expect(hvps >= 2 && hvps <= 7)
    #expect(json.number("seconds").map { $0 >= 0 } == true)
    #expect(json.object("model")["parameter_count"] as? Int == 6)
    // The saved eigenvector is a unit eigenvector of the hand-worked matrix.
    let v = try NumPy.read(contentsOf: scratch.url.appendingPathComponent("v.npy"))
      .floatingPoint(as: Double.self)
    #expect(v.shape == [1, 6])
    let h = Tensor<Double>(shape: [6, 6], scalars: Seed001Files.hessian)
    let hv = v.matmul(h)
    let residual = (hv - v * 122.032250).norm()
    #expect(residual < 1e-4, "residual \(residual)")
  }

  @Test func eigenBottomAndBothEndsMatchTheSpectrum() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let files = try Seed001Files.arguments(in: scratch)
    let bottom = try CLI.run(["eigen", "--bottom", "2", "--tolerance", "1e-8"] + files)
    #expect(bottom.status == 0, "\(bottom.stderr)")
    #expect(close(try bottom.json().numbers("eigenvalues"), [-2.828427, -2.032250], atol: 1e-6))
    #expect(try bottom.json()["which"] as? String == "smallest")
    let both = try CLI.run(["eigen", "--top", "2", "--bottom", "2", "--tolerance", "1e-8"] + files)
    #expect(both.status == 0, "\(both.stderr)")
    #expect(
      close(
        try both.json().numbers("eigenvalues"), [-2.828427, -2.032250, 2.828427, 122.032250],
        atol: 1e-6))
  }

  @Test func eigenPowerIterationIsLabeledAndClose() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(
      ["eigen", "--method", "power", "--tolerance", "1e-8"] + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["method"] as? String == "power")
    #expect(close(json.numbers("eigenvalues"), [122.032250], atol: 1e-4))
  }

  @Test func eigenPerLayerGivesTheDiagonalBlocksTopEigenvalues() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(["eigen", "--per-layer"] + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["scope"] as? String == "per-layer")
    let layers = json.objects("layers")
    #expect(layers.map { $0["name"] as? String } == ["0", "2"])
    #expect(layers.map { $0["parameter_count"] as? Int } == [4, 2])
    #expect(close(layers.map { $0.numbers("eigenvalues")[0] }, [20, 100], atol: 1e-9))
    #expect(layers.map { $0["eigen_method"] as? String } == ["dense", "dense"])
    // Only the eigenvalues are paid for: a dense block costs one product per parameter, and
    // no trace is computed (that is `trace --per-layer`'s job).
    #expect(layers.map { $0["hvp_count"] as? Int } == [4, 2])
    #expect(json["hvp_count"] as? Int == 6)
    #expect(layers.allSatisfy { $0["trace"] == nil && $0["trace_standard_error"] == nil })
  }

  @Test func eigenPerLayerNamesEachLayerOnStderrUnlessQuiet() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let files = try Seed001Files.arguments(in: scratch)
    let loud = try CLI.run(["eigen", "--per-layer"] + files.filter { $0 != "--quiet" })
    #expect(loud.status == 0, "\(loud.stderr)")
    let lines = loud.stderr.split(separator: "\n").map(String.init)
    // A phase per layer, named by its position and its name, and a line with its result.
    for (label, value) in [("layer 1/2 0", "20"), ("layer 2/2 2", "100")] {
      #expect(lines.contains { $0.hasPrefix("\(label): top 1 of ") }, "\(loud.stderr)")
      #expect(lines.contains { $0.hasPrefix("\(label): λ \(value) (dense)") }, "\(loud.stderr)")
    }
    #expect(lines.contains { $0.hasPrefix("eigen: 2 layers in 6 HVPs") }, "\(loud.stderr)")
    // An iterative phase shows its budget (--max-hvps, default 1000) until it is done.
    #expect(
      lines.contains {
        $0.hasPrefix("layer 1/2 0: top 1 of 4 parameters · 0 of at most 1000 HVPs")
      },
      "\(loud.stderr)")
    // The same JSON either way; nothing on stderr with --quiet.
    let quiet = try CLI.run(["eigen", "--per-layer"] + files)
    #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
    #expect(
      try quiet.json().objects("layers").map { $0.numbers("eigenvalues") }
        == loud.json().objects("layers").map { $0.numbers("eigenvalues") })
  }

  @Test func eigenPerLayerRejectsOptionsItDoesNotUse() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let files = try Seed001Files.arguments(in: scratch)
    let run = try CLI.run(["eigen", "--per-layer", "--block-size", "2"] + files)
    #expect(run.status == 64)
    #expect(run.stderr.contains("--block-size"), "\(run.stderr)")
    #expect(run.stdout.isEmpty)
  }

  @Test func denseWritesTheHandWorkedMatrixAndItsSpectrum() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(
      ["dense", "--out", scratch.path("h.npy")] + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(close(json.numbers("eigenvalues"), Seed001Files.eigenvalues, atol: 1e-6))
    #expect(json.number("trace") == 120)
    #expect(json["hvp_count"] as? Int == 6)
    let blocks = json.objects("blocks")
    #expect(blocks.map { $0["name"] as? String } == ["0.weight", "2.weight"])
    #expect(blocks.map { $0["offset"] as? Int } == [0, 4])
    let matrix = try NumPy.read(contentsOf: scratch.url.appendingPathComponent("h.npy"))
    #expect(matrix.shape == [6, 6])
    #expect(matrix.floatingPoint(as: Double.self).scalars == Seed001Files.hessian)
  }

  @Test func hvpWritesTheProductsInParameterOrder() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let files = try Seed001Files.arguments(in: scratch)
    // e1 and e6 as a [2, 6] block: the first and last columns of H.
    var e = [Double](repeating: 0, count: 12)
    e[0] = 1
    e[11] = 1
    try NumPy.write(
      StoredTensor(Tensor<Double>(shape: [2, 6], scalars: e)),
      to: scratch.url.appendingPathComponent("v.npy"))
    let run = try CLI.run(
      ["hvp", "--vector", scratch.path("v.npy"), "--out", scratch.path("hv.npy")] + files)
    #expect(run.status == 0, "\(run.stderr)")
    let hv = try NumPy.read(contentsOf: scratch.url.appendingPathComponent("hv.npy"))
      .floatingPoint(as: Double.self)
    #expect(hv.shape == [2, 6])
    #expect(hv.scalars == [8, 8, 4, 4, 22, 20, 20, 20, 12, 12, 50, 50])
    let json = try run.json()
    #expect(json.numbers("v_hv") == [8, 50])
    // The loss at the point: (v W x - 14)^2 = (15 - 14)^2.
    #expect(json.number("loss") == 1)
  }

  /// Stratified: the trace 120 as the sum of the two layers' block traces 20 and 100 (each
  /// block rank one: 2 (v ⊗ x)(v ⊗ x)ᵀ and 2 (W x)(W x)ᵀ), each within 4 standard errors.
  @Test func traceStratifiedSumsTheLayerBlocks() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let files = try Seed001Files.arguments(in: scratch)
    let run = try CLI.run(
      ["trace", "--method", "stratified", "--target-error", "0.02", "--max-probes", "6000"]
        + files)
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["method"] as? String == "stratified" && json["converged"] as? Bool == true)
    let (trace, error) = (json.number("trace") ?? .nan, json.number("standard_error") ?? .nan)
    #expect(error > 0 && error <= 0.02 * trace && Swift.abs(trace - 120) <= 4 * error, "\(json)")
    let layers = json.objects("layers")
    #expect(layers.map { $0["name"] as? String } == ["0", "2"])
    #expect(layers.map { $0["parameter_count"] as? Int } == [4, 2])
    for (layer, exact) in zip(layers, [20.0, 100.0]) {
      let t = layer.number("trace") ?? .nan
      let e = layer.number("standard_error") ?? .nan
      #expect(Swift.abs(t - exact) <= 4 * e, "\(layer)")
    }
    #expect(
      layers.reduce(0) { $0 + ($1["sample_count"] as? Int ?? 0) } == json["hvp_count"] as? Int)
    let refused = try CLI.run(["trace", "--method", "stratified", "--per-layer"] + files)
    #expect(refused.status == 64 && refused.stderr.contains("--method stratified"))
  }

  @Test func traceAndDiagonalLandWithinTheirStandardErrors() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let files = try Seed001Files.arguments(in: scratch)
    for method in ["hutchinson", "hutch++"] {
      let run = try CLI.run(
        ["trace", "--method", method, "--max-probes", "400", "--low-rank", "2"] + files)
      #expect(run.status == 0, "\(run.stderr)")
      let json = try run.json()
      let trace = try #require(json.number("trace"))
      let error = try #require(json.number("standard_error"))
      #expect(abs(trace - 120) <= 4 * error + 1e-9, "\(method): \(trace) ± \(error)")
      #expect((json["hvp_count"] as? Int ?? 0) <= 400)
    }
    let diag = try CLI.run(["diag", "--probes", "200"] + files)
    #expect(diag.status == 0, "\(diag.stderr)")
    let json = try diag.json()
    let estimate = json.numbers("diagonal")
    let errors = json.numbers("standard_errors")
    let exact: [Double] = [8, 8, 2, 2, 50, 50]
    #expect(estimate.count == 6 && errors.count == 6)
    for i in 0..<6 { #expect(abs(estimate[i] - exact[i]) <= 4 * errors[i] + 1e-9, "entry \(i)") }
    #expect(json.objects("tensors").map { $0["name"] as? String } == ["0.weight", "2.weight"])
  }

  @Test func densityIntegratesToOneAndItsMomentsMatchTheMatrix() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(
      ["density", "--steps", "6", "--probes", "4", "--plot", scratch.path("d.svg")]
        + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    let grid = json.numbers("grid")
    let density = json.numbers("density")
    let integral = zip(grid.dropFirst(), zip(grid, zip(density, density.dropFirst())))
      .reduce(0.0) { $0 + ($1.0 - $1.1.0) * ($1.1.1.0 + $1.1.1.1) / 2 }
    #expect(abs(integral - 1) < 1e-3, "integral \(integral)")
    // With 6 = n steps the nodes are the eigenvalues; the weights of each probe sum to 1.
    let nodes = (json["nodes"] as? [[Double]]) ?? []
    let weights = (json["weights"] as? [[Double]]) ?? []
    #expect(nodes.count == 4 && weights.count == 4)
    for w in weights { #expect(abs(w.reduce(0, +) - 1) < 1e-9) }
    #expect(abs((nodes[0].max() ?? 0) - 122.032250) < 1e-5)
    // Each probe's trace is a Hutchinson sample: the mean lands within 4 standard errors of
    // the hand-worked trace 120 (8 + 8 + 2 + 2 + 50 + 50).
    let trace = try #require(json.number("trace_estimate"))
    let error = try #require(json.number("trace_standard_error"))
    #expect(error > 0 && abs(trace - 120) <= 4 * error, "\(trace) ± \(error)")
    let svg = try String(contentsOfFile: scratch.path("d.svg"), encoding: .utf8)
    #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
  }

  @Test func densityTraceErrorBarFromProbesOnly() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let files = try Seed001Files.arguments(in: scratch)
    // One probe: a trace estimate, but no spread to measure (JSON null).
    let one = try CLI.run(["density", "--steps", "6", "--probes", "1"] + files)
    #expect(one.status == 0, "\(one.stderr)")
    let single = try one.json()
    #expect(single["trace_standard_error"] is NSNull)
    #expect(single.number("trace_estimate") != nil)
    // 8 probes: within 4 standard errors of 120 (t with 7 degrees of freedom: a 0.5% event).
    let eight = try CLI.run(["density", "--steps", "3", "--probes", "8"] + files)
    #expect(eight.status == 0, "\(eight.stderr)")
    let json = try eight.json()
    let trace = try #require(json.number("trace_estimate"))
    let error = try #require(json.number("trace_standard_error"))
    #expect(error > 0 && abs(trace - 120) <= 4 * error, "\(trace) ± \(error)")
  }

  @Test func landscapeLossesEqualTheClosedFormLoss() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(
      ["landscape", "--direction", "gradient", "--grid", "5", "--radius", "0.5"]
        + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    let alphas = json.numbers("alphas")
    #expect(alphas == [-0.5, -0.25, 0, 0.25, 0.5])
    let curve = try #require(json.objects("curves").first)
    #expect(curve["direction"] as? String == "gradient")
    // The gradient of (vWx - 14)^2 at the point: 2 r (v1, v1, v2, v2, h1, h2), r = 1.
    let g: [Double] = [4, 4, 2, 2, 10, 10]
    let norm = g.map { $0 * $0 }.reduce(0, +).squareRoot()
    let theta: [Double] = [2, 3, 4, 1, 2, 1]
    let expected = alphas.map { a in Seed001Files.loss(zip(theta, g).map { $0 + a * $1 / norm }) }
    #expect(close(curve.numbers("losses"), expected, rtol: 1e-12, atol: 1e-12))
    #expect(json.number("center_loss") == 1)
  }

  @Test func inputHessianOfALinearNetworkIsTwiceTheOuterProduct() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(["input-hessian", "--top", "2"] + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    // y_hat = (v W) x = 8 x1 + 7 x2, so the Hessian is 2 [8, 7]ᵀ[8, 7]: eigenvalues 226 and 0.
    #expect(json["method"] as? String == "dense")
    #expect(close(json.numbers("eigenvalues"), [226, 0], atol: 1e-9))
    #expect(json.number("trace") == 226)
    #expect(json["scope"] as? String == "input")
  }

  @Test func jsonGoesToTheFileAndNothingToStdout() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(
      ["eigen", "--json", scratch.path("out.json")] + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.isEmpty)
    let data = try Data(contentsOf: scratch.url.appendingPathComponent("out.json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(close(json.numbers("eigenvalues"), [122.032250], atol: 1e-5))
  }
}

@Suite(
  "hessian per-layer, activation and finite-difference runs on the seed-001 network", .serialized)
struct Seed001VariantTests {
  @Test func perLayerTracesFromOneRunLandNearTheBlockTraces() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(
      ["trace", "--per-layer", "--max-probes", "400"] + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["method"] as? String == "hutchinson-split")
    let layers = json.objects("layers")
    #expect(layers.map { $0["name"] as? String } == ["0", "2"])
    for (layer, exact) in zip(layers, [20.0, 100.0]) {
      let trace = try #require(layer.number("trace"))
      let error = try #require(layer.number("standard_error"))
      #expect(abs(trace - exact) <= 4 * error + 1e-9, "\(layer)")
    }
  }

  @Test func activationTracesMatchTheClosedForm() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(
      ["trace", "--activations", "--layers", "0,2", "--max-probes", "400"]
        + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let layers = try run.json().objects("layers")
    #expect(layers.map { $0["name"] as? String } == ["0", "2"])
    #expect(layers.map { $0["dimension"] as? Int } == [2, 1])
    // Output of layer 0 is h, loss (v·h - 14)^2: Hessian 2 v vᵀ, trace 2 (4 + 1) = 10.
    let hidden = try #require(layers[0].number("trace"))
    let error = try #require(layers[0].number("standard_error"))
    #expect(abs(hidden - 10) <= 4 * error + 1e-9)
    // Output of layer 2 is y_hat: second derivative 2, and z² = 1 makes the estimate exact.
    #expect(layers[1].number("trace") == 2)
  }

  @Test func finiteDifferenceProductsAgreeWithTheExactEigenvalue() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(
      ["eigen", "--hvp", "finite-difference", "--tolerance", "1e-6"]
        + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["hvp_method"] as? String == "finite-difference")
    #expect(close(json.numbers("eigenvalues"), [122.032250], rtol: 1e-6, atol: 0))
  }

  @Test func twoDimensionalLandscapeAlongBothEigenvectors() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(
      ["landscape", "--two-d", "--grid", "3", "--radius", "0.1", "--plot", scratch.path("l.svg")]
        + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json.strings("directions") == ["eigenvector 0", "eigenvector 1"])
    let losses = (json["losses"] as? [[Double]]) ?? []
    #expect(losses.count == 3 && losses.allSatisfy { $0.count == 3 })
    #expect(losses[1][1] == 1)  // the center: the trained weights
    // The loss is (r0 + α r1 + α² r2)² along a unit direction d, so the second difference
    // [L(α) + L(-α) - 2 L(0)] / α² is dᵀHd + 2 α² r2²: the eigenvalue to within 0.02 here.
    let alongFirst = (losses[1][0] + losses[1][2] - 2 * losses[1][1]) / 0.01
    let alongSecond = (losses[0][1] + losses[2][1] - 2 * losses[1][1]) / 0.01
    #expect(abs(alongFirst - 122.032250) < 0.05, "\(alongFirst)")
    #expect(abs(alongSecond - 2.828427) < 0.05, "\(alongSecond)")
    #expect(FileManager.default.fileExists(atPath: scratch.path("l.svg")))
  }
}

extension Dictionary where Key == String, Value == Any {
  func strings(_ key: String) -> [String] { self[key] as? [String] ?? [] }
}

extension Seed001VariantTests {
  @Test func inputHessianByLanczosAboveTheDenseLimit() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run(
      ["input-hessian", "--top", "1", "--dense-limit", "1"] + Seed001Files.arguments(in: scratch))
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["method"] as? String == "lanczos")
    #expect(close(json.numbers("eigenvalues"), [226], rtol: 1e-9, atol: 0))
    let trace = try #require(json.number("trace"))
    let error = try #require(json.number("standard_error"))
    #expect(abs(trace - 226) <= 4 * error + 1e-9, "\(trace) ± \(error)")
  }
}
