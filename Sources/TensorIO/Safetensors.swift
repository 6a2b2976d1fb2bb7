// Reading and writing safetensors files (https://github.com/huggingface/safetensors).

import Foundation
import TensorCore

/// Reads and writes the safetensors format, in which PyTorch state dicts and Hugging Face
/// models are shared.
///
/// ```swift
/// let weights = try Safetensors.read(contentsOf: URL(fileURLWithPath: "model.safetensors"))
/// let w: Tensor<Float> = try weights.tensor(named: "fc.weight").floatingPoint()
/// try Safetensors.write(["fc.weight": StoredTensor(w)], to: URL(fileURLWithPath: "out.safetensors"))
/// ```
public enum Safetensors {
  /// Reads and validates a safetensors file (Python `safetensors.torch.load_file`).
  ///
  /// Every check of the reference reader is applied before any tensor is returned: header
  /// length, UTF-8 JSON, each entry's `dtype`, `shape` and `data_offsets`, the tensors tiling
  /// the data buffer without gap or overlap, and the buffer ending exactly at the end of file.
  ///
  /// - Parameter url: A local file URL.
  /// - Returns: The tensors, their names in data-offset order, and the metadata.
  /// - Throws: ``TensorIOError`` naming the file, and the tensor and byte offset at fault.
  public static func read(contentsOf url: URL) throws -> SafetensorsContents {
    try decode(FileAccess.contents(of: url), path: url.path)
  }

  /// Decodes the bytes of a safetensors file held in memory (Python `safetensors.torch.load`).
  ///
  /// - Parameters:
  ///   - data: The whole file.
  ///   - path: The name to use in error messages and ``SafetensorsContents/path``.
  /// - Throws: ``TensorIOError``, as ``read(contentsOf:)``.
  public static func decode(_ data: Data, path: String = "<memory>") throws -> SafetensorsContents
  {
    try data.withUnsafeBytes { file in
      let header = try SafetensorsHeader(parsing: file, path: path)
      var tensors: [String: StoredTensor] = [:]
      for entry in header.entries {
        let range = (header.dataStart + entry.begin)..<(header.dataStart + entry.end)
        tensors[entry.name] = StoredTensor(
          unchecked: entry.dtype, shape: entry.shape,
          copying: UnsafeRawBufferPointer(rebasing: file[range]))
      }
      return SafetensorsContents(
        path: path, names: header.entries.map(\.name), metadata: header.metadata,
        tensors: tensors)
    }
  }

  /// The bytes of a safetensors file holding `tensors` (Python `safetensors.torch.save`).
  ///
  /// The layout is the reference writer's, byte for byte: tensors sorted by dtype, widest
  /// first (the reference's `Dtype` order: U64, I64, F64, F32, U32, I32, BF16, F16, U16, I16,
  /// I8, U8, BOOL), then by name; the JSON header compact, `__metadata__` first with its keys
  /// sorted, padded with spaces to a multiple of 8 bytes so every tensor's data is aligned.
  ///
  /// - Parameters:
  ///   - tensors: Names and tensors; the names must be distinct and not `__metadata__`.
  ///   - metadata: Free-form strings stored under `__metadata__` (PyTorch users often store
  ///     `["format": "pt"]`), or `nil` to omit the key.
  /// - Throws: ``TensorIOError/invalidTensorName(path:key:reason:)`` for a duplicate or
  ///   reserved name.
  public static func encode(
    _ tensors: [(String, StoredTensor)], metadata: [String: String]? = nil
  ) throws -> Data {
    let ordered = try sorted(tensors, path: "<memory>")
    var data = Data()
    serialize(ordered, metadata: metadata) { appendBytes($0, to: &data) }
    return data
  }

  /// Writes `tensors` to a safetensors file atomically (Python
  /// `safetensors.torch.save_file`).
  ///
  /// The file is written to a temporary file in the same directory and renamed over `url`
  /// only when complete, so `url` never holds a partial file; on failure nothing is left
  /// behind. The layout is that of ``encode(_:metadata:)``.
  ///
  /// - Parameters:
  ///   - tensors: Names and tensors; the names must be distinct and not `__metadata__`.
  ///   - metadata: Free-form strings stored under `__metadata__`, or `nil` to omit the key.
  ///   - url: The destination, a local file URL; an existing file there is replaced.
  /// - Throws: ``TensorIOError/invalidTensorName(path:key:reason:)`` or
  ///   ``TensorIOError/writeFailed(path:reason:)``.
  public static func write(
    _ tensors: [(String, StoredTensor)], metadata: [String: String]? = nil, to url: URL
  ) throws {
    let ordered = try sorted(tensors, path: url.path)
    try FileAccess.writeAtomically(to: url) { write in
      try serialize(ordered, metadata: metadata, into: write)
    }
  }

  /// Writes a dictionary of tensors, such as a state dict, to a safetensors file atomically
  /// (Python `safetensors.torch.save_file(state_dict, path)`), like the overload that takes
  /// an array of pairs.
  ///
  /// - Parameters:
  ///   - tensors: Tensors by name; no name may be `__metadata__`.
  ///   - metadata: Free-form strings stored under `__metadata__`, or `nil` to omit the key.
  ///   - url: The destination, a local file URL; an existing file there is replaced.
  /// - Throws: ``TensorIOError/invalidTensorName(path:key:reason:)`` or
  ///   ``TensorIOError/writeFailed(path:reason:)``.
  public static func write(
    _ tensors: [String: StoredTensor], metadata: [String: String]? = nil, to url: URL
  ) throws {
    try write(tensors.map { ($0.key, $0.value) }, metadata: metadata, to: url)
  }

  /// Checks the names and sorts the tensors into the reference writer's order.
  private static func sorted(
    _ tensors: [(String, StoredTensor)], path: String
  ) throws -> [(name: String, tensor: StoredTensor)] {
    var seen = Set<String>()
    for (name, _) in tensors {
      if name == "__metadata__" {
        throw TensorIOError.invalidTensorName(
          path: path, key: name, reason: "reserved for the metadata map")
      }
      guard seen.insert(name).inserted else {
        throw TensorIOError.invalidTensorName(path: path, key: name, reason: "appears twice")
      }
    }
    return tensors.map { (name: $0.0, tensor: $0.1) }.sorted { a, b in
      let rankA = a.tensor.dtype.safetensorsWriteRank
      let rankB = b.tensor.dtype.safetensorsWriteRank
      return rankA != rankB ? rankA > rankB : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
    }
  }

  /// Passes the file's bytes to `sink`: the length and header, then each tensor's data.
  private static func serialize(
    _ ordered: [(name: String, tensor: StoredTensor)], metadata: [String: String]?,
    into sink: (UnsafeRawBufferPointer) throws -> Void
  ) rethrows {
    try SafetensorsHeader.encode(ordered, metadata: metadata).withUnsafeBytes(sink)
    for (_, tensor) in ordered {
      try tensor.bytes.withUnsafeBytes(sink)
    }
  }
}
