// Reading whole files, and writing files atomically: a temporary file in the destination's
// directory, flushed to disk and renamed over the destination, so that a reader never sees a
// half-written file and a failed write leaves nothing behind.

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

enum FileAccess {
  /// The contents of a local file, memory-mapped when the system allows it.
  static func contents(of url: URL) throws -> Data {
    let path = url.path
    guard url.isFileURL else {
      throw TensorIOError.fileUnreadable(path: url.absoluteString, reason: "not a file URL")
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw TensorIOError.fileNotFound(path: path)
    }
    if isDirectory.boolValue {
      throw TensorIOError.fileUnreadable(path: path, reason: "it is a directory")
    }
    // An empty file is read as no bytes without asking Foundation, whose reader leaks its
    // 4 KiB buffer on empty files (LeakSanitizer, `make fuzz`).
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
    if size == 0 { return Data() }
    do {
      return try Data(contentsOf: url, options: .mappedIfSafe)
    } catch {
      throw TensorIOError.fileUnreadable(path: path, reason: error.localizedDescription)
    }
  }

  /// Writes the bytes that `body` passes to its argument, in order, to `url` atomically.
  ///
  /// The bytes go to a new temporary file `.<name>.<UUID>.tmp` next to the destination, which
  /// is flushed with `fsync` and renamed over the destination (`rename(2)` is atomic within a
  /// file system). On any failure the temporary file is removed and the destination keeps its
  /// previous contents, if any.
  static func writeAtomically(
    to url: URL, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
  ) throws {
    let path = url.path
    guard url.isFileURL else {
      throw TensorIOError.writeFailed(path: url.absoluteString, reason: "not a file URL")
    }
    let directory = url.deletingLastPathComponent()
    let temporary = directory.appendingPathComponent(
      ".\(url.lastPathComponent).\(UUID().uuidString).tmp"
    ).path
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard descriptor >= 0 else {
      let code = errno
      throw TensorIOError.writeFailed(
        path: path,
        reason: "cannot create a temporary file in \(directory.path): \(describe(code))")
    }
    var isOpen = true
    var isRenamed = false
    defer {
      if isOpen { _ = close(descriptor) }
      if !isRenamed { _ = unlink(temporary) }
    }
    try body { chunk in
      var offset = 0
      while offset < chunk.count {
        guard let base = chunk.baseAddress else { return }
        let written = write(descriptor, base + offset, chunk.count - offset)
        if written < 0 {
          let code = errno
          if code == EINTR { continue }
          throw TensorIOError.writeFailed(path: path, reason: "write: \(describe(code))")
        }
        offset += written
      }
    }
    guard fsync(descriptor) == 0 else {
      let code = errno
      throw TensorIOError.writeFailed(path: path, reason: "fsync: \(describe(code))")
    }
    isOpen = false
    guard close(descriptor) == 0 else {
      let code = errno
      throw TensorIOError.writeFailed(path: path, reason: "close: \(describe(code))")
    }
    guard rename(temporary, path) == 0 else {
      let code = errno
      throw TensorIOError.writeFailed(path: path, reason: "rename: \(describe(code))")
    }
    isRenamed = true
  }

  /// An `errno` value as text, such as "No such file or directory".
  private static func describe(_ code: Int32) -> String {
    String(cString: strerror(code))
  }
}
