// NumPy .npz: archives written by numpy.savez and savez_compressed, byte-identical writing,
// ZIP64 records, and round trips through files.

import Foundation
import TensorCore
import Testing

@testable import TensorIO

@Suite struct NumPyArchiveTests {
  typealias Fixtures = NumPyArchiveFixtures

  @Test func readsAndWritesNumPysBytes() throws {
    let archive = try NumPy.decodeArchive(Fixtures.plain, path: "data.npz")
    #expect(archive.names == ["w", "y"] && archive.count == 2 && archive.path == "data.npz")
    #expect(archive["w"] == Fixtures.w && archive["y"] == Fixtures.y && archive["z"] == nil)
    #expect(try archive.array(named: "y").integers() == [3, 1, 4])
    #expect(archive.map(\.name) == ["w", "y"] && archive[1].array == Fixtures.y)
    let encoded = try NumPy.encodeArchive([("w", Fixtures.w), ("y", Fixtures.y)])
    #expect(encoded == Fixtures.plain)
    let missing = #expect(throws: TensorIOError.self) { try archive.array(named: "x") }
    #expect(missing?.description == "data.npz: no tensor named \"x\" (the file holds \"w\", \"y\")")
  }

  @Test func readsAndWritesZIP64Records() throws {
    let archive = try NumPy.decodeArchive(Fixtures.zip64)
    #expect(archive.names == ["w", "y"] && archive["w"] == Fixtures.w && archive["y"] == Fixtures.y)
    let encoded = try NumPy.encodeArchive([("w", Fixtures.w), ("y", Fixtures.y)], zip64Limit: 100)
    #expect(encoded == Fixtures.zip64)
    // Everything in ZIP64 fields: sizes, offsets, the directory's size and offset.
    let tiny = try NumPy.encodeArchive([("a", Fixtures.y), ("b", Fixtures.w), ("c", Fixtures.y)], zip64Limit: 0)
    #expect(try NumPy.decodeArchive(tiny).map(\.array) == [Fixtures.y, Fixtures.w, Fixtures.y])
  }

  @Test func readsCompressedArchives() throws {
    let archive = try NumPy.decodeArchive(Fixtures.compressed)
    #expect(archive.names == ["a", "labels"])
    let a = try archive.array(named: "a")
    #expect(a.dtype == .float32 && a.shape == [1000])
    let expected: [Float] = (0..<1000).map { (index: Int) -> Float in Float(index * 7919 % 1013) / 8 }
    #expect(a.floatingPoint(as: Float.self).scalars == expected)
    #expect(try archive.array(named: "labels").integers() == Array(0..<10))
  }

  @Test func readsStreamedUTF8AndHandMadeArchives() throws {
    // Sizes and CRC come from the central directory, not the local header (zero here).
    #expect(try NumPy.decodeArchive(Fixtures.streamed).map(\.array) == [Fixtures.w])
    let utf8 = try NumPy.decodeArchive(Fixtures.utf8)
    #expect(utf8.names == ["α"] && utf8["α"]?.bytes == [1, 2])
    #expect(try NumPy.encodeArchive([("α", StoredTensor(integers: [UInt8(1), 2], shape: [2]))]) == Fixtures.utf8)
    // The directory entry is skipped and "sub/x" read, before the bzip2 member fails.
    let error = #expect(throws: TensorIOError.self) { try NumPy.decodeArchive(Fixtures.bzip2, path: "hand.npz") }
    #expect(error == .unsupportedCompression(
      path: "hand.npz", key: "z", offset: 473, method: 12,
      reason: "bzip2; only 0 (stored, numpy.savez) and 8 (deflate, numpy.savez_compressed) are"
        + " supported"))
    #expect(error?.description == "hand.npz: tensor \"z\": byte 473: unsupported compression method"
      + " 12: bzip2; only 0 (stored, numpy.savez) and 8 (deflate, numpy.savez_compressed) are"
      + " supported")
  }

  @Test func writesFilesAtomicallyAndRoundTrips() throws {
    try withTemporaryDirectory { directory in
      var arrays: [(String, StoredTensor)] = []
      for (index, dtype) in DType.allCases.enumerated() where dtype != .bfloat16 {
        let bytes = (0..<(6 * dtype.byteCount)).map { UInt8(truncatingIfNeeded: $0 * 31 + index) }
        arrays.append(("\(dtype.rawValue).weight", try StoredTensor(dtype: dtype, shape: [3, 2], bytes: bytes)))
      }
      arrays.append(("scalar", StoredTensor(integers: [Int64(-1)], shape: [])))
      arrays.append(("empty", StoredTensor(Tensor<Double>(shape: [0, 4], scalars: []))))
      let url = directory.appendingPathComponent("all.npz")
      try NumPy.writeArchive(arrays, to: url)
      let archive = try NumPy.readArchive(contentsOf: url)
      #expect(archive.names == arrays.map(\.0))
      #expect(archive.map(\.array) == arrays.map(\.1))
      #expect(try Data(contentsOf: url) == NumPy.encodeArchive(arrays))

      let sorted = directory.appendingPathComponent("sorted.npz")
      try NumPy.writeArchive(["y": Fixtures.y, "w": Fixtures.w], to: sorted)
      #expect(try Data(contentsOf: sorted) == Fixtures.plain)
      #expect(try listing(directory) == ["all.npz", "sorted.npz"])
    }
  }

  @Test func refusesNamesAndDTypesNumPyCannotHold() throws {
    try withTemporaryDirectory { directory throws in
      let url = directory.appendingPathComponent("bad.npz")
      let cases: [([(String, StoredTensor)], TensorIOError)] = [
        ([("", Fixtures.y)], .invalidTensorName(path: url.path, key: "", reason: "the name is empty")),
        ([("w", Fixtures.w), ("w", Fixtures.y)], .invalidTensorName(path: url.path, key: "w", reason: "appears twice")),
      ]
      for (arrays, expected) in cases {
        #expect(throws: expected) { try NumPy.writeArchive(arrays, to: url) }
      }
      let bf16 = StoredTensor(Tensor<Float>(shape: [1], scalars: [1]), as: .bfloat16)
      let error = #expect(throws: TensorIOError.self) {
        try NumPy.writeArchive([("w", Fixtures.w), ("h", bf16)], to: url)
      }
      #expect(error?.description.hasPrefix("\(url.path): tensor \"h\": unsupported dtype BF16: NumPy has no bfloat16") == true)
      #expect(try listing(directory) == [])
    }
  }
}
