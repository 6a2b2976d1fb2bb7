// StoredTensor: a tensor of any stored dtype, as raw little-endian bytes, and its initializers.

import TensorCore

/// A tensor as a file stores it: a dtype, a shape, and the elements as raw little-endian bytes
/// in row-major (C) order.
///
/// This is what the readers return and the writers take, whatever the element type: a
/// safetensors entry, or a NumPy array. Convert to a ``TensorCore/Tensor`` with
/// ``floatingPoint(as:)`` (PyTorch `tensor.float()` / `tensor.double()`), or to integers with
/// ``integers()`` (class labels).
///
/// Two stored tensors are equal when their dtypes, shapes and bytes are equal (so `0.0` and
/// `-0.0` differ, and a NaN equals the same NaN).
///
/// ```swift
/// let labels = StoredTensor(integers: [Int64(3), 1, 4], shape: [3])
/// print(labels.dtype, try labels.integers())   // int64 [3, 1, 4]
/// ```
public struct StoredTensor: Sendable, Equatable {
  /// The element type.
  public let dtype: DType
  /// The size of each dimension; `[]` for a scalar (rank 0).
  public let shape: [Int]
  /// The elements as little-endian bytes in row-major order: `count * dtype.byteCount` bytes.
  public let bytes: [UInt8]

  /// The number of elements, the product of ``shape`` (1 for a scalar).
  public var count: Int { shape.reduce(1, *) }

  /// Creates a stored tensor from raw little-endian bytes in row-major order.
  ///
  /// - Parameters:
  ///   - dtype: The element type.
  ///   - shape: The dimensions; every entry must be non-negative.
  ///   - bytes: Exactly `shape.reduce(1, *) * dtype.byteCount` bytes.
  /// - Throws: ``TensorIOError/byteCountMismatch(dtype:shape:expected:found:)`` when the byte
  ///   count does not match, or when the shape has a negative entry or overflows.
  public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws {
    guard let needed = StoredTensor.byteCount(dtype: dtype, shape: shape), needed == bytes.count
    else {
      let needed = StoredTensor.byteCount(dtype: dtype, shape: shape) ?? -1
      throw TensorIOError.byteCountMismatch(
        dtype: dtype, shape: shape, expected: needed, found: bytes.count)
    }
    self.init(unchecked: dtype, shape: shape, bytes: bytes)
  }

  /// Creates a stored tensor whose byte count the caller has already checked.
  init(unchecked dtype: DType, shape: [Int], bytes: [UInt8]) {
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  /// Creates a stored tensor by copying `source` (one `memcpy`), whose byte count the caller
  /// has already checked.
  init(unchecked dtype: DType, shape: [Int], copying source: UnsafeRawBufferPointer) {
    let bytes = [UInt8](unsafeUninitializedCapacity: source.count) { buffer, initialized in
      copyBytes(source, to: UnsafeMutableRawBufferPointer(buffer))
      initialized = source.count
    }
    self.init(unchecked: dtype, shape: shape, bytes: bytes)
  }

  /// The bytes that `count` elements of `dtype` in `shape` occupy, or `nil` if the shape has a
  /// negative entry or the size overflows `Int`.
  static func byteCount(dtype: DType, shape: [Int]) -> Int? {
    var total = dtype.byteCount
    for dimension in shape {
      guard dimension >= 0 else { return nil }
      let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
      if overflow { return nil }
      total = product
    }
    return total
  }

  /// Stores a floating-point tensor in its own precision: `Float` as `F32`, `Double` as `F64`
  /// (PyTorch saving a `torch.float32` / `torch.float64` tensor).
  ///
  /// - Parameter tensor: The tensor to store; its bytes are copied as they are.
  public init<Scalar: TensorScalar>(_ tensor: Tensor<Scalar>) {
    let dtype: DType = MemoryLayout<Scalar>.size == 8 ? .float64 : .float32
    self.init(tensor, as: dtype)
  }

  /// Stores a floating-point tensor as the given floating-point dtype, rounding to nearest with
  /// ties to even when it is narrower (PyTorch `tensor.to(torch.float16)` before saving).
  ///
  /// - Parameters:
  ///   - tensor: The tensor to store.
  ///   - dtype: `float16`, `bfloat16`, `float32` or `float64`.
  /// - Precondition: `dtype.isFloatingPoint`.
  public init<Scalar: TensorScalar>(_ tensor: Tensor<Scalar>, as dtype: DType) {
    precondition(dtype.isFloatingPoint, "StoredTensor(_:as:) needs a floating dtype, got \(dtype)")
    // As in `floatingPoint(as:)`: specialized copies for Float and Double (identity casts).
    let bytes: [UInt8]
    if Scalar.self == Float.self {
      bytes = Self.encode(unsafeBitCast(tensor, to: Tensor<Float>.self), as: dtype)
    } else if Scalar.self == Double.self {
      bytes = Self.encode(unsafeBitCast(tensor, to: Tensor<Double>.self), as: dtype)
    } else {
      bytes = Self.encode(tensor, as: dtype)
    }
    self.init(unchecked: dtype, shape: tensor.shape, bytes: bytes)
  }

  /// The little-endian bytes of `tensor`'s elements converted to the floating-point `dtype`.
  private static func encode<Scalar: TensorScalar>(
    _ tensor: Tensor<Scalar>, as dtype: DType
  ) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: tensor.count * dtype.byteCount)
    tensor.withUnsafeBufferPointer { source in
      bytes.withUnsafeMutableBytes { destination in
        if (Scalar.self == Float.self && dtype == .float32)
          || (Scalar.self == Double.self && dtype == .float64)
        {
          copyBytes(UnsafeRawBufferPointer(source), to: destination)
          return
        }
        for (i, value) in source.enumerated() {
          switch dtype {
          case .float16:
            destination.storeBytes(
              of: HalfPrecision.halfBits(from: Double(value)), toByteOffset: 2 * i, as: UInt16.self)
          case .bfloat16:
            destination.storeBytes(
              of: HalfPrecision.bfloat16Bits(from: Double(value)), toByteOffset: 2 * i,
              as: UInt16.self)
          case .float32:
            destination.storeBytes(of: Float(value), toByteOffset: 4 * i, as: Float.self)
          default:
            destination.storeBytes(of: Double(value), toByteOffset: 8 * i, as: Double.self)
          }
        }
      }
    }
    return bytes
  }

  /// Stores integers as the dtype of their Swift type: `Int64` (and `Int`) as `I64`, `Int32` as
  /// `I32`, `UInt8` as `U8`, and so on (PyTorch `torch.tensor(values, dtype=torch.long)`).
  ///
  /// - Parameters:
  ///   - values: The elements in row-major order.
  ///   - shape: The dimensions; their product must equal `values.count`.
  /// - Precondition: `shape.reduce(1, *) == values.count`.
  public init<Integer: StorableInteger>(integers values: [Integer], shape: [Int]) {
    precondition(
      shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
      "shape \(shape) does not hold \(values.count) values")
    // The host is little-endian (checked in DType.swift), so the array's memory is the file's.
    let bytes = values.withUnsafeBytes { source in
      [UInt8](unsafeUninitializedCapacity: source.count) { buffer, initialized in
        copyBytes(source, to: UnsafeMutableRawBufferPointer(buffer))
        initialized = source.count
      }
    }
    self.init(unchecked: Integer.storedDType, shape: shape, bytes: bytes)
  }

  /// Stores booleans as `BOOL`, one byte each (NumPy `bool_`, PyTorch `torch.bool`).
  ///
  /// - Precondition: `shape.reduce(1, *) == values.count`.
  public init(booleans values: [Bool], shape: [Int]) {
    precondition(
      shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
      "shape \(shape) does not hold \(values.count) values")
    self.init(unchecked: .bool, shape: shape, bytes: values.map { $0 ? 1 : 0 })
  }
}

/// An integer type that ``StoredTensor/init(integers:shape:)`` can store: the standard
/// fixed-width integers, each with the dtype of its width and signedness.
public protocol StorableInteger: FixedWidthInteger {
  /// The dtype that stores values of this type (`Int64` is ``DType/int64``, ...).
  static var storedDType: DType { get }
}

extension Int8: StorableInteger {
  /// ``DType/int8``.
  public static var storedDType: DType { .int8 }
}
extension Int16: StorableInteger {
  /// ``DType/int16``.
  public static var storedDType: DType { .int16 }
}
extension Int32: StorableInteger {
  /// ``DType/int32``.
  public static var storedDType: DType { .int32 }
}
extension Int64: StorableInteger {
  /// ``DType/int64``.
  public static var storedDType: DType { .int64 }
}
extension Int: StorableInteger {
  /// ``DType/int64`` on 64-bit platforms, ``DType/int32`` on 32-bit ones.
  public static var storedDType: DType {
    #if _pointerBitWidth(_64)
      return .int64
    #else
      return .int32
    #endif
  }
}
extension UInt8: StorableInteger {
  /// ``DType/uint8``.
  public static var storedDType: DType { .uint8 }
}
extension UInt16: StorableInteger {
  /// ``DType/uint16``.
  public static var storedDType: DType { .uint16 }
}
extension UInt32: StorableInteger {
  /// ``DType/uint32``.
  public static var storedDType: DType { .uint32 }
}
extension UInt64: StorableInteger {
  /// ``DType/uint64``.
  public static var storedDType: DType { .uint64 }
}
extension UInt: StorableInteger {
  /// ``DType/uint64`` on 64-bit platforms, ``DType/uint32`` on 32-bit ones.
  public static var storedDType: DType {
    #if _pointerBitWidth(_64)
      return .uint64
    #else
      return .uint32
    #endif
  }
}
