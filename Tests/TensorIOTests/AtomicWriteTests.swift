// Atomic writes: a failed write leaves no file and no temporary file; a good one replaces.

import Foundation
import Testing

@testable import TensorIO

@Suite struct AtomicWriteTests {
  static let tensor = StoredTensor(integers: [Int32(1), 2, 3], shape: [3])

  @Test func writingIntoAMissingDirectoryLeavesNothing() throws {
    try withTemporaryDirectory { directory throws in
      let url = directory.appendingPathComponent("missing/model.safetensors")
      let error = #expect(throws: TensorIOError.self) {
        try Safetensors.write(["w": Self.tensor], to: url)
      }
      #expect(error?.description == "\(url.path): cannot write the file (nothing was written"
        + " there): cannot create a temporary file in \(directory.path)/missing: No such file or"
        + " directory")
      #expect(!FileManager.default.fileExists(atPath: url.path))
      #expect(try listing(directory) == [])
    }
  }

  @Test func failedRenameRemovesTheTemporaryFile() throws {
    try withTemporaryDirectory { directory throws in
      // A non-empty directory at the destination makes rename(2) fail after the data is written.
      let url = directory.appendingPathComponent("labels.npy")
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
      try Data([1]).write(to: url.appendingPathComponent("keep"))
      let error = #expect(throws: TensorIOError.self) { try NumPy.write(Self.tensor, to: url) }
      guard case .writeFailed(let path, let reason) = error else {
        Issue.record("expected writeFailed, got \(String(describing: error))")
        return
      }
      #expect(path == url.path && reason.hasPrefix("rename: "))
      #expect(try listing(directory) == ["labels.npy"])
      #expect(try listing(url) == ["keep"])
    }
  }

  @Test func successfulWritesReplaceAndLeaveNoTemporaryFiles() throws {
    try withTemporaryDirectory { directory throws in
      let url = directory.appendingPathComponent("labels.npy")
      try Data("old contents".utf8).write(to: url)
      try NumPy.write(Self.tensor, to: url)
      #expect(try NumPy.read(contentsOf: url) == Self.tensor)
      let other = StoredTensor(integers: [Int64(9)], shape: [])
      try NumPy.write(other, to: url)
      #expect(try NumPy.read(contentsOf: url) == other)
      try Safetensors.write(["t": other], to: directory.appendingPathComponent("t.safetensors"))
      #expect(try listing(directory) == ["labels.npy", "t.safetensors"])
    }
  }

  @Test func nonFileURLsAreRejected() throws {
    let url = try #require(URL(string: "https://example.com/model.safetensors"))
    let read = #expect(throws: TensorIOError.self) { try Safetensors.read(contentsOf: url) }
    #expect(read == .fileUnreadable(path: url.absoluteString, reason: "not a file URL"))
    let write = #expect(throws: TensorIOError.self) { try NumPy.write(Self.tensor, to: url) }
    #expect(write == .writeFailed(path: url.absoluteString, reason: "not a file URL"))
  }
}
