// hessian-bench: times the engine on ResNet-20 (CIFAR layout), a batch of 200 images, eval mode,
// cross-entropy: forward, gradient, one HVP and one block of 8 HVPs. Prints one JSON object.

import ArgumentParser
import Autodiff
import Foundation
import MatrixFree
import NeuralNetworks
import TensorCore
import TensorIO

@main
struct HessianBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hessian-bench",
    abstract: "Time forward, gradient and Hessian-vector products on a CIFAR ResNet.",
    discussion: """
      Prints one JSON object with the median seconds of each task and the peak resident
      memory: forward_s, gradient_s, hvp_s, hvp_block8_s, peak_rss_bytes. Compare with PyTorch
      on the same model and batch with bench/compare-pytorch.sh.
      """)

  @Option(help: "ResNet depth (6n + 2).") var depth = 20
  @Option(help: "Batch size (ignored with --inputs).") var batch = 200
  @Option(help: "Timed repetitions per task; the median is reported.") var repeats = 5
  @Option(help: "Seed for random weights, inputs, labels and directions.") var seed: UInt64 = 0
  @Option(help: "Worker threads (default: all cores).") var threads: Int?
  @Option(
    help: """
      Tasks to run, comma-separated: forward, gradient, hvp, block8 (the default), and the \
      analysis tasks top1, top5, trace, density (each run once: seconds, HVP counts, values), \
      kernels (each convolution tangent kernel of the block of 8 at its ResNet-20 shapes), and \
      onnx (--onnx FILE against the built-in model).
      """)
  var tasks = "forward,gradient,hvp,block8"
  @Option(help: "A safetensors state dict to load instead of random weights.") var weights: String?
  @Option(help: "A .npy file of float32 inputs [N, 3, 32, 32].") var inputs: String?
  @Option(help: "A .npy file of int64 labels [N].") var labels: String?
  @Option(
    help: """
      onnx task: an ONNX export of the same ResNet (with the weights of --weights), timed \
      against the built-in one, alternating.
      """)
  var onnx: String?
  @Option(help: "missrate: the operators' dimension.") var missrateDimension = 10_000
  @Option(help: "missrate: seeds per configuration.") var missrateSeeds = 1000
  @Option(help: "missrate: eigenvalue counts k, comma-separated.") var missrateCounts = "1,3,5,10"
  @Option(help: "missrate: spectrum ends (largest, smallest, bothEnds).")
  var missrateEnds = "largest,smallest"
  @Option(help: "missrate: solvers (default, off, minimum, check, checkS-minM).")
  var missrateSolvers = "default,off"
  @Option(help: "missrate: spectrum shapes (slope, cliff).") var missrateShapes = "slope,cliff"

  mutating func run() throws {
    if let threads { Parallelism.threadCount = threads }
    if tasks == "missrate" {
      var configuration = MissRateConfiguration()
      configuration.dimension = missrateDimension
      configuration.seeds = missrateSeeds
      configuration.counts = missrateCounts.split(separator: ",").compactMap { Int($0) }
      configuration.ends = try missrateEnds.split(separator: ",").map {
        guard let end = SpectrumEnd(rawValue: String($0)) else {
          throw ValidationError("--missrate-ends: unknown end '\($0)'")
        }
        return end
      }
      configuration.shapes = missrateShapes.split(separator: ",").map(String.init)
      configuration.solvers = missrateSolvers.split(separator: ",").map(String.init)
      let report = try missRateReport(configuration)
      let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
      print(String(decoding: data, as: UTF8.self))
      return
    }
    var model = Model<Float>(ResNet(depth: depth), seed: seed)
    var generator = SeededGenerator(seed: seed &+ 1)
    var x = Tensor<Float>(randomNormal: [batch, 3, 32, 32], using: &generator)
    var y = (0..<batch).map { _ in Int(generator.next() % 10) }
    try loadFiles(into: &model, inputs: &x, labels: &y)
    let targets = Targets<Float>.classes(y)
    let loss = LossFunction.crossEntropy(.mean)
    let points = model.parameters.values
    let f = { (p: [Variable<Float>]) in model.loss(loss, inputs: x, targets: targets, parameters: p)
    }
    let v1 = points.map { Tensor<Float>(randomNormal: [1] + $0.shape, using: &generator) }
    let v8 = points.map { Tensor<Float>(randomNormal: [8] + $0.shape, using: &generator) }

    let selected = Set(tasks.split(separator: ",").map(String.init))
    var report: [String: Any] = [:]
    if selected.contains("forward") { report["forward_s"] = median(repeats) { _ = model(x) } }
    if selected.contains("gradient") {
      report["gradient_s"] = median(repeats) { _ = valueWithGradient(at: points, in: f) }
    }
    if selected.contains("hvp") {
      report["hvp_s"] = median(repeats) { _ = hessianVectorProducts(at: points, along: v1, in: f) }
    }
    if selected.contains("block8") {
      report["hvp_block8_s"] = median(repeats) {
        _ = hessianVectorProducts(at: points, along: v8, in: f)
      }
    }
    let kernelShapes = Set(
      selected.filter { $0.hasPrefix("kernels-") }.map { String($0.dropFirst("kernels-".count)) })
    if selected.contains("kernels") || !kernelShapes.isEmpty {
      report.merge(
        kernelReport(
          shapes: kernelShapes, batch: batch, directions: 8, repeats: repeats, using: &generator)
      ) { a, _ in a }
    }
    if selected.contains("onnx") {
      guard let onnx else { throw ValidationError("the onnx task needs --onnx FILE") }
      report.merge(
        try importedModelReport(
          onnx: onnx, builtIn: model, inputs: x, targets: targets, directions: v1, block: v8,
          repeats: repeats)
      ) { a, _ in a }
    }
    report.merge(
      try analysisReport(model: model, inputs: x, targets: targets, tasks: selected, seed: seed)
    ) { a, _ in a }
    report["peak_rss_bytes"] = peakResidentBytes()
    let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
  }

  func loadFiles(
    into model: inout Model<Float>, inputs x: inout Tensor<Float>, labels y: inout [Int]
  ) throws {
    if let weights {
      let contents = try Safetensors.read(contentsOf: URL(fileURLWithPath: weights))
      try model.parameters.load(stateDict: contents.floatingPointTensors(as: Float.self))
    }
    if let inputs {
      x = try NumPy.read(contentsOf: URL(fileURLWithPath: inputs)).floatingPoint(as: Float.self)
      guard x.rank == 4, x.shape[1] == 3 else {
        throw ValidationError("\(inputs): inputs must be [N, 3, H, W], got \(x.shape)")
      }
      if labels == nil { y = (0..<x.shape[0]).map { $0 % 10 } }
    }
    if let labels {
      y = try NumPy.read(contentsOf: URL(fileURLWithPath: labels)).integers()
      guard y.count == x.shape[0] else {
        throw ValidationError("\(labels): \(y.count) labels for \(x.shape[0]) inputs")
      }
      if let bad = y.firstIndex(where: { !(0..<10).contains($0) }) {
        throw ValidationError("\(labels): label \(y[bad]) at index \(bad) is not in 0..<10")
      }
    }
  }
}

/// The median wall-clock seconds of `repeats` runs of `body`, after one untimed warm-up run.
func median(_ repeats: Int, _ body: () -> Void) -> Double {
  body()
  var times: [Double] = []
  for _ in 0..<max(1, repeats) {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  times.sort()
  return times.count % 2 == 1
    ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
}

/// The process's peak resident set size (Linux `VmHWM`), in bytes.
func peakResidentBytes() -> Int {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
    return 0
  }
  for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    return kb * 1024
  }
  return 0
}
