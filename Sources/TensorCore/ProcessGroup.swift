// The processes that share a data-parallel computation, and the one collective the analysis
// needs: a sum over ranks that every rank receives bit for bit identical. The MPI
// implementation lives in HessianMPI; a single process needs none.

/// The processes (ranks) that each hold a shard of the data and run the same analysis, as
/// PyTorch's `torch.distributed.ProcessGroup`.
///
/// The algorithms' vector work runs replicated on every rank, so every rank must see the same
/// sums, to the last bit, or iterative methods such as Lanczos drift apart and stop at
/// different steps. Implementations therefore provide only gather-to-root and broadcast, and
/// ``sumInRankOrder(value:vector:fingerprint:)`` adds the ranks' contributions on rank 0 in
/// rank order and broadcasts the result: a fixed order, whatever the transport.
///
/// Conforming types must be safe to call from one thread at a time; the analysis never calls
/// them concurrently.
public protocol ProcessGroup: AnyObject, Sendable {
  /// This process's rank, `0..<size`.
  var rank: Int { get }
  /// The number of processes.
  var size: Int { get }
  /// Sends `bytes` (the same count on every rank) to rank 0, which receives every rank's bytes
  /// concatenated in rank order in `receive` (`size * bytes.count` bytes; nil on other ranks).
  /// MPI `MPI_Gather`.
  func gatherToRoot(
    _ bytes: UnsafeRawBufferPointer, into receive: UnsafeMutableRawBufferPointer?) throws
  /// Replaces `bytes` on every rank with rank 0's (the same count on every rank). MPI
  /// `MPI_Bcast`.
  func broadcastFromRoot(_ bytes: UnsafeMutableRawBufferPointer) throws
}

/// A failure of a collective operation.
public enum ProcessGroupError: Error, CustomStringConvertible, Equatable {
  /// The ranks entered a reduction with different inputs (operand fingerprints): their
  /// replicated states have drifted apart, for example through BLAS kernels that round
  /// differently on different CPUs.
  case ranksDisagree(firstRank: Int, count: Int)
  /// The transport failed (an MPI error code and its message).
  case transport(String)

  public var description: String {
    switch self {
    case let .ranksDisagree(firstRank, count):
      "\(count) rank(s), the first rank \(firstRank), entered a data reduction "
        + "with inputs that differ from rank 0's: the replicated computation "
        + "has drifted apart (different CPUs or BLAS kernels? set the same OPENBLAS_CORETYPE "
        + "on every host)"
    case let .transport(message): "MPI: \(message)"
    }
  }
}

/// The group of one process: the default of every data set.
public final class SingleProcess: ProcessGroup {
  /// The single-process group.
  public static let shared = SingleProcess()

  public var rank: Int { 0 }
  public var size: Int { 1 }

  public func gatherToRoot(
    _ bytes: UnsafeRawBufferPointer, into receive: UnsafeMutableRawBufferPointer?
  ) throws {
    guard let receive, let source = bytes.baseAddress, let target = receive.baseAddress,
      !bytes.isEmpty
    else { return }
    target.copyMemory(from: source, byteCount: bytes.count)
  }

  public func broadcastFromRoot(_ bytes: UnsafeMutableRawBufferPointer) throws {}
}

extension ProcessGroup {
  /// Whether this is the only process.
  public var isSingleProcess: Bool { size == 1 }

  /// `(sum_r value_r, sum_r vector_r)` over the ranks, added on rank 0 in rank order and
  /// broadcast, so that every rank holds the same bits. Every rank passes a vector of the same
  /// shape (or none on every rank).
  ///
  /// `fingerprint` summarizes the inputs this reduction depends on (such as the direction of
  /// a Hessian-vector product); ranks whose fingerprint differs from rank 0's make every rank
  /// throw ``ProcessGroupError/ranksDisagree(firstRank:count:)``.
  ///
  /// - Complexity: one gather of `8 (2 + n)` or `8 * 2 + 4 n` bytes per rank to rank 0 and
  ///   one broadcast of the same size, for a vector of `n` elements.
  public func sumInRankOrder<Scalar: TensorScalar>(
    value: Double, vector: Tensor<Scalar>?, fingerprint: UInt64
  ) throws -> (value: Double, vector: Tensor<Scalar>?) {
    if size == 1 { return (value, vector) }
    let n = vector?.count ?? 0
    let header = 2 * MemoryLayout<UInt64>.size
    let stride = header + n * MemoryLayout<Scalar>.stride
    var message = [UInt8](repeating: 0, count: stride)
    message.withUnsafeMutableBytes { m in
      m.storeBytes(of: fingerprint, toByteOffset: 0, as: UInt64.self)
      m.storeBytes(of: value.bitPattern, toByteOffset: 8, as: UInt64.self)
      vector?.withUnsafeBufferPointer { v in
        guard n > 0 else { return }
        UnsafeMutableRawBufferPointer(rebasing: m[header...]).copyMemory(
          from: UnsafeRawBufferPointer(v))
      }
    }
    var result = [UInt8](repeating: 0, count: stride)
    if rank == 0 {
      var all = [UInt8](repeating: 0, count: stride * size)
      try message.withUnsafeBytes { m in
        try all.withUnsafeMutableBytes { try gatherToRoot(m, into: $0) }
      }
      all.withUnsafeBytes { a in
        result.withUnsafeMutableBytes { r in
          let base = a.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
          var disagreeing: UInt32 = 0
          var first: UInt32 = 0
          var total = 0.0
          for k in 0..<size {
            if a.loadUnaligned(fromByteOffset: k * stride, as: UInt64.self) != base {
              if disagreeing == 0 { first = UInt32(k) }
              disagreeing += 1
            }
            total += Double(bitPattern: a.loadUnaligned(fromByteOffset: k * stride + 8, as: UInt64.self))
          }
          r.storeBytes(of: disagreeing, toByteOffset: 0, as: UInt32.self)
          r.storeBytes(of: first, toByteOffset: 4, as: UInt32.self)
          r.storeBytes(of: total.bitPattern, toByteOffset: 8, as: UInt64.self)
          guard n > 0 else { return }
          let width = MemoryLayout<Scalar>.stride
          for i in 0..<n {
            var x = a.loadUnaligned(fromByteOffset: header + i * width, as: Scalar.self)
            for k in 1..<size {
              x += a.loadUnaligned(
                fromByteOffset: k * stride + header + i * width, as: Scalar.self)
            }
            r.storeBytes(of: x, toByteOffset: header + i * width, as: Scalar.self)
          }
        }
      }
    } else {
      try message.withUnsafeBytes { try gatherToRoot($0, into: nil) }
    }
    try result.withUnsafeMutableBytes { try broadcastFromRoot($0) }
    return try result.withUnsafeBytes { r in
      let disagreeing = r.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
      if disagreeing != 0 {
        throw ProcessGroupError.ranksDisagree(
          firstRank: Int(r.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
          count: Int(disagreeing))
      }
      let total = Double(bitPattern: r.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
      guard let vector else { return (total, nil) }
      let sum = Tensor<Scalar>(shape: vector.shape) { out in
        for i in 0..<n {
          out[i] = r.loadUnaligned(
            fromByteOffset: header + i * MemoryLayout<Scalar>.stride, as: Scalar.self)
        }
      }
      return (total, sum)
    }
  }

  /// The element-wise sum over ranks of `values` (the same count on every rank), in rank
  /// order; with each rank filling only its own entries this gathers them on every rank.
  public func sumInRankOrder(_ values: [Double]) throws -> [Double] {
    if size == 1 { return values }
    let r = try sumInRankOrder(
      value: 0, vector: Tensor<Double>(shape: [values.count], scalars: values), fingerprint: 0)
    return r.vector!.scalars
  }
}

/// A 64-bit FNV-1a fingerprint of the bits of `tensors`, for
/// ``ProcessGroup/sumInRankOrder(value:vector:fingerprint:)``.
public func fingerprint<Scalar: TensorScalar>(_ tensors: [Tensor<Scalar>]) -> UInt64 {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for t in tensors {
    t.withUnsafeBufferPointer { b in
      let bytes = UnsafeRawBufferPointer(b)
      let words = bytes.count / 8
      for i in 0..<words {
        hash = (hash ^ bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
          &* 0x100_0000_01b3
      }
      for i in (8 * words)..<bytes.count {
        hash = (hash ^ UInt64(bytes[i])) &* 0x100_0000_01b3
      }
    }
  }
  return hash
}
