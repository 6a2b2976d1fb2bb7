// Converting a StoredTensor's bytes to a floating-point Tensor or to integers.
//
// Every loop reads straight from the byte buffer with `loadUnaligned`; a dtype that matches the
// target precision is a single memory copy (through `copyBytes`, see ByteCopy.swift).

import TensorCore

extension StoredTensor {
  /// The elements as a floating-point tensor of the same shape (PyTorch `tensor.float()` or
  /// `tensor.double()`, NumPy `array.astype(np.float32)`).
  ///
  /// Every value of `F16`, `BF16` and `F32` converts exactly, to `Float` and to `Double`; `F64`
  /// converts exactly to `Double` and to the nearest `Float`. Integers convert exactly when
  /// representable (up to 2^24 in magnitude for `Float`, 2^53 for `Double`) and otherwise to
  /// the nearest value; `BOOL` gives 0 and 1.
  ///
  /// - Parameter type: `Float.self` or `Double.self`; inferred from context when omitted.
  /// - Returns: A tensor with ``shape`` and the converted elements in row-major order.
  public func floatingPoint<Scalar: TensorScalar>(
    as type: Scalar.Type = Scalar.self
  ) -> Tensor<Scalar> {
    // Calls with concrete types get specialized copies whose loops convert directly; an
    // unspecialized generic loop is 10-50x slower. The casts are identities.
    if Scalar.self == Float.self {
      return unsafeBitCast(converted(to: Float.self), to: Tensor<Scalar>.self)
    }
    if Scalar.self == Double.self {
      return unsafeBitCast(converted(to: Double.self), to: Tensor<Scalar>.self)
    }
    return converted(to: Scalar.self)
  }

  private func converted<Scalar: TensorScalar>(to type: Scalar.Type) -> Tensor<Scalar> {
    Tensor<Scalar>(shape: shape) { destination in
      bytes.withUnsafeBytes { source in
        switch dtype {
        case .float32 where Scalar.self == Float.self, .float64 where Scalar.self == Double.self:
          copyBytes(source, to: UnsafeMutableRawBufferPointer(destination))
        case .float16:
          convert(source, into: destination) { (bits: UInt16) in
            Scalar(HalfPrecision.float(fromHalf: bits))
          }
        case .bfloat16:
          convert(source, into: destination) { (bits: UInt16) in
            Scalar(HalfPrecision.float(fromBFloat16: bits))
          }
        case .float32: convert(source, into: destination) { (x: Float) in Scalar(x) }
        case .float64: convert(source, into: destination) { (x: Double) in Scalar(x) }
        case .int8: convert(source, into: destination) { (x: Int8) in Scalar(x) }
        case .int16: convert(source, into: destination) { (x: Int16) in Scalar(x) }
        case .int32: convert(source, into: destination) { (x: Int32) in Scalar(x) }
        case .int64: convert(source, into: destination) { (x: Int64) in Scalar(x) }
        case .uint8: convert(source, into: destination) { (x: UInt8) in Scalar(x) }
        case .uint16: convert(source, into: destination) { (x: UInt16) in Scalar(x) }
        case .uint32: convert(source, into: destination) { (x: UInt32) in Scalar(x) }
        case .uint64: convert(source, into: destination) { (x: UInt64) in Scalar(x) }
        case .bool: convert(source, into: destination) { (x: UInt8) in x == 0 ? 0 : 1 }
        }
      }
    }
  }

  /// The elements as `Int`s in row-major order (class labels, index tensors; PyTorch
  /// `tensor.tolist()` on a `torch.long` tensor).
  ///
  /// Integer dtypes convert exactly, and `BOOL` gives 0 and 1. Floating-point dtypes are
  /// accepted too, because label files are sometimes saved as floats, but only when every
  /// element is a whole number within `Int`'s range: nothing is silently rounded.
  ///
  /// - Returns: `count` integers.
  /// - Throws: ``TensorIOError/unrepresentableValue(dtype:index:value:target:)`` naming the first
  ///   element that is a fraction, infinite, NaN, or beyond `Int` (a `U64` above `Int.max`).
  public func integers() throws -> [Int] {
    try bytes.withUnsafeBytes { source -> [Int] in
      switch dtype {
      case .int8: return load(source, Int8.self).map { Int($0) }
      case .int16: return load(source, Int16.self).map { Int($0) }
      case .int32: return load(source, Int32.self).map { Int($0) }
      case .int64: return load(source, Int64.self).map { Int($0) }
      case .uint8: return load(source, UInt8.self).map { Int($0) }
      case .uint16: return load(source, UInt16.self).map { Int($0) }
      case .uint32: return load(source, UInt32.self).map { Int($0) }
      case .bool: return load(source, UInt8.self).map { $0 == 0 ? 0 : 1 }
      case .uint64:
        return try load(source, UInt64.self).enumerated().map { index, value in
          guard let converted = Int(exactly: value) else {
            throw unrepresentable(index: index, value: "\(value)")
          }
          return converted
        }
      case .float16, .bfloat16, .float32, .float64:
        return try floatingPoint(as: Double.self).scalars.enumerated().map { index, value in
          guard let converted = Int(exactly: value) else {
            throw unrepresentable(index: index, value: "\(value)")
          }
          return converted
        }
      }
    }
  }

  private func unrepresentable(index: Int, value: String) -> TensorIOError {
    .unrepresentableValue(
      dtype: dtype, index: index, value: value, target: "an integer in Int's range")
  }
}

/// Reads `destination.count` values of type `Source` from `source` and stores `transform` of
/// each.
@inline(__always)
private func convert<Source, Scalar>(
  _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Scalar>,
  _ transform: (Source) -> Scalar
) {
  let stride = MemoryLayout<Source>.size
  for i in 0..<destination.count {
    destination.initializeElement(
      at: i, to: transform(source.loadUnaligned(fromByteOffset: i * stride, as: Source.self)))
  }
}

/// All values of type `Integer` in `source`, little-endian.
@inline(__always)
private func load<Integer: FixedWidthInteger>(
  _ source: UnsafeRawBufferPointer, _ type: Integer.Type
) -> [Integer] {
  let count = source.count / MemoryLayout<Integer>.size
  return [Integer](unsafeUninitializedCapacity: count) { buffer, initialized in
    copyBytes(source, to: UnsafeMutableRawBufferPointer(buffer))
    initialized = count
  }
}
