// Runs the built `hessian` executable in a subprocess, as a user would, and creates the tiny
// fixture files the end-to-end tests read (written with TensorIO, not by the code under test's
// own paths).

import Foundation
import TensorCore
import TensorIO
import Testing
import _TestSupport

/// The outcome of one run of `hessian`.
struct CLIRun {
  var status: Int32
  var stdout: String
  var stderr: String

  /// The JSON printed on stdout, parsed by Foundation (an independent parser).
  func json() throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
    guard let dictionary = object as? [String: Any] else {
      throw CLITestError("stdout is not a JSON object: \(stdout.prefix(200))")
    }
    return dictionary
  }
}

struct CLITestError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

enum CLI {
  /// The `hessian` binary next to the test bundle (`swift build --build-tests` builds it).
  static let executable: URL = {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for directory in [bundle, bundle.deletingLastPathComponent()] {
      let candidate = directory.appendingPathComponent("hessian")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
      .appendingPathComponent(".build/debug/hessian")
  }()

  /// Runs `hessian arguments...` in `directory` with an 80-column, non-terminal environment.
  static func run(_ arguments: [String], in directory: URL? = nil) throws -> CLIRun {
    try run(executable, arguments, in: directory)
  }

  /// Runs `program arguments...`, killed after `timeout` seconds if given (the run's status is
  /// then the signal's).
  static func run(
    _ program: URL, _ arguments: [String], in directory: URL? = nil,
    environment extra: [String: String] = [:], timeout: Double? = nil
  ) throws -> CLIRun {
    let process = Process()
    process.executableURL = program
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    var environment = ProcessInfo.processInfo.environment
    environment["COLUMNS"] = "80"
    environment.merge(extra) { $1 }
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes to the end before waiting, so a full pipe cannot block the child.
    final class Box: @unchecked Sendable { var data = Data() }
    let errors = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errors.data = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    if let timeout {
      DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
      }
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return CLIRun(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errors.data, as: UTF8.self))
  }
}

/// A fresh temporary directory, removed by `remove()`.
struct Scratch {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "hessian-cli-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  /// The names of the files in the directory, sorted.
  func contents() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
  }

  func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The 2-2-1 linear network of seed notebook 001: W = [[2, 3], [4, 1]], V = [2, 1], x = [1, 1],
/// y = 14, loss (y_hat - y)^2, as files, and its hand-worked Hessian.
enum Seed001Files {
  /// The options that select the network and its files in `scratch`.
  static func arguments(in scratch: Scratch) throws -> [String] {
    try Safetensors.write(
      [
        ("0.weight", StoredTensor(Tensor<Double>(shape: [2, 2], scalars: [2, 3, 4, 1]))),
        ("2.weight", StoredTensor(Tensor<Double>(shape: [1, 2], scalars: [2, 1]))),
      ], to: URL(fileURLWithPath: scratch.path("w.safetensors")))
    try NumPy.write(
      StoredTensor(Tensor<Double>(shape: [1, 2], scalars: [1, 1])),
      to: URL(fileURLWithPath: scratch.path("x.npy")))
    try NumPy.write(
      StoredTensor(Tensor<Double>(shape: [1, 1], scalars: [14])),
      to: URL(fileURLWithPath: scratch.path("y.npy")))
    return [
      "--model", "mlp", "--widths", "2,2,1", "--activation", "identity", "--no-bias",
      "--loss", "mse", "--weights", scratch.path("w.safetensors"),
      "--inputs", scratch.path("x.npy"), "--labels", scratch.path("y.npy"),
      "--precision", "double", "--quiet",
    ]
  }

  /// The hand-worked Hessian over (w11, w12, w21, w22, v1, v2) and its eigenvalues.
  static let hessian = Seed001Oracle.hessian
  static let eigenvalues = Seed001Oracle.eigenvalues

  /// The loss at parameters (w11, w12, w21, w22, v1, v2): ((v W x) - 14)^2 with x = (1, 1).
  static func loss(_ p: [Double]) -> Double {
    let h1 = p[0] + p[1]
    let h2 = p[2] + p[3]
    let r = p[4] * h1 + p[5] * h2 - 14
    return r * r
  }
}

/// `a` and `b` agree to `atol + rtol |b|` elementwise.
func close(_ a: [Double], _ b: [Double], rtol: Double = 0, atol: Double) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= atol + rtol * abs($1) }
}

extension Dictionary where Key == String, Value == Any {
  func numbers(_ key: String) -> [Double] {
    (self[key] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? []
  }
  func number(_ key: String) -> Double? { (self[key] as? NSNumber)?.doubleValue }
  func object(_ key: String) -> [String: Any] { self[key] as? [String: Any] ?? [:] }
  func objects(_ key: String) -> [[String: Any]] { self[key] as? [[String: Any]] ?? [] }
}
