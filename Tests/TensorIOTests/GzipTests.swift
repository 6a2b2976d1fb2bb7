// gzip (RFC 1952): files made by Python's gzip module, every optional header field, several
// members, and each way a gzip file can be damaged.

import Foundation
import Testing

@testable import TensorIO

@Suite struct GzipTests {
  static let path = "notes.gz"

  // Python (3.11.7), with text() from TextFixture.swift:
  //   base64.b64encode(gzip.compress(text(3000, 12), mtime=0))
  static let plain = base64Block("""
    H4sIAAAAAAACA3VWW5bbIAz99ypYggHxWg7NuJOcpkmP40xPu/piQEIY92MmCXpcoccVn2v8uC2PTXzilyCddMLArKW4
    vNevuL3XRWxrvCziHv8sq/hYHq/b9qeefYvb5Sq2K+ost8/l8RXv74WZR/Z9Sr+e34WWoGyDZWaPZfv9XH8QTlDGSHFd
    Xq9bfGSkhkn2qIyfCQEttDFKi9ev5bKt758tfHKUdMuX+/P1StFNwst5thSIlsaDsMY4l6T3+Lj8fb56+JY+rdScPEw1
    WcUxesLPDEQ2uyfQc7LjGVOw41GEpI0+WMbwpidJZBdjUu6vlI3S02uVSxxUis/yfypaNSW1S8ovDIHsanoJ2SrQerd3
    AaSwUvvQhFNOC4uG91D11A4IgzJcg8DPofynfXoMFa3RKPZV98qrILw3qZNRJVvWBs3p2C3y4f4FK9UgDXh5OgYT72Xv
    lNN9NijWDJDrFPxsdBKZeQ6GzPnklJAUuNzKzB/eNM+mBQu5MH0XDQXFAwp/kGRMio+PTu2s61IrbX3QoQJZA1LnUzbG
    OYfTKfsQfg+TLVrp2G2HYUKt4q+1waH+PYsdRoi1ZzXD0ONQC0IIDmQokeZ/JGBjdWQPnDxpdqpGlyCN9rz9eLA1Mbuw
    HZ/QRrEE8ABFW84w+3bTZkxHxYTIViqw4zV7ZkAxXqirjZeJDOJp95rErqeCQzCtHw68hwFwOO+tr/nh9Dtc4UB/bX14
    tc8mhkVqkdKOIqmkdgzEGhdUq19IK5FH5kyQkrfZYYh6dmlu+2EtagjiUjnN0FicrlDzWKMCzjk3aPC6nvdbQ9okO2dY
    2md5cSgNqWf7MOKYyv+Rer54xw9Ng6eq9VmqVICErdLGsY2W8Q+RdQjg2fhy4jpfcq0acvZponnT7Sigwc0H4mOFLc6m
    cV1NA0WdjODJU4DWUUZj7jrgVII49H65inPepneghNSiGBW3Q4DuSdMtqLpDndpd1Kx17x4I+yurSPYXE1VynNKBohB2
    4qJ+N/S9QKjxEEXfujZIC6kv9QyHviS+OT5zrfMmb0tOH7ybusflSL8nL5L+HaKcUaaWDmwiiSj+Adp796i4CwAA
    """)

  // Python: b = io.BytesIO()
  //   with gzip.GzipFile(filename="notes.txt", mode="wb", fileobj=b, mtime=0) as f:
  //       f.write(text(500, 13))
  //   base64.b64encode(b.getvalue())
  static let named = base64Block("""
    H4sICAAAAAAC/25vdGVzLnR4dABdkF2SgyAQhN89xRxBERk4zoTMJlZcTAEmlZx+iYaf2rfR7umvmYWcfa8BFnqxh/UH
    lEABF0/nmV2ELgnZ0BqLoezxfGH3oGVjILCbf1DcPMOJor224r/96syA6MlyAks9TnBmF+b4amyO43P1Nwh3ttFvv3WI
    14wbdK9EFY6fqWOh5thi6UBILcUXnhloUEtY1hD2cK2E7IuYM5TQwqSAUfUo09sNohkB9WCG4k3sYZS73H0ZpYuYEKf6
    WYamG5Xj5MC9U335npggx9Bc+1O73o6OlT+dP1Gs9AEAAA==
    """)

  // Python: every optional header field (FEXTRA, FNAME, FCOMMENT, FHCRC), by hand:
  //   body = text(200, 14)
  //   c = zlib.compressobj(9, zlib.DEFLATED, -15); raw = c.compress(body) + c.flush()
  //   hdr = b"\x1f\x8b\x08" + bytes([0x04 | 0x08 | 0x10 | 0x02]) \
  //       + struct.pack("<I", 1700000000) + b"\x02\x03"
  //   hdr += struct.pack("<H", 6) + b"AB\x02\x00hi" + b"data.bin\x00" + b"a comment\x00"
  //   hdr += struct.pack("<H", zlib.crc32(hdr) & 0xFFFF)     # 39 bytes in all
  //   full = hdr + raw + struct.pack("<II", zlib.crc32(body), len(body))
  //   assert gzip.decompress(full) == body; base64.b64encode(full)
  static let allFields = base64Block("""
    H4sIHgDxU2UCAwYAQUICAGhpZGF0YS5iaW4AYSBjb21tZW50AI4ARY5rDsIwDIOv4iOMVqXsOFEXtoqRoiYdgtMz8Si/
    LFu29QnbvdQLDjH6AyYWzfbAwqqZBGtRxVxpyiwG6nkY/dHt3hZGanUja5XBeWbZaG2M6OMwfOYxnnzASpKeReFG51z/
    0Rsnq+0K+WKUM4L3IXSS3rBKif8se/F38tYXSb05YsgAAAA=
    """)

  func decompress(_ file: Data) throws -> [UInt8] {
    try file.withUnsafeBytes { Array(try Gzip.decompress($0, path: Self.path)) }
  }

  func failure(_ file: Data) -> TensorIOError? {
    #expect(throws: TensorIOError.self) { try decompress(file) }
  }

  @Test func readsPythonGzipFiles() throws {
    #expect(try decompress(Self.plain) == TextFixture.text(3000, seed: 12))
    #expect(try decompress(Self.named) == TextFixture.text(500, seed: 13))
    #expect(try decompress(Self.allFields) == TextFixture.text(200, seed: 14))
  }

  @Test func readsSeveralMembersAndZeroPadding() throws {
    // Python's gzip.decompress(a + b + bytes(5)) is the concatenation: so is ours.
    let joined = Self.plain + Self.named + Data(count: 5)
    #expect(try decompress(joined) == TextFixture.text(3000, seed: 12) + TextFixture.text(500, seed: 13))
    let garbage = failure(Self.plain + Data([0x41, 0x42]))
    #expect(garbage == .malformedHeader(
      path: Self.path, offset: Self.plain.count,
      reason: "expected the gzip magic number 1f 8b, found 41 42 after the previous member"))
    let shortMember = failure(Self.plain + Data([0x1F, 0x8B, 8]))
    #expect(shortMember == .truncatedFile(
      path: Self.path, what: "the 10-byte gzip header at byte 825", expectedBytes: 835,
      foundBytes: 828))
  }

  @Test func rejectsDamagedHeaders() {
    var method = Self.plain
    method[2] = 9
    #expect(failure(method)?.description
      == "notes.gz: byte 2: unsupported compression method 9: gzip defines only method 8 (deflate)")
    var flags = Self.plain
    flags[3] = 0x20
    #expect(failure(flags) == .malformedHeader(
      path: Self.path, offset: 3, reason: "reserved gzip flag bits are set (flags 0x20)"))
    var headerCRC = Self.allFields
    headerCRC[37] ^= 0xFF
    let crc = failure(headerCRC)
    #expect(crc == .checksumMismatch(
      path: Self.path, key: nil, offset: 37, what: "gzip header CRC-16", recorded: 0x71,
      computed: 0x8E))
    #expect(crc?.description == "notes.gz: byte 37: gzip header CRC-16 mismatch: the file records"
      + " 0x00000071 but the data give 0x0000008E (the file is corrupt)")
    #expect(failure(Self.allFields.prefix(20)) == .truncatedFile(
      path: Self.path, what: "the zero-terminated gzip file name at byte 18",
      expectedBytes: 21, foundBytes: 20))
    #expect(failure(Self.allFields.prefix(15)) == .truncatedFile(
      path: Self.path, what: "the 6-byte gzip extra field at byte 12", expectedBytes: 18,
      foundBytes: 15))
    #expect(failure(Self.plain.prefix(4)) == .truncatedFile(
      path: Self.path, what: "the 10-byte gzip header at byte 0", expectedBytes: 10,
      foundBytes: 4))
  }

  @Test func rejectsDamagedDataAndTrailers() {
    let count = Self.plain.count
    let truncated = failure(Self.plain.prefix(400))
    #expect(truncated == .malformedData(
      path: Self.path, key: nil, offset: 400,
      reason: "corrupt compressed data: the compressed data end unexpectedly"))
    #expect(failure(Self.plain.prefix(count - 3)) == .truncatedFile(
      path: Self.path, what: "the gzip trailer (CRC-32 and size) at byte 817",
      expectedBytes: 825, foundBytes: 822))
    var crc = Self.plain
    crc[count - 8] ^= 1
    // The CRC-32 Python's gzip wrote into the trailer.
    let computed = UInt32(crc[count - 8] ^ 1) | UInt32(crc[count - 7]) << 8
      | UInt32(crc[count - 6]) << 16 | UInt32(crc[count - 5]) << 24
    #expect(failure(crc) == .checksumMismatch(
      path: Self.path, key: nil, offset: 817, what: "CRC-32 of the decompressed data",
      recorded: computed ^ 1, computed: computed))
    var size = Self.plain
    size[count - 4] ^= 1
    #expect(failure(size) == .malformedData(
      path: Self.path, key: nil, offset: 821,
      reason: "the gzip trailer records a size of 3001 bytes (modulo 2^32) but the data"
        + " decompress to 3000"))
    // A corrupt block type inside the data: byte 10 is the first byte of the DEFLATE stream.
    var block = Self.plain
    block[10] |= 0x06
    #expect(failure(block) == .malformedData(
      path: Self.path, key: nil, offset: 10, reason: "corrupt compressed data: invalid block type"))
  }
}
