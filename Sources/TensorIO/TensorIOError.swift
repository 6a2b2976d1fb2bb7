// TensorIOError: every way reading or writing a tensor file can fail, each naming the file.

/// An error reading or writing a tensor file, or converting a stored tensor.
///
/// Each case carries the file path (as given to the reader or writer, or `"<memory>"` for
/// in-memory data), and where relevant the tensor name (`key`) and the byte offset in the file,
/// so that ``description`` is one line a user can act on, for example:
///
/// ```text
/// model.safetensors: tensor "layer1.0.conv1.weight": data_offsets [0, 100] hold 100 bytes but F32 [16, 3, 3, 3] needs 1728
/// ```
///
/// Python's `safetensors` raises `SafetensorError`, NumPy `ValueError`, `zipfile` `BadZipFile`,
/// `gzip` `BadGzipFile` and `zlib` `zlib.error` for the same conditions.
public enum TensorIOError: Error, CustomStringConvertible, Equatable, Sendable {
  /// No file exists at `path`.
  case fileNotFound(path: String)
  /// The file exists but could not be read.
  case fileUnreadable(path: String, reason: String)
  /// Writing the file failed; the destination was left untouched.
  case writeFailed(path: String, reason: String)
  /// The file ends before a structure that must be there (a length field, a header, data).
  case truncatedFile(path: String, what: String, expectedBytes: Int, foundBytes: Int)
  /// The header length field at `offset` promises more bytes than the file (or the format) allows.
  case headerTooLong(path: String, offset: Int, headerLength: UInt64, available: Int)
  /// The header is not what the format requires at byte `offset` (bad magic, invalid UTF-8,
  /// a JSON or Python-literal syntax error, an unexpected key).
  case malformedHeader(path: String, offset: Int, reason: String)
  /// A header entry lacks a required field (`dtype`, `shape`, `data_offsets`, `descr`, ...).
  case missingField(path: String, key: String?, field: String)
  /// A header field has the wrong type or value.
  case invalidField(path: String, key: String?, field: String, expected: String, found: String)
  /// The element type is unknown or not supported (big-endian, object, structured, FP8, ...).
  case unsupportedDType(path: String, key: String?, dtype: String, reason: String)
  /// The array layout is not supported (NumPy `fortran_order: True`).
  case unsupportedLayout(path: String, reason: String)
  /// A tensor's `data_offsets` span a number of bytes other than its shape and dtype need.
  case dataSizeMismatch(
    path: String, key: String, begin: Int, end: Int, dtype: DType, shape: [Int], needed: Int)
  /// A tensor's data does not start where the previous one ends (a gap or an overlap).
  case dataOffsetsNotContiguous(path: String, key: String, begin: Int, expectedBegin: Int)
  /// A tensor's `data_offsets` are reversed or reach past the end of the data buffer.
  case dataOffsetsOutOfRange(path: String, key: String, begin: Int, end: Int, bufferSize: Int)
  /// Bytes follow the last tensor's data: the format requires the buffer to be fully covered.
  case trailingBytes(path: String, offset: Int, count: Int)
  /// No tensor named `key` is in the file.
  case tensorNotFound(path: String, key: String, available: [String])
  /// A name cannot be written (empty, duplicated, or the reserved `__metadata__`).
  case invalidTensorName(path: String, key: String, reason: String)
  /// Raw bytes given for a stored tensor do not match its shape and dtype.
  case byteCountMismatch(dtype: DType, shape: [Int], expected: Int, found: Int)
  /// A value cannot be converted to the requested type (a fraction, NaN or out of range).
  case unrepresentableValue(dtype: DType, index: Int, value: String, target: String)
  /// The bytes at `offset` break the format's rules: compressed data that do not decode, a ZIP
  /// record or directory entry that is inconsistent, a CIFAR-10 label above 9. `key` names the
  /// array of a `.npz` archive the bytes belong to, when known.
  case malformedData(path: String, key: String?, offset: Int, reason: String)
  /// A checksum recorded at `offset` (a ZIP member's or gzip member's CRC-32, a gzip header's
  /// CRC-16) differs from the one computed from the data: the file is corrupt.
  case checksumMismatch(
    path: String, key: String?, offset: Int, what: String, recorded: UInt32, computed: UInt32)
  /// The data are compressed, or encrypted, with a method this reader lacks: ZIP members must be
  /// stored (method 0) or deflated (method 8), gzip members deflated.
  case unsupportedCompression(path: String, key: String?, offset: Int, method: Int, reason: String)
  /// A file of fixed-size records (CIFAR-10 batches) ends inside a record.
  case partialRecord(path: String, fileSize: Int, recordSize: Int)
  /// Two files that describe the same samples (MNIST images and labels) disagree on how many.
  case countMismatch(
    path: String, what: String, count: Int, otherPath: String, otherWhat: String, otherCount: Int)
  /// An argument given with the file is unusable (normalization constants, a limit).
  case invalidArgument(name: String, reason: String)

  /// One line naming the file, the tensor and the byte offset where relevant, and what was
  /// expected against what was found.
  public var description: String {
    switch self {
    case .fileNotFound(let path):
      return "\(path): no such file"
    case .fileUnreadable(let path, let reason):
      return "\(path): cannot read the file: \(reason)"
    case .writeFailed(let path, let reason):
      return "\(path): cannot write the file (nothing was written there): \(reason)"
    case .truncatedFile(let path, let what, let expected, let found):
      return "\(path): file too short for \(what): needs \(expected) bytes, found \(found)"
    case .headerTooLong(let path, let offset, let length, let available):
      return "\(path): byte \(offset): header length \(length) exceeds the \(available) bytes"
        + " available"
    case .malformedHeader(let path, let offset, let reason):
      return "\(path): byte \(offset): malformed header: \(reason)"
    case .missingField(let path, let key, let field):
      return "\(path): \(tensorPrefix(key))missing field \"\(field)\""
    case .invalidField(let path, let key, let field, let expected, let found):
      return "\(path): \(tensorPrefix(key))field \"\(field)\" should be \(expected), found \(found)"
    case .unsupportedDType(let path, let key, let dtype, let reason):
      return "\(path): \(tensorPrefix(key))unsupported dtype \(dtype): \(reason)"
    case .unsupportedLayout(let path, let reason):
      return "\(path): unsupported layout: \(reason)"
    case .dataSizeMismatch(let path, let key, let begin, let end, let dtype, let shape, let needed):
      return "\(path): \(tensorPrefix(key))data_offsets [\(begin), \(end)] hold \(end - begin)"
        + " bytes but \(dtype.rawValue) \(shape) needs \(needed)"
    case .dataOffsetsNotContiguous(let path, let key, let begin, let expected):
      let problem = begin < expected ? "overlaps the previous tensor" : "leaves a gap"
      return "\(path): \(tensorPrefix(key))data_offsets begin at \(begin) but the previous"
        + " tensor ends at \(expected) (\(problem); tensors must tile the buffer)"
    case .dataOffsetsOutOfRange(let path, let key, let begin, let end, let size):
      return "\(path): \(tensorPrefix(key))data_offsets [\(begin), \(end)] are outside the"
        + " \(size)-byte data buffer"
    case .trailingBytes(let path, let offset, let count):
      return "\(path): byte \(offset): \(count) bytes after the last tensor's data"
        + " (expected the file to end there)"
    case .tensorNotFound(let path, let key, let available):
      let shown = available.prefix(5).map { "\"\($0)\"" }.joined(separator: ", ")
      let more = available.count > 5 ? ", ... (\(available.count) tensors)" : ""
      let holds = available.isEmpty ? "no tensors" : shown + more
      return "\(path): no tensor named \"\(key)\" (the file holds \(holds))"
    case .invalidTensorName(let path, let key, let reason):
      return "\(path): tensor name \"\(key)\": \(reason)"
    case .byteCountMismatch(let dtype, let shape, let expected, let found):
      return "\(dtype.rawValue) \(shape) needs \(expected) bytes, found \(found)"
    case .unrepresentableValue(let dtype, let index, let value, let target):
      return "\(dtype.rawValue) element \(index) is \(value), which is not \(target)"
    case .malformedData(let path, let key, let offset, let reason):
      return "\(path): \(tensorPrefix(key))byte \(offset): \(reason)"
    case .checksumMismatch(let path, let key, let offset, let what, let recorded, let computed):
      return "\(path): \(tensorPrefix(key))byte \(offset): \(what) mismatch: the file records"
        + " \(hex(recorded)) but the data give \(hex(computed)) (the file is corrupt)"
    case .unsupportedCompression(let path, let key, let offset, let method, let reason):
      return "\(path): \(tensorPrefix(key))byte \(offset): unsupported compression method"
        + " \(method): \(reason)"
    case .partialRecord(let path, let fileSize, let recordSize):
      return "\(path): the file size \(fileSize) is not a multiple of the \(recordSize)-byte"
        + " record (\(fileSize / recordSize) whole records and \(fileSize % recordSize) bytes more)"
    case .countMismatch(let path, let what, let count, let otherPath, let otherWhat, let other):
      return "\(path): holds \(count) \(what) but \(otherPath) holds \(other) \(otherWhat)"
    case .invalidArgument(let name, let reason):
      return "\(name): \(reason)"
    }
  }

  private func tensorPrefix(_ key: String?) -> String {
    key.map { "tensor \"\($0)\": " } ?? ""
  }

  private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
  }
}
