// NumPy .npy: files written by numpy.save, byte-identical writing, and malformed headers.

import Foundation
import TensorCore
import Testing

@testable import TensorIO

@Suite struct NumPyTests {
  static let path = "x.npy"

  /// The exact bytes of `np.save(f, np.arange(6, dtype=np.float32).reshape(2, 3) / 4)`
  /// (NumPy 2.4.6): magic, version 1.0, header length 118 (0x76), the dict padded with spaces
  /// to 127 bytes (59 + 58 spaces, 20 of them NumPy's room for growth) plus a newline so the data start at byte 128, then 6 little-endian floats.
  static let float32Array: [UInt8] =
    [0x93] + Array("NUMPY".utf8) + [1, 0, 0x76, 0]
    + Array("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }".utf8)
    + [UInt8](repeating: 0x20, count: 58) + [0x0A]
    + [0, 0, 0, 0, 0, 0, 128, 62, 0, 0, 0, 63, 0, 0, 64, 63, 0, 0, 128, 63, 0, 0, 160, 63]

  @Test func readsAndWritesNumPysBytes() throws {
    #expect(Self.float32Array.count == 152)
    let array = try NumPy.decode(Data(Self.float32Array))
    #expect(array.dtype == .float32 && array.shape == [2, 3])
    #expect(array.floatingPoint(as: Float.self).scalars == [0, 0.25, 0.5, 0.75, 1, 1.25])
    #expect(Array(try NumPy.encode(array)) == Self.float32Array)
  }

  // Python (NumPy 2.4.6), for each array a below:
  //   b = io.BytesIO(); np.save(b, a); base64.b64encode(b.getvalue())
  static let numpyFiles: [(String, String, DType, [Int], [Double])] = [
    ("np.float64(2.5)", "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAEQA==", .float64, [], [2.5]),
    ("np.zeros((0,), np.int64)", "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=", .int64, [0], []),
    ("np.array([True, False, True])", "k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE=", .bool, [3], [1, 0, 1]),
    ("np.array([1/3, -2.0, 65504], np.float16)", "k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIApVNQDA/3s=", .float16, [3], [0x1.554p-2, -2, 65504]),
    ("np.array([[-7], [2**31-1]], np.int32)", "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDEpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr5////////fw==", .int32, [2, 1], [-7, 2_147_483_647]),
    ("np.array([-300, 5], np.int16)", "k05VTVBZAQB2AHsnZGVzY3InOiAnPGkyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIArU/gUA", .int16, [2], [-300, 5]),
    ("np.array([-128, 127], np.int8)", "k05VTVBZAQB2AHsnZGVzY3InOiAnfGkxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqAfw==", .int8, [2], [-128, 127]),
    ("np.array([0, 255], np.uint8)", "k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoA/w==", .uint8, [2], [0, 255]),
    ("np.array([65535], np.uint16)", "k05VTVBZAQB2AHsnZGVzY3InOiAnPHUyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr//w==", .uint16, [1], [65535]),
    ("np.array([4294967295], np.uint32)", "k05VTVBZAQB2AHsnZGVzY3InOiAnPHU0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr/////", .uint32, [1], [4_294_967_295]),
    ("np.array([2**64-1], np.uint64)", "k05VTVBZAQB2AHsnZGVzY3InOiAnPHU4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr//////////w==", .uint64, [1], [0x1p64]),
  ]

  @Test func readsEveryDTypeNumPyWrites() throws {
    for (python, encoded, dtype, shape, values) in Self.numpyFiles {
      let file = base64(encoded)
      let array = try NumPy.decode(file)
      #expect(array.dtype == dtype && array.shape == shape, "\(python)")
      #expect(array.floatingPoint(as: Double.self).scalars == values, "\(python)")
      #expect(try NumPy.encode(array) == file, "\(python)")
    }
  }

  // Python: np.save(f, np.zeros((200, 3, 32, 32), np.uint8)); the first 128 bytes (header).
  @Test func headerPaddingForAFourDimensionalArray() throws {
    let header = base64(
      "k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIwMCwg"
        + "MywgMzIsIDMyKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=")
    let array = StoredTensor(integers: [UInt8](repeating: 9, count: 200 * 3 * 32 * 32), shape: [200, 3, 32, 32])
    let encoded = try NumPy.encode(array)
    #expect(encoded.prefix(128) == header)
    #expect(try NumPy.decode(encoded) == array)
  }

  // Python: numpy.lib.format.write_array(f, np.array([1.5, -2.0], np.float32), version=v)
  @Test func readsVersions2And3() throws {
    let version2 = base64(
      "k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9"
        + "ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAwA==")
    let version3 = base64(
      "k05VTVBZAwB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9"
        + "ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAwA==")
    for file in [version2, version3] {
      let array = try NumPy.decode(file)
      #expect(array.shape == [2] && array.floatingPoint(as: Float.self).scalars == [1.5, -2])
    }
  }

  /// A version 1.0 file with a hand-written header and data.
  func npy(_ header: String, data: [UInt8] = []) -> Data {
    let text = Array(header.utf8)
    return Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)]
      + text + data)
  }

  @Test func parsesHeaderDictsLiberally() throws {
    // Key order, double quotes, Python 2 longs, a 1-d Fortran array, no padding or newline.
    let file = npy(
      #"{ "shape" : (3L,) , 'fortran_order':True,"descr":"<i2"}"#, data: [1, 0, 2, 0, 255, 255])
    let array = try NumPy.decode(file)
    #expect(try array.shape == [3] && array.integers() == [1, 2, -1])
    let scalar = try NumPy.decode(npy("{'descr': '|u1', 'fortran_order': False, 'shape': ()}\n", data: [42]))
    #expect(try scalar.shape == [] && scalar.integers() == [42])
    let parenthesized = try NumPy.decode(npy("{'descr':'<u1','fortran_order':False,'shape':((2),)}", data: [1, 2]))
    #expect(parenthesized.shape == [2])
  }

  func failure(_ file: Data) -> TensorIOError? {
    #expect(throws: TensorIOError.self) { try NumPy.decode(file, path: Self.path) }
  }

  @Test func rejectsBigEndianFortranObjectAndStructuredArrays() {
    // Python: np.save(f, np.array([1.0, 2.0], dtype='>f4'))
    let bigEndian = failure(base64(
      "k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwg"
        + "fSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/gAAAQAAAAA=="))
    #expect(bigEndian?.description == "x.npy: unsupported dtype '>f4': big-endian data are not"
      + " supported; save little-endian (NumPy: a.astype(a.dtype.newbyteorder('<')))")
    // Python: np.save(f, np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)))
    let fortran = failure(base64(
      "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyks"
        + "IH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAA"
        + "AAAAAAAAAAAAAAhAAAAAAAAA8D8AAAAAAAAQQAAAAAAAAABAAAAAAAAAFEA="))
    #expect(fortran == .unsupportedLayout(
      path: Self.path,
      reason: "fortran_order is True (column-major); save a C-ordered array instead"
        + " (NumPy: np.save(path, np.ascontiguousarray(a)))"))
    // Python: np.save(f, np.array([1, "a"], dtype=object), allow_pickle=True); the header.
    let object = failure(base64(
      "k05VTVBZAQB2AHsnZGVzY3InOiAnfE8nLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9"
        + "ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo="))
    #expect(object == .unsupportedDType(
      path: Self.path, key: nil, dtype: "'|O'",
      reason: "object arrays hold pickled Python objects, which are never loaded"))
    // Python: np.save(f, np.zeros(2, dtype=[('x', '<f4'), ('y', '<i8')])); the header.
    let structured = failure(base64(
      "k05VTVBZAQB2AHsnZGVzY3InOiBbKCd4JywgJzxmNCcpLCAoJ3knLCAnPGk4JyldLCAnZm9ydHJhbl9vcmRlcic6"
        + "IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo="))
    #expect(structured?.description == "x.npy: unsupported dtype [('x', '<f4'), ('y', '<i8')]:"
      + " structured (record) dtypes are not supported")
    let complex = failure(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}"))
    #expect(complex?.description.hasPrefix("x.npy: unsupported dtype '<c8': expected one of <f2") == true)
  }

  @Test func rejectsMalformedPreambles() {
    let short = failure(Data([0x93, 0x4E]))
    #expect(short == .truncatedFile(
      path: Self.path, what: "the .npy preamble", expectedBytes: 10, foundBytes: 2))
    let magic = failure(Data(Array("PK\u{3}\u{4}NUMPY\u{1}\u{0}".utf8)))
    #expect(magic?.description == "x.npy: byte 0: malformed header: expected the magic string"
      + " \\x93NUMPY, found bytes 50 4b 3 4 4e 55")
    var version = Self.float32Array
    version[6] = 4
    #expect(failure(Data(version)) == .malformedHeader(
      path: Self.path, offset: 6, reason: "unsupported format version 4.0 (expected 1.0, 2.0 or 3.0)"))
    let long = failure(Data(Self.float32Array.prefix(100)))
    #expect(long == .headerTooLong(path: Self.path, offset: 8, headerLength: 118, available: 90))
    #expect(long?.description == "x.npy: byte 8: header length 118 exceeds the 90 bytes available")
  }

  @Test func rejectsMalformedHeaderDicts() {
    let syntax = failure(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3}"))
    #expect(syntax == .malformedHeader(path: Self.path, offset: 65, reason: "expected ',' or ')', found '}'"))
    let missing = failure(npy("{'descr': '<f4', 'fortran_order': False}"))
    #expect(missing == .missingField(path: Self.path, key: nil, field: "shape"))
    #expect(missing?.description == "x.npy: missing field \"shape\"")
    let extra = failure(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}"))
    #expect(extra?.description.contains("unexpected or repeated key 'x'") == true)
    for shape in ["(-1,)", "(2.0,)", "[2]", "2", "('2',)"] {
      let error = failure(npy("{'descr': '<f4', 'fortran_order': False, 'shape': \(shape)}"))
      #expect(error?.description.hasPrefix(
        "x.npy: field \"shape\" should be a tuple of non-negative integers, found") == true, "\(shape)")
    }
    let order = failure(npy("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}"))
    #expect(order == .invalidField(
      path: Self.path, key: nil, field: "fortran_order", expected: "True or False", found: "0"))
    let expression = failure(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1+1,)}"))
    #expect(expression == .malformedHeader(
      path: Self.path, offset: 62, reason: "expected ',' or ')', found '+'"))
  }

  @Test func rejectsShortOrLongData() {
    let truncated = failure(Data(Self.float32Array.dropLast(4)))
    #expect(truncated == .truncatedFile(
      path: Self.path, what: "F32 [2, 3] data", expectedBytes: 152, foundBytes: 148))
    #expect(truncated?.description
      == "x.npy: file too short for F32 [2, 3] data: needs 152 bytes, found 148")
    let trailing = failure(Data(Self.float32Array + [0, 0]))
    #expect(trailing == .trailingBytes(path: Self.path, offset: 152, count: 2))
  }

  @Test func writesEveryNumPyDTypeAndRefusesBFloat16() throws {
    try withTemporaryDirectory { directory throws in
      for (index, dtype) in DType.allCases.enumerated() where dtype != .bfloat16 {
        let bytes = (0..<(4 * dtype.byteCount)).map { UInt8(truncatingIfNeeded: $0 * 29 + index) }
        let array = try StoredTensor(dtype: dtype, shape: [2, 1, 2], bytes: bytes)
        let url = directory.appendingPathComponent("\(dtype.rawValue).npy")
        try NumPy.write(array, to: url)
        #expect(try NumPy.read(contentsOf: url) == array)
      }
      let weights = Tensor<Double>(shape: [2, 2], scalars: [1, -2, 0.5, 1e-300])
      let url = directory.appendingPathComponent("weights.npy")
      try NumPy.write(StoredTensor(weights), to: url)
      #expect(try NumPy.read(contentsOf: url).floatingPoint(as: Double.self) == weights)
      let bf16 = StoredTensor(weights, as: .bfloat16)
      let error = #expect(throws: TensorIOError.self) {
        try NumPy.write(bf16, to: directory.appendingPathComponent("bf16.npy"))
      }
      #expect(error?.description.contains("NumPy has no bfloat16") == true)
      #expect(try listing(directory).count == 13)
    }
  }
}
