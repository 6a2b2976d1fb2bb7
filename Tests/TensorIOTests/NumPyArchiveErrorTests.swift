// NumPy .npz: every damaged archive is a typed error naming the file, the array and the
// offset. Offsets refer to NumPyArchiveFixtures.plain unless stated (see its layout there).

import Foundation
import Testing

@testable import TensorIO

@Suite struct NumPyArchiveErrorTests {
  static let path = "data.npz"
  typealias Fixtures = NumPyArchiveFixtures

  func failure(_ file: Data) -> TensorIOError? {
    #expect(throws: TensorIOError.self) { try NumPy.decodeArchive(file, path: Self.path) }
  }

  /// `file` with the little-endian `value` stored at `offset`.
  func patched<Integer: FixedWidthInteger>(_ file: Data, _ offset: Int, _ value: Integer) -> Data {
    var file = file
    file.replaceSubrange(offset..<(offset + MemoryLayout<Integer>.size), with: littleEndianBytes([value]))
    return file
  }

  @Test func truncatedArchives() {
    let cut = failure(Fixtures.plain.prefix(500))
    #expect(cut == .malformedHeader(
      path: Self.path, offset: 478,
      reason: "no ZIP end-of-central-directory record (PK\\5\\6): not a ZIP (.npz) archive"))
    #expect(cut?.description == "data.npz: byte 478: malformed header: no ZIP end-of-central-"
      + "directory record (PK\\5\\6): not a ZIP (.npz) archive")
    let tiny = failure(Fixtures.plain.prefix(10))
    #expect(tiny?.description.hasSuffix("(the record alone needs 22 bytes, the file has 10)") == true)
    let npy = failure(Data(NumPyTests.float32Array))
    #expect(npy?.description.hasSuffix("; it is a .npy file (read it with NumPy.read(contentsOf:))") == true)
    // y's compressed size (directory entry at 465, field at +20) beyond the end of the file.
    let long = failure(patched(Fixtures.plain, 485, UInt32(4000)))
    #expect(long == .truncatedFile(
      path: Self.path, what: "the 4000 bytes of tensor \"y\" at byte 262", expectedBytes: 4262,
      foundBytes: 538))
  }

  @Test func badChecksum() {
    var file = Fixtures.plain
    file[200] ^= 0x40  // in w's data, 55..<207
    // Python: zlib.crc32(file[55:207]) after the same flip.
    let computed: UInt32 = 3_758_877_043
    let error = failure(file)
    #expect(error == .checksumMismatch(
      path: Self.path, key: "w", offset: 430, what: "CRC-32", recorded: 2_751_503_370,
      computed: computed))
    #expect(error?.description.hasPrefix(
      "data.npz: tensor \"w\": byte 430: CRC-32 mismatch: the file records 0xA4009C0A but the data give 0x")
      == true)
  }

  @Test func badCentralDirectoryOffsets() {
    // The end record's directory offset (at 532) pointing into y's data, then past the end.
    let inside = failure(patched(Fixtures.plain, 532, UInt32(400)))
    #expect(inside == .malformedData(
      path: Self.path, key: nil, offset: 400,
      reason: "expected central directory entry 1 of 2 (signature PK\\1\\2 = 50 4b 01 02), found"
        + " 00 00 00 00"))
    let beyond = failure(patched(Fixtures.plain, 532, UInt32(500)))
    #expect(beyond == .malformedData(
      path: Self.path, key: nil, offset: 532,
      reason: "the central directory (102 bytes at byte 500) does not fit before the"
        + " end-of-central-directory record at byte 516"))
    // More entries than the directory holds.
    let count = failure(patched(patched(Fixtures.plain, 524, UInt16(3)), 526, UInt16(3)))
    #expect(count == .malformedData(
      path: Self.path, key: nil, offset: 516,
      reason: "the fixed part of central directory entry 3 of 3 runs past the end of the central"
        + " directory at byte 516"))
    // y's local header offset (entry at 465, field at +42) pointing into w's data.
    let local = failure(patched(Fixtures.plain, 507, UInt32(100)))
    #expect(local == .malformedData(
      path: Self.path, key: "y", offset: 507,
      reason: "the central directory places the local header at byte 100, where there is none"
        + " (signature PK\\3\\4)"))
    // The ZIP64 locator (at 620 in the zip64 archive) pointing to a wrong place.
    let locator = #expect(throws: TensorIOError.self) {
      try NumPy.decodeArchive(patched(Fixtures.zip64, 628, UInt64(10)), path: Self.path)
    }
    #expect(locator == .malformedData(
      path: Self.path, key: nil, offset: 628,
      reason: "the ZIP64 locator points to byte 10, where there is no ZIP64 end-of-central-"
        + "directory record (PK\\6\\6) before the locator"))
    let disks = failure(patched(Fixtures.plain, 520, UInt16(1)))
    #expect(disks?.description == "data.npz: byte 520: the archive spans several disks (a split"
      + " ZIP), which is not supported")
  }

  @Test func inconsistentEntries() {
    var name = Fixtures.plain
    name[30] = UInt8(ascii: "v")
    #expect(failure(name) == .malformedData(
      path: Self.path, key: "w", offset: 30,
      reason: "the local header's name differs from the central directory's \"w.npy\""))
    var duplicate = Fixtures.plain
    duplicate[237] = UInt8(ascii: "w")
    duplicate[511] = UInt8(ascii: "w")
    #expect(failure(duplicate) == .invalidTensorName(
      path: Self.path, key: "w", reason: "appears twice in the archive"))
    let stored = failure(patched(Fixtures.plain, 438, UInt32(153)))
    #expect(stored == .malformedData(
      path: Self.path, key: "w", offset: 434,
      reason: "a stored member's compressed size 152 differs from its size 153"))
    let encrypted = failure(patched(Fixtures.plain, 422, UInt16(1)))
    #expect(encrypted == .unsupportedCompression(
      path: Self.path, key: "w", offset: 422, method: 0, reason: "the member is encrypted"))
  }

  @Test func corruptCompressedMembers() throws {
    // a's DEFLATE data start at byte 55; its directory entry is at 2542.
    var blockType = Fixtures.compressed
    blockType[55] |= 0x06
    #expect(failure(blockType) == .malformedData(
      path: Self.path, key: "a", offset: 55, reason: "corrupt compressed data: invalid block type"))
    // A dynamic block header whose code-length code is oversubscribed: a bad Huffman code.
    var huffman = Fixtures.compressed
    // Bits, least significant first: BFINAL 1, BTYPE 2 (dynamic), HLIT = HDIST = HCLEN = 0
    // (14 bits), then four code-length code lengths of 1: four 1-bit codes, one too many.
    let bytes: [UInt8] = [5, 0, 146, 4]
    huffman.replaceSubrange(55..<(55 + bytes.count), with: bytes)
    let error = failure(huffman)
    // zlib reports it once it has read the four code lengths, in bytes 55 to 58.
    #expect(error == .malformedData(
      path: Self.path, key: "a", offset: 58,
      reason: "corrupt compressed data: invalid code lengths set"))
    #expect(error?.description == "data.npz: tensor \"a\": byte 58: corrupt compressed data:"
      + " invalid code lengths set")
    // Sizes in the directory that disagree with the data: a's size (4128) at 2542 + 24.
    let larger = failure(patched(Fixtures.compressed, 2566, UInt32(4129)))
    #expect(larger == .malformedData(
      path: Self.path, key: "a", offset: 55,
      reason: "the data decompress to 4128 bytes but the central directory records 4129"))
    let smaller = failure(patched(Fixtures.compressed, 2566, UInt32(4000)))
    #expect(smaller?.description.hasSuffix(
      "corrupt compressed data: the data decompress to more than the expected 4000 bytes") == true)
    let impossible = failure(patched(Fixtures.compressed, 2566, UInt32(3_000_000_000)))
    #expect(impossible == .malformedData(
      path: Self.path, key: "a", offset: 2566,
      reason: "the size 3000000000 is more than 2332 deflated bytes can hold"))
  }

  @Test func malformedNpyMembersNameTheMember() throws {
    var archive = Data()
    ZipWriter.serialize([ZipWriterMember(name: "bad.npy", parts: [[1, 2, 3]])]) {
      archive.append(contentsOf: $0)
    }
    #expect(failure(archive) == .truncatedFile(
      path: "data.npz/bad.npy", what: "the .npy preamble", expectedBytes: 10, foundBytes: 3))
  }
}
