// MPI_COMM_WORLD as a ProcessGroup: the data-parallel sum of HessianAnalysis over the
// processes `mpirun` started, on one machine or many. Open MPI from Debian, through the
// CHessianMPI system module.

import CHessianMPI
import Foundation
import TensorCore

/// The processes of `MPI_COMM_WORLD`, as a ``ProcessGroup`` for
/// ``DataSet/distributed(over:)``.
///
/// ```swift
/// let world = try MPIProcessGroup.initialize()       // once, before any other MPI call
/// let shard = try data.distributed(over: world)      // this rank's samples
/// let hessian = try HessianOperator(model: model, loss: .crossEntropy(.mean), data: shard)
/// let top = try eigenpairs(of: hessian, count: 5, seed: 0)   // the same on every rank
/// if world.rank == 0 { print(top.eigenvalues) }
/// world.finalize()
/// ```
///
/// Launch with `mpirun -np N program ...` (add `--hostfile` for several machines). MPI errors
/// keep Open MPI's default handler, `MPI_ERRORS_ARE_FATAL`: a failed transfer or a dead peer
/// ends every rank instead of leaving one waiting.
public final class MPIProcessGroup: ProcessGroup, @unchecked Sendable {
  public let rank: Int
  public let size: Int
  private let communicator: MPI_Comm
  /// What this rank's collectives have cost so far.
  public private(set) var statistics = CommunicationStatistics()

  private init(communicator: MPI_Comm) {
    var r: Int32 = 0
    var s: Int32 = 0
    MPI_Comm_rank(communicator, &r)
    MPI_Comm_size(communicator, &s)
    self.communicator = communicator
    self.rank = Int(r)
    self.size = Int(s)
  }

  /// Whether this process was started by an MPI launcher (`mpirun`, `mpiexec`, `srun`): the
  /// environment variables Open MPI, PMIx and PMI set for their processes.
  public static func isLaunchedByMPI(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> Bool {
    ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"].contains {
      environment[$0] != nil
    }
  }

  /// Initializes MPI (`MPI_Init_thread`, calls from one thread at a time) and returns
  /// `MPI_COMM_WORLD`. Call once per process; without a launcher this is MPI's singleton
  /// initialization, a world of one process.
  ///
  /// - Throws: ``ProcessGroupError/transport(_:)`` when MPI cannot start.
  public static func initialize() throws -> MPIProcessGroup {
    var provided: Int32 = 0
    let code = MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SERIALIZED), &provided)
    guard code == MPI_SUCCESS else {
      throw ProcessGroupError.transport("MPI_Init_thread failed (\(message(code)))")
    }
    return MPIProcessGroup(communicator: hessian_mpi_comm_world())
  }

  /// Ends MPI in this process (`MPI_Finalize`); every rank calls it once, after its last
  /// collective.
  public func finalize() { MPI_Finalize() }

  /// Ends every rank of the job with `code` (`MPI_Abort`): what a rank does on an error that
  /// the others cannot know about, so that none of them waits forever in a collective.
  public func abort(code: Int32) -> Never {
    MPI_Abort(communicator, code)
    exit(code)
  }

  public func gatherToRoot(
    _ bytes: UnsafeRawBufferPointer, into receive: UnsafeMutableRawBufferPointer?
  ) throws {
    let count = try Self.count(bytes.count)
    let start = MPI_Wtime()
    let code = MPI_Gather(
      bytes.baseAddress, count, hessian_mpi_byte(), receive?.baseAddress, count,
      hessian_mpi_byte(), 0, communicator)
    statistics.record(seconds: MPI_Wtime() - start, bytes: bytes.count)
    guard code == MPI_SUCCESS else {
      throw ProcessGroupError.transport("MPI_Gather failed (\(Self.message(code)))")
    }
  }

  public func broadcastFromRoot(_ bytes: UnsafeMutableRawBufferPointer) throws {
    let count = try Self.count(bytes.count)
    let start = MPI_Wtime()
    let code = MPI_Bcast(bytes.baseAddress, count, hessian_mpi_byte(), 0, communicator)
    statistics.record(seconds: MPI_Wtime() - start, bytes: bytes.count)
    guard code == MPI_SUCCESS else {
      throw ProcessGroupError.transport("MPI_Bcast failed (\(Self.message(code)))")
    }
  }

  /// MPI counts are 32-bit.
  private static func count(_ bytes: Int) throws -> Int32 {
    guard let count = Int32(exactly: bytes) else {
      throw ProcessGroupError.transport(
        "a message of \(bytes) bytes is beyond MPI's 2 GiB count; select fewer parameters")
    }
    return count
  }

  /// MPI's text for an error code.
  private static func message(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &buffer, &length)
    return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

/// The collectives a rank has run: how many, the bytes of their messages, and the seconds spent
/// in them (transfer and waiting for slower ranks).
public struct CommunicationStatistics: Sendable, Equatable {
  /// Gathers and broadcasts.
  public var collectives = 0
  /// The bytes of this rank's messages (each gather's contribution and each broadcast).
  public var bytes = 0
  /// Wall-clock seconds inside the collectives (`MPI_Wtime`).
  public var seconds = 0.0

  mutating func record(seconds: Double, bytes: Int) {
    collectives += 1
    self.bytes += bytes
    self.seconds += seconds
  }
}
