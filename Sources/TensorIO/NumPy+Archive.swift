// Reading and writing NumPy .npz archives: ZIP files of .npy members.

import Foundation

extension NumPy {
  /// Reads a `.npz` archive written by `numpy.savez` or `numpy.savez_compressed` (Python
  /// `numpy.load(path)`, which never unpickles here).
  ///
  /// Every member is read and checked before the archive is returned: its ZIP records
  /// (including the ZIP64 records NumPy writes), its data stored or deflated (the only methods
  /// NumPy uses), its CRC-32 and size, and its `.npy` contents as ``read(contentsOf:)`` checks
  /// them. Directory entries (names ending in `/`) are skipped.
  ///
  /// - Parameter url: A local file URL.
  /// - Returns: The arrays, named by their member names without `.npy`, in archive order.
  /// - Throws: ``TensorIOError`` naming the file, the array and the byte offset at fault. Errors
  ///   inside a member's `.npy` data name the file as `ARCHIVE/MEMBER` and give offsets within
  ///   the member's decompressed bytes.
  public static func readArchive(contentsOf url: URL) throws -> NumPyArchive {
    try decodeArchive(FileAccess.contents(of: url), path: url.path)
  }

  /// Decodes the bytes of a `.npz` archive held in memory (Python
  /// `numpy.load(io.BytesIO(data))`).
  ///
  /// - Parameters:
  ///   - data: The whole archive.
  ///   - path: The name to use in error messages and ``NumPyArchive/path``.
  /// - Throws: ``TensorIOError``, as ``readArchive(contentsOf:)``.
  public static func decodeArchive(_ data: Data, path: String = "<memory>") throws -> NumPyArchive {
    try data.withUnsafeBytes { file in
      var entries: [(name: String, array: StoredTensor)] = []
      var seen = Set<String>()
      for entry in try ZipDirectory.entries(file, path: path) where !entry.name.hasSuffix("/") {
        guard seen.insert(entry.key).inserted else {
          throw TensorIOError.invalidTensorName(
            path: path, key: entry.key, reason: "appears twice in the archive")
        }
        let array = try ZipDirectory.withContents(of: entry, in: file, path: path) { member in
          try NumPy.decode(bytes: member, path: path + "/" + entry.name)
        }
        entries.append((entry.key, array))
      }
      return NumPyArchive(path: path, entries: entries)
    }
  }

  /// The bytes `numpy.savez` writes for `arrays`, identical to NumPy's output on Unix.
  ///
  /// Each array is a stored (uncompressed) member `NAME.npy` holding the bytes of
  /// ``encode(_:)``, in the order given. ZIP64 records appear where NumPy writes them: in every
  /// local header, and elsewhere for sizes and offsets over 2 GiB. Timestamps are
  /// 1980-01-01 00:00:00, as NumPy's.
  ///
  /// - Parameter arrays: Names and arrays; the names must be distinct and not empty.
  /// - Throws: ``TensorIOError/invalidTensorName(path:key:reason:)`` or
  ///   ``TensorIOError/unsupportedDType(path:key:dtype:reason:)`` for `bfloat16`.
  public static func encodeArchive(_ arrays: [(String, StoredTensor)]) throws -> Data {
    try encodeArchive(arrays, zip64Limit: ZipWriter.zip64Limit)
  }

  /// ``encodeArchive(_:)`` with another ZIP64 threshold, to test the ZIP64 records.
  static func encodeArchive(_ arrays: [(String, StoredTensor)], zip64Limit: Int) throws -> Data {
    let members = try archiveMembers(arrays, path: "<memory>")
    var data = Data()
    ZipWriter.serialize(members, zip64Limit: zip64Limit) { appendBytes($0, to: &data) }
    return data
  }

  /// Writes `arrays` to a `.npz` archive atomically (Python `numpy.savez(path, **arrays)`).
  ///
  /// The bytes are those of ``encodeArchive(_:)``, in the order given. They go to a temporary
  /// file in the same directory, renamed over `url` only when complete: `url` never holds a
  /// partial file, and a failed write leaves nothing behind.
  ///
  /// - Parameters:
  ///   - arrays: Names and arrays; the names must be distinct and not empty.
  ///   - url: The destination, a local file URL; an existing file there is replaced. NumPy
  ///     appends `.npz` to a name without it; this function uses the name as given.
  /// - Throws: ``TensorIOError/invalidTensorName(path:key:reason:)``,
  ///   ``TensorIOError/unsupportedDType(path:key:dtype:reason:)`` for `bfloat16`, or
  ///   ``TensorIOError/writeFailed(path:reason:)``.
  public static func writeArchive(_ arrays: [(String, StoredTensor)], to url: URL) throws {
    let members = try archiveMembers(arrays, path: url.path)
    try FileAccess.writeAtomically(to: url) { write in
      try ZipWriter.serialize(members, into: write)
    }
  }

  /// Writes a dictionary of arrays to a `.npz` archive atomically, sorted by name (Python
  /// `numpy.savez(path, **dict(sorted(arrays.items())))`), like the overload that takes pairs.
  ///
  /// - Throws: As the overload that takes pairs.
  public static func writeArchive(_ arrays: [String: StoredTensor], to url: URL) throws {
    let sorted = arrays.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    try writeArchive(sorted.map { ($0.key, $0.value) }, to: url)
  }

  /// The ZIP members `NAME.npy` for `arrays`, after checking the names.
  private static func archiveMembers(
    _ arrays: [(String, StoredTensor)], path: String
  ) throws -> [ZipWriterMember] {
    var seen = Set<String>()
    return try arrays.map { name, array in
      guard !name.isEmpty else {
        throw TensorIOError.invalidTensorName(path: path, key: name, reason: "the name is empty")
      }
      guard name.utf8.count + 4 <= Int(UInt16.max) else {
        throw TensorIOError.invalidTensorName(
          path: path, key: name, reason: "ZIP member names are limited to 65,535 bytes")
      }
      guard seen.insert(name).inserted else {
        throw TensorIOError.invalidTensorName(path: path, key: name, reason: "appears twice")
      }
      let header: [UInt8]
      do {
        header = try NumPy.header(for: array, path: path)
      } catch TensorIOError.unsupportedDType(let path, _, let dtype, let reason) {
        throw TensorIOError.unsupportedDType(path: path, key: name, dtype: dtype, reason: reason)
      }
      return ZipWriterMember(name: name + ".npy", parts: [header, array.bytes])
    }
  }
}
