// The processes of one run. Under an MPI launcher (`mpirun -np N hessian ...`) every rank runs
// the same command on its shard of the samples; rank 0 alone prints and writes. Without a
// launcher MPI is not started at all, and nothing changes.

import ArgumentParser
import Foundation
import HessianMPI
import TensorCore
import TensorIO

enum Distributed {
  /// The ranks of this run: MPI_COMM_WORLD under a launcher, else this process alone.
  nonisolated(unsafe) private(set) static var group: any ProcessGroup = SingleProcess.shared
  nonisolated(unsafe) private static var world: MPIProcessGroup?

  /// Whether this process prints and writes results (rank 0).
  static var isRoot: Bool { group.rank == 0 }

  /// Starts MPI when a launcher started this process.
  static func start() {
    guard MPIProcessGroup.isLaunchedByMPI() else { return }
    do {
      let world = try MPIProcessGroup.initialize()
      self.world = world
      group = world
    } catch {
      FileHandle.standardError.write(Data("hessian: error: \(error)\n".utf8))
      Foundation.exit(1)
    }
  }

  /// The collectives this rank ran, as JSON (nil in one process).
  static var communicationJSON: JSONDocument? {
    guard let world, world.size > 1 else { return nil }
    let s = world.statistics
    return [
      "collectives": .integer(s.collectives), "bytes": .integer(s.bytes),
      "seconds": .number(s.seconds),
    ]
  }

  /// Ends MPI after a successful run.
  static func finish() { world?.finalize() }

  /// Ends the run after `error` (a failed analysis, bad input or a help request), as
  /// ArgumentParser would in one process. Under MPI a help request is printed by rank 0; an
  /// error aborts every rank (MPI_Abort) with its message, so that no rank waits forever in
  /// a collective for a rank that has stopped.
  static func exit(withError error: Error) -> Never {
    guard let world, world.size > 1 else { Hessian.exit(withError: error) }
    let code = Hessian.exitCode(for: error)
    if code.isSuccess {
      if isRoot { print(Hessian.fullMessage(for: error)) }
      world.finalize()
      Foundation.exit(code.rawValue)
    }
    // An error that every rank meets (a missing file, a bad option) is then printed once, by
    // rank 0, whose abort ends the others during this pause.
    if !isRoot { Thread.sleep(forTimeInterval: 1) }
    let message = Hessian.fullMessage(for: error)
    FileHandle.standardError.write(
      Data("\(message) (rank \(world.rank) of \(world.size))\n".utf8))
    world.abort(code: code.rawValue == 0 ? 1 : code.rawValue)
  }
}
