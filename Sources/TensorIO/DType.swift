// DType: the element types of stored tensors, with their safetensors and NumPy spellings.

#if _endian(big)
  #error("TensorIO reads and writes little-endian data by copying memory: a big-endian host is unsupported")
#endif

/// The element type of a stored tensor, spelled as in the safetensors header (`"F32"`, ...).
///
/// | case | safetensors | NumPy descr | PyTorch |
/// | --- | --- | --- | --- |
/// | `float16` | `F16` | `<f2` | `torch.float16` |
/// | `bfloat16` | `BF16` | (none) | `torch.bfloat16` |
/// | `float32` | `F32` | `<f4` | `torch.float32` |
/// | `float64` | `F64` | `<f8` | `torch.float64` |
/// | `int8` ... `int64` | `I8` ... `I64` | `|i1`, `<i2`, `<i4`, `<i8` | `torch.int8` ... |
/// | `uint8` ... `uint64` | `U8` ... `U64` | `|u1`, `<u2`, `<u4`, `<u8` | `torch.uint8` ... |
/// | `bool` | `BOOL` | `|b1` | `torch.bool` |
///
/// All multi-byte types are stored little-endian. FP8 and the other safetensors types that
/// PyTorch rarely writes are not supported and are reported as ``TensorIOError/unsupportedDType(path:key:dtype:reason:)``.
public enum DType: String, CaseIterable, Sendable {
  /// IEEE 754 binary16 (half precision).
  case float16 = "F16"
  /// bfloat16: the top 16 bits of a binary32.
  case bfloat16 = "BF16"
  /// IEEE 754 binary32.
  case float32 = "F32"
  /// IEEE 754 binary64.
  case float64 = "F64"
  /// Signed 8-bit integer.
  case int8 = "I8"
  /// Signed 16-bit integer.
  case int16 = "I16"
  /// Signed 32-bit integer.
  case int32 = "I32"
  /// Signed 64-bit integer (PyTorch's `torch.long`, the dtype of class labels).
  case int64 = "I64"
  /// Unsigned 8-bit integer (raw image bytes).
  case uint8 = "U8"
  /// Unsigned 16-bit integer.
  case uint16 = "U16"
  /// Unsigned 32-bit integer.
  case uint32 = "U32"
  /// Unsigned 64-bit integer.
  case uint64 = "U64"
  /// A boolean stored in one byte (0 is false, anything else true).
  case bool = "BOOL"

  /// The size of one element in bytes (safetensors `Dtype::size`, NumPy `dtype.itemsize`).
  public var byteCount: Int {
    switch self {
    case .int8, .uint8, .bool: return 1
    case .float16, .bfloat16, .int16, .uint16: return 2
    case .float32, .int32, .uint32: return 4
    case .float64, .int64, .uint64: return 8
    }
  }

  /// Whether the type is a floating-point type (`F16`, `BF16`, `F32`, `F64`).
  public var isFloatingPoint: Bool {
    switch self {
    case .float16, .bfloat16, .float32, .float64: return true
    default: return false
    }
  }

  /// The NumPy array-protocol type string for this dtype (`numpy.dtype.str`), as written in the
  /// `descr` field of a `.npy` header, or `nil` for `bfloat16`, which NumPy lacks.
  public var numpyDescr: String? {
    switch self {
    case .float16: return "<f2"
    case .bfloat16: return nil
    case .float32: return "<f4"
    case .float64: return "<f8"
    case .int8: return "|i1"
    case .int16: return "<i2"
    case .int32: return "<i4"
    case .int64: return "<i8"
    case .uint8: return "|u1"
    case .uint16: return "<u2"
    case .uint32: return "<u4"
    case .uint64: return "<u8"
    case .bool: return "|b1"
    }
  }

  /// The dtype for a NumPy descr such as `"<f4"` or `"|u1"`, or `nil` if the descr is not a
  /// little-endian (or byte-order-free) type listed in ``numpyDescr``.
  ///
  /// One-byte types are accepted with either `|` or `<`, as `numpy.dtype` does.
  public init?(numpyDescr: String) {
    let aliases = ["<i1": DType.int8, "<u1": .uint8, "<b1": .bool]
    if let dtype = DType.allCases.first(where: { $0.numpyDescr == numpyDescr }) {
      self = dtype
    } else if let dtype = aliases[numpyDescr] {
      self = dtype
    } else {
      return nil
    }
  }

  /// The position in the safetensors writer's ordering, where larger means written first.
  ///
  /// The reference implementation (`safetensors::tensor::prepare`) sorts tensors by its `Dtype`
  /// enum in descending declaration order, then by name, so that the widest types come first
  /// and every tensor's data stays aligned to its element size.
  var safetensorsWriteRank: Int {
    switch self {
    case .bool: return 0
    case .uint8: return 1
    case .int8: return 2
    case .int16: return 3
    case .uint16: return 4
    case .float16: return 5
    case .bfloat16: return 6
    case .int32: return 7
    case .uint32: return 8
    case .float32: return 9
    case .float64: return 10
    case .int64: return 11
    case .uint64: return 12
    }
  }
}
