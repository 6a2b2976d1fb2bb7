// Small helpers for the TensorIO tests (the shared _TestSupport target is not used here).

import Foundation

/// Runs `body` with a new empty directory that is removed afterwards.
func withTemporaryDirectory<Result>(_ body: (URL) throws -> Result) throws -> Result {
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("TensorIOTests-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: directory) }
  return try body(directory)
}

/// The names in a directory, sorted.
func listing(_ directory: URL) throws -> [String] {
  try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
}

/// Decodes base64 text that a test embeds (see the Python beside each use).
func base64(_ text: String) -> Data {
  Data(base64Encoded: text) ?? Data()
}

/// A safetensors file built by hand: the 8-byte little-endian length, `header` as UTF-8
/// bytes, then `data`.
func safetensorsFile(_ header: String, data: [UInt8] = []) -> Data {
  headerFile(Array(header.utf8), data: data)
}

/// A safetensors file with raw header bytes.
func headerFile(_ header: [UInt8], data: [UInt8] = []) -> Data {
  var file = Data()
  withUnsafeBytes(of: UInt64(header.count).littleEndian) { file.append(contentsOf: $0) }
  file.append(contentsOf: header)
  file.append(contentsOf: data)
  return file
}

/// The little-endian bytes of `values`.
func littleEndianBytes<T>(_ values: [T]) -> [UInt8] {
  values.withUnsafeBytes { Array($0) }
}

/// `count` zero bytes.
func zeros(_ count: Int) -> [UInt8] {
  [UInt8](repeating: 0, count: count)
}

/// Decodes base64 text that a test embeds over several lines (whitespace is ignored).
func base64Block(_ text: String) -> Data {
  Data(base64Encoded: text, options: .ignoreUnknownCharacters) ?? Data()
}
