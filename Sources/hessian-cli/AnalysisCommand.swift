// What every subcommand does around its own analysis: set the thread count, pick the
// precision, load and check the workload, time the run, and write the results: extra files
// first, then the JSON (to --json or stdout), each atomically, only after all work succeeded.

import ArgumentParser
import Dispatch
import Foundation
import HessianAnalysis
import NeuralNetworks
import TensorCore
import TensorIO

/// What a subcommand produced: JSON fields, files to write, and a line for people.
struct CommandResult {
  /// The command's own JSON fields (the shared ones are added around them).
  var fields: JSONDocument
  /// Files to write, in order, after the analysis has succeeded.
  var files: [(path: String, contents: Data)] = []
  /// A short human summary for stderr.
  var summary: String
}

/// A subcommand that analyzes the shared workload.
protocol AnalysisCommand: ParsableCommand {
  /// The shared options.
  var options: SharedOptions { get }
  /// The name in `hessian <name>`.
  static var name: String { get }
  /// A directory that receives the files and `report.json`; the JSON is then not printed.
  var reportDirectory: String? { get }
  /// The files the command will write (besides `--json`), checked before any work.
  var outputPaths: [String?] { get }
  /// Runs the analysis on a loaded workload.
  func execute<Scalar: TensorScalar>(
    _ workload: Workload<Scalar>, context: RunContext
  ) throws -> CommandResult
}

/// Shared state of one run.
struct RunContext {
  let options: SharedOptions
  let progress: Progress

  var seed: UInt64 { options.analysis.seed }

  /// The finite-difference or exact backend.
  var method: DifferentiationMethod {
    options.analysis.hvp == .exact ? .exact : .finiteDifference(.automatic)
  }

  /// The parameters the Hessian is taken over.
  var selection: ParameterSelection {
    options.analysis.parameterPattern.map { .matching($0) } ?? .all
  }

  /// The parameter Hessian of the workload (restricted by --parameters), checked for
  /// determinism.
  func hessian<Scalar>(_ workload: Workload<Scalar>) throws -> HessianOperator<Scalar> {
    let check = !options.analysis.skipDeterminismCheck
    if check { progress.note("checking that two gradient passes agree (determinism)") }
    return try explained {
      try HessianOperator(
        model: workload.model, loss: workload.loss, data: workload.data, parameters: selection,
        method: method, checkDeterminism: check)
    }
  }

  /// Whether the library's determinism checks run.
  var checksDeterminism: Bool { !options.analysis.skipDeterminismCheck }
}

/// Runs `body`, rewording a failed determinism check for the command line.
func explained<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as HessianAnalysisError {
    if case .nondeterministic = error {
      throw CLIError(
        error.description.replacingOccurrences(
          of: "pass checkDeterminism: false", with: "pass --skip-determinism-check"))
    }
    throw error
  }
}

extension AnalysisCommand {
  var reportDirectory: String? { nil }
  var outputPaths: [String?] { [] }

  func run() throws {
    let root = Distributed.isRoot
    for path in (outputPaths + [options.analysis.json]).compactMap({ $0 }) where root {
      try checkWritable(path)
    }
    if let threads = options.analysis.threads { Parallelism.threadCount = threads }
    let progress = Progress(quiet: options.analysis.quiet || !root)
    let context = RunContext(options: options, progress: progress)
    let start = DispatchTime.now()
    let (result, model) =
      switch options.model.precision {
      case .single: try execute(Float.self, context: context)
      case .double: try execute(Double.self, context: context)
      }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    var document: JSONDocument = ["command": .string(Self.name)]
    if case .object(let members) = result.fields {
      for member in members { document = document.adding(member.key, member.value) }
    }
    document = document.adding("seed", seedJSON(options.analysis.seed))
      .adding("seconds", .number(seconds))
      .adding("precision", .string(options.model.precision.rawValue))
      .adding("hvp_method", .string(options.analysis.hvp.rawValue))
      .adding("model", model)
    let ranks = Distributed.group.size
    if ranks > 1, let communication = Distributed.communicationJSON {
      document = document.adding("ranks", .integer(ranks))
        .adding("communication", communication)
    }
    guard root else { return }
    if let directory = reportDirectory {
      try createDirectory(directory)
    }
    for file in result.files {
      try writeFileAtomically(file.contents, to: URL(fileURLWithPath: file.path))
    }
    if let directory = reportDirectory {
      try document.write(to: URL(fileURLWithPath: directory).appendingPathComponent("report.json"))
    }
    if let path = options.analysis.json {
      try document.write(to: URL(fileURLWithPath: path))
    } else if reportDirectory == nil {
      print(document.text())
    }
    if reportDirectory != nil { print(result.summary) } else { progress.note(result.summary) }
  }

  private func execute<Scalar: TensorScalar>(
    _ type: Scalar.Type, context: RunContext
  ) throws -> (CommandResult, JSONDocument) {
    var workload = try Workload<Scalar>.load(options, progress: context.progress)
    workload.data = try workload.data.distributed(over: Distributed.group)
    return (try execute(workload, context: context), workload.fields)
  }
}

/// A seed as JSON: an integer, or a string above `Int.max` (JSON readers lose such integers).
func seedJSON(_ seed: UInt64) -> JSONDocument {
  seed <= UInt64(Int.max) ? .integer(Int(seed)) : .string(String(seed))
}

/// Creates `path` (and its parents) unless it is already a directory.
func createDirectory(_ path: String) throws {
  var isDirectory: ObjCBool = false
  if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
    guard isDirectory.boolValue else {
      throw CLIError("\(path) exists and is not a directory")
    }
    return
  }
  do {
    try FileManager.default.createDirectory(
      atPath: path, withIntermediateDirectories: true)
  } catch {
    throw CLIError("cannot create the directory \(path): \(error.localizedDescription)")
  }
}

/// Throws unless `path`'s directory exists and is writable, so that a long analysis does not
/// end in a failed write.
func checkWritable(_ path: String) throws {
  let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
    isDirectory.boolValue
  else {
    throw CLIError("cannot write \(path): the directory \(directory) does not exist")
  }
  guard FileManager.default.isWritableFile(atPath: directory) else {
    throw CLIError("cannot write \(path): the directory \(directory) is not writable")
  }
}
