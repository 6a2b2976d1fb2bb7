// StoredTensor: dtype tables, initializers and conversions, against hand-computed bytes.

import TensorCore
import Testing

@testable import TensorIO

@Suite struct StoredTensorTests {
  @Test func dtypeSizesAndNumPyDescrs() {
    // Python: {t: (np.dtype(t).itemsize, np.dtype(t).str) for t in ['f2', 'f4', ...]}
    let expected: [DType: (Int, String?)] = [
      .float16: (2, "<f2"), .bfloat16: (2, nil), .float32: (4, "<f4"), .float64: (8, "<f8"),
      .int8: (1, "|i1"), .int16: (2, "<i2"), .int32: (4, "<i4"), .int64: (8, "<i8"),
      .uint8: (1, "|u1"), .uint16: (2, "<u2"), .uint32: (4, "<u4"), .uint64: (8, "<u8"),
      .bool: (1, "|b1"),
    ]
    #expect(DType.allCases.count == expected.count)
    for dtype in DType.allCases {
      #expect(dtype.byteCount == expected[dtype]?.0)
      #expect(dtype.numpyDescr == expected[dtype]?.1)
      if let descr = dtype.numpyDescr { #expect(DType(numpyDescr: descr) == dtype) }
    }
    #expect(DType(numpyDescr: "<u1") == .uint8)
    #expect(DType(numpyDescr: ">f4") == nil)
    #expect(DType(numpyDescr: "|O") == nil)
    #expect(DType(rawValue: "BF16") == .bfloat16)
  }

  @Test func rawBytesMustMatchShape() throws {
    let tensor = try StoredTensor(dtype: .int16, shape: [2, 1], bytes: [1, 0, 0xFF, 0xFF])
    #expect(try tensor.integers() == [1, -1])
    #expect(tensor.count == 2)
    let error = #expect(throws: TensorIOError.self) {
      try StoredTensor(dtype: .float32, shape: [2, 3], bytes: [0, 0, 0])
    }
    #expect(error == .byteCountMismatch(dtype: .float32, shape: [2, 3], expected: 24, found: 3))
    #expect(error?.description == "F32 [2, 3] needs 24 bytes, found 3")
    #expect(throws: TensorIOError.self) { try StoredTensor(dtype: .uint8, shape: [-1], bytes: []) }
  }

  @Test func floatTensorsKeepTheirBytes() {
    let floats = Tensor<Float>(shape: [2], scalars: [1, -2.5])
    let stored = StoredTensor(floats)
    #expect(stored.dtype == .float32)
    #expect(stored.bytes == [0, 0, 0x80, 0x3F, 0, 0, 0x20, 0xC0])
    #expect(stored.floatingPoint(as: Float.self) == floats)
    let doubles = StoredTensor(Tensor<Double>(shape: [], scalars: [0.5]))
    #expect(doubles.dtype == .float64 && doubles.shape == [])
    #expect(doubles.bytes == [0, 0, 0, 0, 0, 0, 0xE0, 0x3F])
  }

  @Test func narrowingToStoredHalfRoundsToNearestEven() {
    // Python: np.array([1/3, 65520, 1 + 2**-11], np.float64).astype(np.float16).view(np.uint16)
    //   -> [0x3555, 0x7C00, 0x3C00]
    let tensor = Tensor<Double>(shape: [3], scalars: [1.0 / 3, 65520, 1 + 0x1p-11])
    let half = StoredTensor(tensor, as: .float16)
    #expect(half.bytes == [0x55, 0x35, 0x00, 0x7C, 0x00, 0x3C])
    // Python: torch.tensor([1/3], dtype=torch.float32).to(torch.bfloat16) -> 0x3EAB
    let bf16 = StoredTensor(Tensor<Float>(shape: [1], scalars: [1.0 / 3]), as: .bfloat16)
    #expect(bf16.bytes == [0xAB, 0x3E])
    #expect(bf16.floatingPoint(as: Double.self).scalars == [0x1.56p-2])
    let narrowed = StoredTensor(Tensor<Double>(shape: [1], scalars: [0.1]), as: .float32)
    #expect(narrowed.floatingPoint(as: Float.self).scalars == [0.1])
  }

  @Test func integerInitializersPickTheDType() throws {
    let labels = StoredTensor(integers: [Int64(3), -1, 1 << 40], shape: [3])
    #expect(labels.dtype == .int64)
    #expect(labels.bytes == littleEndianBytes([Int64(3), -1, 1 << 40]))
    #expect(try labels.integers() == [3, -1, 1 << 40])
    #expect(StoredTensor(integers: [Int32(-7)], shape: []).dtype == .int32)
    #expect(StoredTensor(integers: [UInt8(255)], shape: [1]).bytes == [255])
    #expect(StoredTensor(integers: [UInt16.max], shape: [1]).dtype == .uint16)
    #expect(StoredTensor(integers: [Int(5)], shape: [1, 1]).dtype == .int64)
    let mask = StoredTensor(booleans: [true, false], shape: [2])
    #expect(mask.dtype == .bool && mask.bytes == [1, 0])
  }

  /// One tensor of every dtype, built from hand-written little-endian bytes, and the values
  /// each must convert to.
  static let everyDType: [(StoredTensor, [Double])] = {
    func stored(_ dtype: DType, _ bytes: [UInt8]) -> StoredTensor {
      StoredTensor(unchecked: dtype, shape: [bytes.count / dtype.byteCount], bytes: bytes)
    }
    return [
      (stored(.float16, [0x55, 0x35, 0x01, 0x00, 0x00, 0xFC]), [0x1.554p-2, 0x1p-24, -.infinity]),
      (stored(.bfloat16, [0xAB, 0x3E, 0x80, 0xBF]), [0x1.56p-2, -1]),
      (stored(.float32, littleEndianBytes([Float(0.1), -0.0])), [Double(Float(0.1)), -0.0]),
      (stored(.float64, littleEndianBytes([0.1, 1e300])), [0.1, 1e300]),
      (stored(.int8, [0x80, 0x7F]), [-128, 127]),
      (stored(.int16, [0xD4, 0xFE]), [-300]),
      (stored(.int32, [0xFF, 0xFF, 0xFF, 0x7F]), [2_147_483_647]),
      (stored(.int64, littleEndianBytes([Int64(-(1 << 53))])), [-0x1p53]),
      (stored(.uint8, [0, 255]), [0, 255]),
      (stored(.uint16, [0xFF, 0xFF]), [65535]),
      (stored(.uint32, [0xFF, 0xFF, 0xFF, 0xFF]), [4_294_967_295]),
      (stored(.uint64, littleEndianBytes([UInt64(1) << 63])), [0x1p63]),
      (stored(.bool, [1, 0, 7]), [1, 0, 1]),
    ]
  }()

  @Test func everyDTypeConvertsToDouble() {
    #expect(Set(Self.everyDType.map(\.0.dtype)) == Set(DType.allCases))
    for (tensor, values) in Self.everyDType {
      let converted = tensor.floatingPoint(as: Double.self)
      #expect(converted.shape == tensor.shape)
      #expect(converted.scalars.map(\.bitPattern) == values.map(\.bitPattern), "\(tensor.dtype)")
      #expect(tensor.floatingPoint(as: Float.self).scalars == values.map { Float($0) })
    }
  }

  @Test func integersFromIntegerAndBooleanDTypes() throws {
    for (tensor, values) in Self.everyDType where !tensor.dtype.isFloatingPoint {
      if tensor.dtype == .uint64 { continue }
      #expect(try tensor.integers() == values.map { Int($0) }, "\(tensor.dtype)")
    }
    let large = StoredTensor(integers: [UInt64(Int.max)], shape: [1])
    #expect(try large.integers() == [Int.max])
  }

  @Test func integersFromFloatsOnlyWhenWhole() throws {
    let whole = StoredTensor(Tensor<Float>(shape: [3], scalars: [3, -1, 0]))
    #expect(try whole.integers() == [3, -1, 0])
    let fraction = StoredTensor(Tensor<Double>(shape: [3], scalars: [1, 2.5, 3]))
    let error = #expect(throws: TensorIOError.self) { try fraction.integers() }
    #expect(error == .unrepresentableValue(
      dtype: .float64, index: 1, value: "2.5", target: "an integer in Int's range"))
    #expect(error?.description == "F64 element 1 is 2.5, which is not an integer in Int's range")
    let nan = StoredTensor(Tensor<Float>(shape: [1], scalars: [.nan]))
    #expect(throws: TensorIOError.self) { try nan.integers() }
    let huge = StoredTensor(Tensor<Double>(shape: [1], scalars: [0x1p63]))
    #expect(throws: TensorIOError.self) { try huge.integers() }
    let tooLarge = StoredTensor(integers: [UInt64(1) << 63], shape: [1])
    let overflow = #expect(throws: TensorIOError.self) { try tooLarge.integers() }
    #expect(overflow?.description.contains("9223372036854775808") == true)
  }

  @Test func emptyAndScalarTensors() throws {
    let empty = try StoredTensor(dtype: .float32, shape: [0, 4], bytes: [])
    #expect(empty.count == 0)
    #expect(empty.floatingPoint(as: Float.self).shape == [0, 4])
    #expect(try empty.integers() == [])
    let scalar = StoredTensor(integers: [Int64(7)], shape: [])
    #expect(scalar.floatingPoint(as: Double.self).scalar == 7)
  }

  // Regression: in release builds the same-precision copy returned an already-freed tensor
  // (swiftlang/swift#90477, see ByteCopy.swift). Run the suite with `-c release` to cover it.
  @Test func sameAndMixedPrecisionConversionsSurviveUse() throws {
    var generator = SeededGenerator(seed: 3)
    let floats = Tensor<Float>(randomNormal: [64, 1024], using: &generator)
    let doubles = Tensor<Double>(randomNormal: [32, 1024], using: &generator)
    let file = try Safetensors.encode([("f", StoredTensor(floats)), ("d", StoredTensor(doubles))])
    let contents = try Safetensors.decode(file)
    for _ in 0..<3 {
      let f = try contents.tensor(named: "f").floatingPoint(as: Float.self)
      let d = try contents.tensor(named: "d").floatingPoint(as: Double.self)
      let widened = try contents.tensor(named: "f").floatingPoint(as: Double.self)
      #expect(f == floats && d == doubles && widened == Tensor<Double>(floats))
    }
  }
}
