// IDX: every element type from bytes Python wrote, plain and gzip-compressed files, and every
// malformed header or size.

import CHessianZlib
import Foundation
import Testing

@testable import TensorIO

/// MNIST-like test files: three 28x28 images with pixel (i * 37 + r * 28 + c) % 256 and labels
/// 5, 0, 4.
enum MNISTFixtures {
  static let pixels: [UInt8] = (0..<3).flatMap { i in
    (0..<784).map { UInt8((i * 37 + $0) % 256) }
  }
  static let labels: [UInt8] = [5, 0, 4]

  /// The IDX file of `pixels` as Python writes it:
  ///   struct.pack(">HBB", 0, 8, 3) + struct.pack(">III", 3, 28, 28) + imgs.tobytes()
  static let images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28] + pixels
  static let labelFile: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 3] + labels

  // Python: imgs = np.array([[(i * 37 + r * 28 + c) % 256 for r in range(28) for c in range(28)]
  //   for i in range(3)], np.uint8); base64.b64encode(gzip.compress(<images above>, mtime=0))
  static let imagesGz = base64Block("""
    H4sIAAAAAAACA2Ng4GBmYGAAYRkwZmRiZmFlY+fg5OLm4eXjFxAUEhYRFROXkJSSlpGVk1dQVFJWUVVT19DU0tbR1dM3
    MDQyNjE1M7ewtLK2sbWzd3B0cnZxdXP38PTy9vH18w8IDAoOCQ0Lj4iMio6JjYtPSExKTklNS8/IzMrOyc3LLygsKi4p
    LSuvqKyqrqmtq29obGpuaW1r7+js6u7p7eufMHHS5ClTp02fMXPW7Dlz581fsHDR4iVLly1fsXLV6jVr163fsHHT5i1b
    t23fsXPX7j179+0/cPDQ4SNHjx0/cfLU6TNnz52/cPHS5StXr12/cfPW7Tt3791/8PDR4ydPnz1/8fLV6zdv373/8PHT
    5y9fv33/8fPX7z9///0f9f+o/5H9PxrVo/4f9T/C/6NRPer/Uf8j/A8AcPKzFkAJAAA=
    """)
  // Python: base64.b64encode(gzip.compress(struct.pack(">HBB", 0, 8, 1)
  //   + struct.pack(">I", 3) + bytes([5, 0, 4]), mtime=0))
  static let labelsGz = base64Block("H4sIAAAAAAACA2Ng4GBkYGBgZmVgAQB2uuYPCwAAAA==")

  /// A gzip file of one member holding `bytes` in stored DEFLATE blocks (RFC 1951 3.2.4: a
  /// header byte with BFINAL and BTYPE 00, then LEN and its complement, then the bytes), its
  /// CRC-32 from zlib.
  static func gzipStored(_ bytes: [UInt8]) -> Data {
    var file: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255]
    var start = 0
    repeat {
      let end = min(start + 65_535, bytes.count)
      let length = UInt16(end - start)
      file.append(end == bytes.count ? 1 : 0)
      file += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
      file += bytes[start..<end]
      start = end
    } while start < bytes.count
    let crc = bytes.withUnsafeBufferPointer {
      UInt32(CHessianZlib.crc32(0, $0.baseAddress, UInt32($0.count)))
    }
    for value in [crc, UInt32(bytes.count)] { file += littleEndianBytes([value]) }
    return Data(file)
  }
}

@Suite struct IDXTests {
  static let path = "t10k-images-idx3-ubyte"

  func failure(_ file: [UInt8]) -> TensorIOError? {
    #expect(throws: TensorIOError.self) { try IDX.decode(Data(file), path: Self.path) }
  }

  @Test func readsEveryElementTypePythonWrites() throws {
    // Python: arr = np.array(values, dtype); base64.b64encode(struct.pack(">HBB", 0, code,
    //   arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape) + arr.tobytes())
    let files: [(String, String, DType, [Int], [Double])] = [
      ("0x09, '>i1', [-128, 5, 127]", "AAAJAQAAAAOABX8=", .int8, [3], [-128, 5, 127]),
      ("0x0B, '>i2', [[-300, 2], [1, 32767]]", "AAALAgAAAAIAAAAC/tQAAgABf/8=", .int16, [2, 2],
       [-300, 2, 1, 32767]),
      ("0x0C, '>i4', [[-70000], [2**31-1]]", "AAAMAgAAAAIAAAAB//7ukH////8=", .int32, [2, 1],
       [-70000, 2_147_483_647]),
      ("0x0D, '>f4', [1.5, -2.25, 1e-3]", "AAANAQAAAAM/wAAAwBAAADqDEm8=", .float32, [3],
       [1.5, -2.25, Double(Float(0.001 as Double))]),
      ("0x0E, '>f8', [[1/3, -1e300]]", "AAAOAgAAAAEAAAACP9VVVVVVVVX+N+Q8iAB1nA==", .float64, [1, 2],
       [1.0 / 3, -1e300]),
    ]
    for (python, encoded, dtype, shape, values) in files {
      let array = try IDX.decode(base64(encoded))
      #expect(array.dtype == dtype && array.shape == shape, "\(python)")
      #expect(array.floatingPoint(as: Double.self).scalars == values, "\(python)")
    }
  }

  @Test func readsPlainAndCompressedMNISTFiles() throws {
    for file in [Data(MNISTFixtures.images), MNISTFixtures.imagesGz] {
      let images = try IDX.decode(file)
      #expect(images.dtype == .uint8 && images.shape == [3, 28, 28])
      #expect(images.bytes == MNISTFixtures.pixels)
    }
    for file in [Data(MNISTFixtures.labelFile), MNISTFixtures.labelsGz] {
      #expect(try IDX.decode(file).integers() == [5, 0, 4])
    }
    let scalar = try IDX.decode(Data([0, 0, 0x0C, 0, 0xFF, 0xFF, 0xFF, 0xFE]))
    #expect(try scalar.shape == [] && scalar.integers() == [-2])
  }

  @Test func rejectsBadMagicNumbers() {
    let npy = failure([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59])
    #expect(npy == .malformedHeader(
      path: Self.path, offset: 0,
      reason: "expected an IDX magic number 00 00 TT NN (TT the type, NN the number of"
        + " dimensions), found 93 4e 55 4d"))
    let type = failure([0, 0, 0x0A, 1, 0, 0, 0, 0])
    #expect(type?.description == "t10k-images-idx3-ubyte: unsupported dtype 0x0a: byte 2 of an"
      + " IDX file is its type: 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float or 0x0e"
      + " double")
    #expect(failure([0, 0]) == .truncatedFile(
      path: Self.path, what: "the 4-byte IDX magic number", expectedBytes: 4, foundBytes: 2))
  }

  @Test func rejectsTruncatedAndOverlongFiles() {
    #expect(failure(Array(MNISTFixtures.images.prefix(10))) == .truncatedFile(
      path: Self.path, what: "the 3 dimension sizes of the IDX header", expectedBytes: 16,
      foundBytes: 10))
    let truncated = failure(Array(MNISTFixtures.images.dropLast()))
    #expect(truncated == .truncatedFile(
      path: Self.path, what: "ubyte [3, 28, 28] data at byte 16", expectedBytes: 2368,
      foundBytes: 2367))
    #expect(truncated?.description == "t10k-images-idx3-ubyte: file too short for ubyte"
      + " [3, 28, 28] data at byte 16: needs 2368 bytes, found 2367")
    #expect(failure(MNISTFixtures.images + [0]) == .trailingBytes(
      path: Self.path, offset: 2368, count: 1))
    let shorts = failure([0, 0, 0x0B, 1, 0, 0, 0, 2, 1, 2, 3])
    #expect(shorts == .truncatedFile(
      path: Self.path, what: "short [2] data at byte 8", expectedBytes: 12, foundBytes: 11))
  }

  @Test func errorsInCompressedFilesNameTheDecompressedData() {
    let truncated = Array(MNISTFixtures.images.prefix(2000))
    let error = #expect(throws: TensorIOError.self) {
      try IDX.decode(MNISTFixtures.gzipStored(truncated), path: "train-images-idx3-ubyte.gz")
    }
    #expect(error == .truncatedFile(
      path: "train-images-idx3-ubyte.gz (decompressed)", what: "ubyte [3, 28, 28] data at byte 16",
      expectedBytes: 2368, foundBytes: 2000))
    var damaged = MNISTFixtures.imagesGz
    damaged[damaged.count - 8] ^= 0xFF
    let crc = #expect(throws: TensorIOError.self) {
      try IDX.decode(damaged, path: "train-images-idx3-ubyte.gz")
    }
    #expect(crc?.description.hasPrefix("train-images-idx3-ubyte.gz: byte 318: CRC-32 of the"
      + " decompressed data mismatch") == true)
  }
}
