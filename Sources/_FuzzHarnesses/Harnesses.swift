// One harness per loader, each taking arbitrary bytes: the fuzzing entry point
// (`make fuzz`, libFuzzer with AddressSanitizer) and the regression replay of the committed
// corpora (FuzzRegressionTests) run the same functions. A harness may throw (bad input is
// expected to be refused); it must never crash, hang, or allocate far beyond its input.

import Foundation
import NeuralNetworks
import ONNXImport
import TensorCore
import TensorIO

/// The loaders under test, by name.
public enum FuzzHarness: String, CaseIterable, Sendable {
  case safetensors, npy, npz, idx, cifar10, onnx

  /// The fixture files that seed this harness's corpus (paths relative to Tests/Fixtures).
  public var seedExtensions: [String] {
    switch self {
    case .safetensors: ["safetensors"]
    case .npy: ["npy"]
    case .npz: ["npz"]
    case .idx: ["idx", "gz"]
    case .cifar10: ["bin"]
    case .onnx: ["onnx"]
    }
  }

  /// Runs the loader on `bytes`, converting what it returns as a command would; errors are
  /// thrown, never trapped.
  public func run(_ bytes: Data) throws {
    switch self {
    case .safetensors:
      let contents = try Safetensors.decode(bytes)
      for name in contents.names {
        guard let stored = contents[name] else { continue }
        try exercise(stored)
      }
    case .npy:
      try exercise(try NumPy.decode(bytes))
    case .npz:
      let archive = try NumPy.decodeArchive(bytes)
      for name in archive.names { try exercise(try archive.array(named: name)) }
    case .idx:
      try exercise(try IDX.decode(bytes))
    case .cifar10:
      // The reader takes files: the bytes go through a temporary one.
      let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "hessian-fuzz-\(ProcessInfo.processInfo.processIdentifier).bin")
      try bytes.write(to: url)
      defer { try? FileManager.default.removeItem(at: url) }
      _ = try CIFAR10.read(contentsOf: url, limit: 16, as: Float.self)
    case .onnx:
      let graph = try ONNXGraph(serializedBytes: bytes)
      let network = try ONNXNetwork<Float>(graph)
      _ = Model<Float>(network)
    }
  }

  private func exercise(_ stored: StoredTensor) throws {
    if stored.dtype.isFloatingPoint {
      _ = stored.floatingPoint(as: Float.self)
    } else if stored.dtype != .bool {
      _ = try stored.integers()
    }
  }
}
