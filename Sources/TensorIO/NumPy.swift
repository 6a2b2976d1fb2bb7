// Reading and writing NumPy .npy files.

import Foundation

/// Reads and writes NumPy's `.npy` format: one array per file, as `numpy.save` writes it.
///
/// Reading accepts format versions 1.0, 2.0 and 3.0 with a little-endian (or byte-order-free)
/// C-ordered array of `float16`, `float32`, `float64`, `int8` ... `int64`, `uint8` ...
/// `uint64` or `bool`. Big-endian, Fortran-ordered (with two or more dimensions), object and
/// structured arrays are rejected with a ``TensorIOError`` that says how to re-save them.
///
/// `.npz` archives of several arrays (`numpy.savez`, `numpy.savez_compressed`) are read with
/// ``readArchive(contentsOf:)`` and written with `writeArchive(_:to:)`.
///
/// ```swift
/// // Python: np.save("labels.npy", np.array([3, 1, 4]))
/// let labels = try NumPy.read(contentsOf: URL(fileURLWithPath: "labels.npy")).integers()
/// ```
public enum NumPy {
  /// Reads a `.npy` file (Python `numpy.load(path)`, which never unpickles here).
  ///
  /// The file must hold exactly the header and the array's bytes: data cut short or followed
  /// by extra bytes is reported rather than silently truncated or ignored.
  ///
  /// - Parameter url: A local file URL.
  /// - Returns: The array with its dtype and shape (`()` gives shape `[]`).
  /// - Throws: ``TensorIOError`` naming the file, and the byte offset at fault.
  public static func read(contentsOf url: URL) throws -> StoredTensor {
    try decode(FileAccess.contents(of: url), path: url.path)
  }

  /// Decodes the bytes of a `.npy` file held in memory (Python
  /// `numpy.load(io.BytesIO(data))`).
  ///
  /// - Parameters:
  ///   - data: The whole file.
  ///   - path: The name to use in error messages.
  /// - Throws: ``TensorIOError``, as ``read(contentsOf:)``.
  public static func decode(_ data: Data, path: String = "<memory>") throws -> StoredTensor {
    try data.withUnsafeBytes { file in try decode(bytes: file, path: path) }
  }

  /// Decodes a whole `.npy` file in memory, copying the array's bytes.
  static func decode(bytes file: UnsafeRawBufferPointer, path: String) throws -> StoredTensor {
    let header = try NumPyHeader(parsing: file, path: path)
    guard let needed = StoredTensor.byteCount(dtype: header.dtype, shape: header.shape) else {
      throw TensorIOError.invalidField(
        path: path, key: nil, field: "shape",
        expected: "a shape whose byte size fits in 64 bits", found: "\(header.shape)")
    }
    let available = file.count - header.dataStart
    guard available >= needed else {
      throw TensorIOError.truncatedFile(
        path: path, what: "\(header.dtype.rawValue) \(header.shape) data",
        expectedBytes: header.dataStart + needed, foundBytes: file.count)
    }
    guard available == needed else {
      throw TensorIOError.trailingBytes(
        path: path, offset: header.dataStart + needed, count: available - needed)
    }
    return StoredTensor(
      unchecked: header.dtype, shape: header.shape,
      copying: UnsafeRawBufferPointer(rebasing: file[header.dataStart...]))
  }

  /// The bytes `numpy.save` writes for `array` (format version 1.0; 2.0 only for a header
  /// over 64 KiB), identical to NumPy's output.
  ///
  /// - Throws: ``TensorIOError/unsupportedDType(path:key:dtype:reason:)`` for `bfloat16`,
  ///   which NumPy lacks.
  public static func encode(_ array: StoredTensor) throws -> Data {
    var data = Data(try header(for: array, path: "<memory>"))
    data.append(contentsOf: array.bytes)
    return data
  }

  /// Writes `array` to a `.npy` file atomically (Python `numpy.save(path, array)`).
  ///
  /// The bytes are those of ``encode(_:)``. They go to a temporary file in the same directory,
  /// renamed over `url` only when complete: `url` never holds a partial file, and a failed
  /// write leaves nothing behind.
  ///
  /// - Parameters:
  ///   - array: The array to write.
  ///   - url: The destination, a local file URL; an existing file there is replaced. NumPy
  ///     appends `.npy` to a name without it; this function uses the name as given.
  /// - Throws: ``TensorIOError/unsupportedDType(path:key:dtype:reason:)`` for `bfloat16`, or
  ///   ``TensorIOError/writeFailed(path:reason:)``.
  public static func write(_ array: StoredTensor, to url: URL) throws {
    let header = try header(for: array, path: url.path)
    try FileAccess.writeAtomically(to: url) { write in
      try header.withUnsafeBytes(write)
      try array.bytes.withUnsafeBytes(write)
    }
  }

  static func header(for array: StoredTensor, path: String) throws -> [UInt8] {
    guard let descr = array.dtype.numpyDescr else {
      throw TensorIOError.unsupportedDType(
        path: path, key: nil, dtype: array.dtype.rawValue,
        reason: "NumPy has no bfloat16; store it as float32 with"
          + " StoredTensor(array.floatingPoint(as: Float.self))")
    }
    return NumPyHeader.encode(descr: descr, shape: array.shape)
  }
}
