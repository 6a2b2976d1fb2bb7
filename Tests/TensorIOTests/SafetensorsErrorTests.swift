// safetensors: every malformed file is a typed error whose message names file, key and offset.

import Foundation
import Testing

@testable import TensorIO

@Suite struct SafetensorsErrorTests {
  static let path = "model.safetensors"

  /// Decodes `file` and returns the error it must throw.
  func failure(_ file: Data) -> TensorIOError? {
    #expect(throws: TensorIOError.self) { try Safetensors.decode(file, path: Self.path) }
  }

  /// A header with one tensor "w" whose fields are `fields`.
  func entry(_ fields: String) -> String { #"{"w":{"# + fields + "}}" }

  @Test func fileShorterThanTheLengthField() {
    let error = failure(Data([1, 2, 3]))
    #expect(error == .truncatedFile(
      path: Self.path, what: "the 8-byte header length", expectedBytes: 8, foundBytes: 3))
    #expect(error?.description
      == "model.safetensors: file too short for the 8-byte header length: needs 8 bytes, found 3")
  }

  @Test func headerLengthBeyondTheFile() {
    var file = Data([0xE8, 0x03, 0, 0, 0, 0, 0, 0])  // 1000
    file.append(contentsOf: Array("{}".utf8) + [UInt8](repeating: 0x20, count: 18))
    let error = failure(file)
    #expect(error == .headerTooLong(path: Self.path, offset: 0, headerLength: 1000, available: 20))
    #expect(error?.description
      == "model.safetensors: byte 0: header length 1000 exceeds the 20 bytes available")
    // A length that would overflow a signed 64-bit offset must not trap.
    let huge = failure(Data([UInt8](repeating: 0xFF, count: 8)) + Data("{}".utf8))
    #expect(huge == .headerTooLong(
      path: Self.path, offset: 0, headerLength: UInt64.max, available: 2))
  }

  @Test func headerNotUTF8() {
    let error = failure(headerFile(Array(#"{"w"#.utf8) + [0xFF] + Array(#"":1}"#.utf8)))
    #expect(error == .malformedHeader(path: Self.path, offset: 11, reason: "not valid UTF-8"))
    #expect(error?.description == "model.safetensors: byte 11: malformed header: not valid UTF-8")
  }

  @Test func headerNotJSON() {
    let trailingComma = failure(safetensorsFile(#"{"w":{"dtype":"F32",}}"#))
    #expect(trailingComma == .malformedHeader(
      path: Self.path, offset: 28, reason: "expected a string key, found '}'"))
    #expect(trailingComma?.description
      == "model.safetensors: byte 28: malformed header: expected a string key, found '}'")
    let notObject = failure(safetensorsFile("[1]     "))
    #expect(notObject == .malformedHeader(
      path: Self.path, offset: 8, reason: "expected a JSON object, found [1]"))
    let duplicate = failure(safetensorsFile(#"{"a":null, "a":null}"#))
    #expect(duplicate == .malformedHeader(path: Self.path, offset: 19, reason: "duplicate key \"a\""))
    let garbage = failure(safetensorsFile("{} x"))
    #expect(garbage == .malformedHeader(
      path: Self.path, offset: 11, reason: "unexpected 'x' after the JSON value"))
    let unterminated = failure(safetensorsFile(#"{"w"#))
    #expect(unterminated == .malformedHeader(path: Self.path, offset: 9, reason: "unterminated string"))
    let deep = failure(safetensorsFile(#"{"x":"# + String(repeating: "[", count: 100)))
    #expect(deep?.description.contains("nesting deeper than 64 levels") == true)
    let number = failure(safetensorsFile(#"{"x":01}"#))
    #expect(number == .malformedHeader(path: Self.path, offset: 13, reason: "invalid number"))
  }

  @Test func entryMissingAField() {
    for field in ["dtype", "shape", "data_offsets"] {
      let fields = [#""dtype":"U8""#, #""shape":[1]"#, #""data_offsets":[0,1]"#]
        .filter { !$0.contains("\"\(field)\"") }
      let error = failure(safetensorsFile(entry(fields.joined(separator: ",")), data: [0]))
      #expect(error == .missingField(path: Self.path, key: "w", field: field))
      #expect(error?.description == "model.safetensors: tensor \"w\": missing field \"\(field)\"")
    }
    let notObject = failure(safetensorsFile(#"{"w":5}"#))
    #expect(notObject?.description == "model.safetensors: field \"w\" should be an object with"
      + " \"dtype\", \"shape\" and \"data_offsets\", found 5")
  }

  @Test func unknownOrMistypedDType() {
    let fp8 = failure(
      safetensorsFile(entry(#""dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]"#), data: [0]))
    #expect(fp8?.description == "model.safetensors: tensor \"w\": unsupported dtype \"F8_E4M3\":"
      + " expected one of F16, BF16, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, BOOL")
    let lowercase = failure(
      safetensorsFile(entry(#""dtype":"f32","shape":[],"data_offsets":[0,4]"#), data: [0, 0, 0, 0]))
    #expect(lowercase?.description.hasPrefix("model.safetensors: tensor \"w\": unsupported dtype \"f32\"") == true)
    let number = failure(safetensorsFile(entry(#""dtype":32,"shape":[],"data_offsets":[0,4]"#)))
    #expect(number == .invalidField(
      path: Self.path, key: "w", field: "dtype", expected: "a string such as \"F32\"", found: "32"))
  }

  @Test func negativeOrNonIntegerShape() {
    for shape in ["[2,-1]", "[2.0]", "[1e1]", "[\"2\"]", "2", "[null]", "[99999999999999999999]"] {
      let error = failure(
        safetensorsFile(entry(#""dtype":"U8","shape":"# + shape + #","data_offsets":[0,2]"#)))
      #expect(error == .invalidField(
        path: Self.path, key: "w", field: "shape", expected: "a list of non-negative integers",
        found: shape))
    }
    let error = failure(safetensorsFile(entry(#""dtype":"U8","shape":[2,-1],"data_offsets":[0,2]"#)))
    #expect(error?.description == "model.safetensors: tensor \"w\": field \"shape\" should be"
      + " a list of non-negative integers, found [2,-1]")
    let overflow = failure(
      safetensorsFile(entry(#""dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]"#)))
    #expect(overflow?.description.contains("a shape whose byte size fits in 64 bits") == true)
  }

  @Test func malformedDataOffsets() {
    for offsets in ["[0]", "[0,1,2]", "[0,1.0]", "[-1,1]", "{}"] {
      let error = failure(
        safetensorsFile(entry(#""dtype":"U8","shape":[1],"data_offsets":"# + offsets), data: [0]))
      #expect(error == .invalidField(
        path: Self.path, key: "w", field: "data_offsets",
        expected: "two non-negative integers [begin, end]", found: offsets))
    }
  }

  @Test func dataOffsetsOutOfRange() {
    let beyond = failure(
      safetensorsFile(entry(#""dtype":"F32","shape":[4],"data_offsets":[0,16]"#), data: zeros(8)))
    #expect(beyond == .dataOffsetsOutOfRange(
      path: Self.path, key: "w", begin: 0, end: 16, bufferSize: 8))
    #expect(beyond?.description == "model.safetensors: tensor \"w\": data_offsets [0, 16] are"
      + " outside the 8-byte data buffer")
    let reversed = failure(
      safetensorsFile(entry(#""dtype":"F32","shape":[1],"data_offsets":[8,4]"#), data: zeros(8)))
    #expect(reversed == .dataOffsetsOutOfRange(
      path: Self.path, key: "w", begin: 8, end: 4, bufferSize: 8))
  }

  @Test func overlappingAndGappedTensors() {
    let overlap = failure(
      safetensorsFile(
        #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
          + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: zeros(12)))
    #expect(overlap == .dataOffsetsNotContiguous(path: Self.path, key: "b", begin: 4, expectedBegin: 8))
    #expect(overlap?.description == "model.safetensors: tensor \"b\": data_offsets begin at 4 but"
      + " the previous tensor ends at 8 (overlaps the previous tensor; tensors must tile the buffer)")
    let gap = failure(
      safetensorsFile(
        #"{"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},"#
          + #""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: zeros(20)))
    #expect(gap == .dataOffsetsNotContiguous(path: Self.path, key: "b", begin: 12, expectedBegin: 8))
    #expect(gap?.description.contains("leaves a gap") == true)
    let late = failure(
      safetensorsFile(entry(#""dtype":"U8","shape":[1],"data_offsets":[1,2]"#), data: [0, 0]))
    #expect(late == .dataOffsetsNotContiguous(path: Self.path, key: "w", begin: 1, expectedBegin: 0))
  }

  @Test func offsetsNotMatchingShapeAndDType() {
    let header =
      #"{"layer1.0.conv1.weight":{"dtype":"F32","shape":[16,3,3,3],"data_offsets":[0,100]}}"#
    let error = failure(safetensorsFile(header, data: [UInt8](repeating: 0, count: 100)))
    #expect(error == .dataSizeMismatch(
      path: Self.path, key: "layer1.0.conv1.weight", begin: 0, end: 100, dtype: .float32,
      shape: [16, 3, 3, 3], needed: 1728))
    #expect(error?.description == "model.safetensors: tensor \"layer1.0.conv1.weight\":"
      + " data_offsets [0, 100] hold 100 bytes but F32 [16, 3, 3, 3] needs 1728")
  }

  @Test func bytesAfterTheLastTensor() {
    let header = entry(#""dtype":"F32","shape":[2],"data_offsets":[0,8]"#)
    let error = failure(safetensorsFile(header, data: zeros(12)))
    let end = 8 + header.utf8.count + 8
    #expect(error == .trailingBytes(path: Self.path, offset: end, count: 4))
    #expect(error?.description == "model.safetensors: byte \(end): 4 bytes after the last"
      + " tensor's data (expected the file to end there)")
    let noTensors = failure(safetensorsFile("{}      ", data: [1]))
    #expect(noTensors == .trailingBytes(path: Self.path, offset: 16, count: 1))
  }

  @Test func metadataMustBeStrings() throws {
    let error = failure(safetensorsFile(#"{"__metadata__":{"epochs":10}}"#))
    #expect(error == .invalidField(
      path: Self.path, key: nil, field: "__metadata__", expected: "an object of string values",
      found: #"{"epochs":10}"#))
    #expect(try Safetensors.decode(safetensorsFile(#"{"__metadata__":null}"#)).metadata == [:])
  }

  @Test func missingTensorNamesFileAndKey() throws {
    let contents = try Safetensors.decode(
      safetensorsFile(entry(#""dtype":"U8","shape":[1],"data_offsets":[0,1]"#), data: [7]),
      path: Self.path)
    let error = #expect(throws: TensorIOError.self) { try contents.tensor(named: "fc.weight") }
    #expect(error == .tensorNotFound(path: Self.path, key: "fc.weight", available: ["w"]))
    #expect(error?.description
      == "model.safetensors: no tensor named \"fc.weight\" (the file holds \"w\")")
  }

  @Test func missingOrUnreadableFiles() throws {
    try withTemporaryDirectory { directory throws in
      let missing = directory.appendingPathComponent("absent.safetensors")
      let notFound = #expect(throws: TensorIOError.self) {
        try Safetensors.read(contentsOf: missing)
      }
      #expect(notFound == .fileNotFound(path: missing.path))
      #expect(notFound?.description == "\(missing.path): no such file")
      let folder = #expect(throws: TensorIOError.self) {
        try Safetensors.read(contentsOf: directory)
      }
      #expect(folder == .fileUnreadable(path: directory.path, reason: "it is a directory"))
      let short = directory.appendingPathComponent("short.safetensors")
      try Data([0, 1]).write(to: short)
      let truncated = #expect(throws: TensorIOError.self) {
        try Safetensors.read(contentsOf: short)
      }
      #expect(truncated?.description.hasPrefix("\(short.path): file too short") == true)
    }
  }
}
