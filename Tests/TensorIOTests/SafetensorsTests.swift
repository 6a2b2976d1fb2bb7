// safetensors: reading a file written by Python, writing byte-identical files, round trips.

import Foundation
import TensorCore
import Testing

@testable import TensorIO

@Suite struct SafetensorsTests {
  // Python (torch 2.15, safetensors 0.8.0):
  //   from safetensors.torch import save_file
  //   t = {"fc.weight": torch.tensor([[1.0, -2.5, 3.25], [0.1, 1e-3, -0.0]]),
  //        "fc.bias": torch.tensor([0.5, -1.0], dtype=torch.float64),
  //        "emb.half": torch.tensor([1/3, -65504.0, 6e-8], dtype=torch.float16),
  //        "emb.bf16": torch.tensor([1/3, -3.0e38], dtype=torch.bfloat16),
  //        "labels": torch.tensor([3, -1, 2**40], dtype=torch.int64),
  //        "idx32": torch.tensor([-7, 2**31-1], dtype=torch.int32),
  //        "idx16": torch.tensor([-300], dtype=torch.int16),
  //        "idx8": torch.tensor([-128, 127], dtype=torch.int8),
  //        "pixels": torch.tensor([0, 255, 17], dtype=torch.uint8),
  //        "u16": torch.tensor([65535], dtype=torch.uint16),
  //        "u32": torch.tensor([4294967295], dtype=torch.uint32),
  //        "u64": torch.tensor([123456789012], dtype=torch.uint64),
  //        "mask": torch.tensor([True, False, True]),
  //        "bn.num_batches_tracked": torch.tensor(7, dtype=torch.int64),
  //        "empty": torch.zeros(0, 4)}
  //   save_file(t, "oracle.safetensors", metadata={"format": "pt"})
  //   base64.b64encode(open("oracle.safetensors", "rb").read())
  static let pythonFile = base64(
    "uAMAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJ1NjQiOnsiZHR5cGUiOiJVNjQiLCJzaGFwZSI6"
      + "WzFdLCJkYXRhX29mZnNldHMiOlswLDhdfSwiYm4ubnVtX2JhdGNoZXNfdHJhY2tlZCI6eyJkdHlwZSI6Ikk2NCIs"
      + "InNoYXBlIjpbXSwiZGF0YV9vZmZzZXRzIjpbOCwxNl19LCJsYWJlbHMiOnsiZHR5cGUiOiJJNjQiLCJzaGFwZSI6"
      + "WzNdLCJkYXRhX29mZnNldHMiOlsxNiw0MF19LCJmYy5iaWFzIjp7ImR0eXBlIjoiRjY0Iiwic2hhcGUiOlsyXSwi"
      + "ZGF0YV9vZmZzZXRzIjpbNDAsNTZdfSwiZW1wdHkiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzAsNF0sImRhdGFf"
      + "b2Zmc2V0cyI6WzU2LDU2XX0sImZjLndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwzXSwiZGF0YV9v"
      + "ZmZzZXRzIjpbNTYsODBdfSwidTMyIjp7ImR0eXBlIjoiVTMyIiwic2hhcGUiOlsxXSwiZGF0YV9vZmZzZXRzIjpb"
      + "ODAsODRdfSwiaWR4MzIiOnsiZHR5cGUiOiJJMzIiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOls4NCw5Ml19"
      + "LCJlbWIuYmYxNiI6eyJkdHlwZSI6IkJGMTYiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOls5Miw5Nl19LCJl"
      + "bWIuaGFsZiI6eyJkdHlwZSI6IkYxNiIsInNoYXBlIjpbM10sImRhdGFfb2Zmc2V0cyI6Wzk2LDEwMl19LCJ1MTYi"
      + "OnsiZHR5cGUiOiJVMTYiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOlsxMDIsMTA0XX0sImlkeDE2Ijp7ImR0"
      + "eXBlIjoiSTE2Iiwic2hhcGUiOlsxXSwiZGF0YV9vZmZzZXRzIjpbMTA0LDEwNl19LCJpZHg4Ijp7ImR0eXBlIjoi"
      + "STgiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOlsxMDYsMTA4XX0sInBpeGVscyI6eyJkdHlwZSI6IlU4Iiwi"
      + "c2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbMTA4LDExMV19LCJtYXNrIjp7ImR0eXBlIjoiQk9PTCIsInNoYXBl"
      + "IjpbM10sImRhdGFfb2Zmc2V0cyI6WzExMSwxMTRdfX0gFBqZvhwAAAAHAAAAAAAAAAMAAAAAAAAA//////////8A"
      + "AAAAAAEAAAAAAAAAAOA/AAAAAAAA8L8AAIA/AAAgwAAAUEDNzMw9bxKDOgAAAID/////+f///////3+rPmL/VTX/"
      + "+wEA///U/oB/AP8RAQAB")

  @Test func readsAFileWrittenByPython() throws {
    #expect(Self.pythonFile.count == 1074)
    let contents = try Safetensors.decode(Self.pythonFile, path: "oracle.safetensors")
    // Python: list(safetensors.torch.load_file("oracle.safetensors").keys())
    #expect(
      contents.names == [
        "u64", "bn.num_batches_tracked", "labels", "fc.bias", "empty", "fc.weight", "u32",
        "idx32", "emb.bf16", "emb.half", "u16", "idx16", "idx8", "pixels", "mask",
      ])
    #expect(contents.metadata == ["format": "pt"])
    #expect(contents.count == 15)
    let weight = try contents.tensor(named: "fc.weight")
    #expect(weight.dtype == .float32 && weight.shape == [2, 3])
    #expect(weight.floatingPoint(as: Float.self).scalars == [1, -2.5, 3.25, 0.1, 1e-3, -0.0])
    #expect(try contents.tensor(named: "fc.bias").floatingPoint(as: Double.self).scalars == [0.5, -1])
    // Python: load_file(...)["emb.half"].double().tolist(), and the same for "emb.bf16"
    #expect(contents["emb.half"]?.floatingPoint(as: Double.self).scalars == [0x1.554p-2, -65504, 0x1p-24])
    #expect(contents["emb.bf16"]?.floatingPoint(as: Double.self).scalars == [0x1.56p-2, -0x1.c4p127])
    #expect(try contents["labels"]?.integers() == [3, -1, 1 << 40])
    #expect(try contents["idx32"]?.integers() == [-7, 2_147_483_647])
    #expect(try contents["idx16"]?.integers() == [-300])
    #expect(try contents["idx8"]?.integers() == [-128, 127])
    #expect(try contents["pixels"]?.integers() == [0, 255, 17])
    #expect(try contents["u16"]?.integers() == [65535])
    #expect(try contents["u32"]?.integers() == [4_294_967_295])
    #expect(try contents["u64"]?.integers() == [123_456_789_012])
    #expect(try contents["mask"]?.integers() == [1, 0, 1])
    let tracked = try #require(contents["bn.num_batches_tracked"])
    #expect(try tracked.shape == [] && tracked.integers() == [7])
    #expect(contents["empty"]?.shape == [0, 4] && contents["empty"]?.bytes == [])
    #expect(contents["missing"] == nil)
    let stateDict: [String: Tensor<Float>] = contents.floatingPointTensors()
    #expect(stateDict.count == 15 && stateDict["labels"]?.scalars == [3, -1, 0x1p40])
  }

  @Test func writesTheSameBytesAsPython() throws {
    let contents = try Safetensors.decode(Self.pythonFile)
    // Shuffled input order: the writer must sort as the reference does.
    let tensors = contents.names.reversed().map { ($0, contents[$0]!) }
    let encoded = try Safetensors.encode(tensors, metadata: ["format": "pt"])
    #expect(encoded == Self.pythonFile)
    try withTemporaryDirectory { directory throws in
      let url = directory.appendingPathComponent("model.safetensors")
      let dictionary = Dictionary(uniqueKeysWithValues: tensors)
      try Safetensors.write(dictionary, metadata: ["format": "pt"], to: url)
      #expect(try Data(contentsOf: url) == Self.pythonFile)
      #expect(try listing(directory) == ["model.safetensors"])
      let reread = try Safetensors.read(contentsOf: url)
      #expect(reread.path == url.path)
      #expect(reread.names == contents.names && reread.metadata == contents.metadata)
    }
  }

  // The reference's own test vectors (safetensors/src/tensor.rs, `test_empty`):
  // serialize({}) and serialize({}, {"framework": "pt"}).
  @Test func emptyFilesMatchTheReference() throws {
    let empty = try Safetensors.encode([])
    #expect(Array(empty) == [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
    let withMetadata = try Safetensors.encode([], metadata: ["framework": "pt"])
    #expect(Array(withMetadata.prefix(8)) == [40, 0, 0, 0, 0, 0, 0, 0])
    #expect(String(decoding: withMetadata.dropFirst(8), as: UTF8.self)
      == #"{"__metadata__":{"framework":"pt"}}     "#)
    #expect(try Safetensors.decode(empty).names == [])
    #expect(try Safetensors.decode(withMetadata).metadata == ["framework": "pt"])
  }

  @Test func roundTripsEveryDType() throws {
    var tensors: [(String, StoredTensor)] = []
    for (index, dtype) in DType.allCases.enumerated() {
      let bytes = (0..<(6 * dtype.byteCount)).map { UInt8(truncatingIfNeeded: $0 * 37 + index) }
      tensors.append(("t.\(dtype.rawValue)", try StoredTensor(dtype: dtype, shape: [2, 3], bytes: bytes)))
    }
    tensors.append(("scalar", StoredTensor(integers: [Int64(-5)], shape: [])))
    let metadata = ["quote\"key": "line\nbreak", "unicode": "é ✓ \u{1}"]
    try withTemporaryDirectory { directory throws in
      let url = directory.appendingPathComponent("all.safetensors")
      try Safetensors.write(tensors, metadata: metadata, to: url)
      let contents = try Safetensors.read(contentsOf: url)
      #expect(contents.metadata == metadata)
      for (name, tensor) in tensors {
        #expect(contents[name] == tensor, "\(name)")
      }
      // Widest dtypes first, then by name; every tensor's data aligned to its element size.
      #expect(Array(contents.names.prefix(3)) == ["t.U64", "scalar", "t.I64"])
      #expect(contents.names.last == "t.BOOL")
      let file = try Data(contentsOf: url)
      let headerLength = file.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
      #expect(headerLength % 8 == 0)
    }
  }

  @Test func floatTensorsRoundTripThroughAFile() throws {
    var generator = SeededGenerator(seed: 7)
    let weights = Tensor<Float>(randomNormal: [16, 3, 3, 3], using: &generator)
    let bias = Tensor<Double>(randomNormal: [16], using: &generator)
    try withTemporaryDirectory { directory throws in
      let url = directory.appendingPathComponent("state.safetensors")
      try Safetensors.write(
        ["conv.weight": StoredTensor(weights), "conv.bias": StoredTensor(bias)], to: url)
      let contents = try Safetensors.read(contentsOf: url)
      #expect(contents.metadata == [:])
      #expect(try contents.tensor(named: "conv.weight").floatingPoint(as: Float.self) == weights)
      #expect(try contents.tensor(named: "conv.bias").floatingPoint(as: Double.self) == bias)
    }
  }

  @Test func namesFollowDataOffsetsNotHeaderOrder() throws {
    // A header listing tensors in another order than their data (as older writers did).
    let file = safetensorsFile(
      #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},"#
        + #""c":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"#
        + #""b":{"dtype":"U8","shape":[0],"data_offsets":[3,3]}}"#,
      data: [10, 11, 12])
    let contents = try Safetensors.decode(file)
    #expect(contents.names == ["c", "a", "b"])
    #expect(contents["c"]?.bytes == [10, 11] && contents["a"]?.bytes == [12])
  }

  @Test func headerMayHaveExtraFieldsWhitespaceAndEscapes() throws {
    let file = safetensorsFile(
      "{ \"w\\u00e9\\n\" : { \"shape\" : [ 2 ] , \"dtype\" : \"I8\", \"data_offsets\" : [0, 2],"
        + " \"extra\": {\"x\": [1.5e3, null, true]} } }\n  ",
      data: [1, 255])
    let contents = try Safetensors.decode(file)
    #expect(contents.names == ["wé\n"])
    #expect(try contents["wé\n"]?.integers() == [1, -1])
  }

  @Test func invalidNamesAreRejectedBeforeWriting() throws {
    let tensor = StoredTensor(integers: [UInt8(1)], shape: [1])
    try withTemporaryDirectory { directory throws in
      let url = directory.appendingPathComponent("bad.safetensors")
      let duplicate = #expect(throws: TensorIOError.self) {
        try Safetensors.write([("w", tensor), ("w", tensor)], to: url)
      }
      #expect(duplicate == .invalidTensorName(path: url.path, key: "w", reason: "appears twice"))
      let reserved = #expect(throws: TensorIOError.self) {
        try Safetensors.write(["__metadata__": tensor], to: url)
      }
      #expect(reserved?.description
        == "\(url.path): tensor name \"__metadata__\": reserved for the metadata map")
      #expect(try listing(directory) == [])
    }
  }
}
