// Reading inputs and labels from the formats users have: NumPy .npy/.npz, safetensors,
// CIFAR-10 binary batches and MNIST IDX files. Shapes, dtypes and values are checked against
// the model later (Workload.swift); here each file is read and its format recognized.

import Foundation
import TensorCore
import TensorIO

/// The arrays read from `--inputs` (and labels stored beside them, if any).
struct InputFile<Scalar: TensorScalar> {
  /// The inputs, as stored.
  var inputs: StoredTensor?
  /// Images already converted (CIFAR-10, MNIST), with their scaling and normalization applied.
  var images: (tensor: Tensor<Scalar>, normalization: String)?
  /// Labels found in the same file (CIFAR-10 records, an archive's "labels" array).
  var labels: StoredTensor?
}

enum DataFiles {
  /// Reads `path` by its format: `.npy`, `.npz`, `.safetensors`, CIFAR-10 `.bin`, or MNIST IDX
  /// (a name containing `idx`).
  /// `limit` reads only the first samples of image files (arrays are cut later).
  static func readInputs<Scalar>(
    _ path: String, normalization: NormalizationName, limit: Int?, as type: Scalar.Type,
    arrayName: String? = nil
  ) throws -> InputFile<Scalar> {
    let url = URL(fileURLWithPath: path)
    let name = url.lastPathComponent.lowercased()
    switch Format(name: name) {
    case .npy:
      return InputFile(inputs: try NumPy.read(contentsOf: url))
    case .npz, .safetensors:
      let arrays = try namedArrays(url)
      let inputs = try arrays.array(arrayName.map { [$0] } ?? ["inputs", "x"], role: "inputs")
      let labels =
        arrays.names.contains("labels") ? try arrays.array(["labels"], role: "labels") : nil
      return InputFile(inputs: inputs, labels: labels)
    case .cifar10:
      let norm = normalization == .auto ? ChannelNormalization.cifar10 : try chosen(normalization)
      let data = try CIFAR10.read(
        contentsOf: url, limit: limit, normalization: norm, as: Scalar.self)
      return InputFile(
        images: (data.inputs, normalization: norm == nil ? "none" : "cifar10"),
        labels: StoredTensor(integers: data.labels.map(Int64.init), shape: [data.count]))
    case .idx:
      let norm = normalization == .auto ? ChannelNormalization.mnist : try chosen(normalization)
      let images = try MNIST.readImages(
        contentsOf: url, limit: limit, normalization: norm, as: Scalar.self)
      return InputFile(images: (images, normalization: norm == nil ? "none" : "mnist"))
    case nil:
      throw CLIError(
        "\(path): unknown input format; expected .npy, .npz, .safetensors, a CIFAR-10 .bin "
          + "batch or an MNIST IDX file (a name containing \"idx\")")
    }
  }

  /// Reads labels (or MSE targets) from `path`.
  static func readLabels(_ path: String) throws -> StoredTensor {
    let url = URL(fileURLWithPath: path)
    switch Format(name: url.lastPathComponent.lowercased()) {
    case .npy: return try NumPy.read(contentsOf: url)
    case .npz, .safetensors:
      return try namedArrays(url).array(["labels", "y", "targets"], role: "labels")
    case .idx:
      let labels = try MNIST.readLabels(contentsOf: url)
      return StoredTensor(integers: labels.map(Int64.init), shape: [labels.count])
    case .cifar10:
      throw CLIError("\(path): CIFAR-10 batches hold their own labels; pass the file as --inputs")
    case nil:
      throw CLIError(
        "\(path): unknown label format; expected .npy, .npz, .safetensors or an MNIST IDX file")
    }
  }

  private enum Format {
    case npy, npz, safetensors, cifar10, idx

    init?(name: String) {
      if name.hasSuffix(".npy") {
        self = .npy
      } else if name.hasSuffix(".npz") {
        self = .npz
      } else if name.hasSuffix(".safetensors") {
        self = .safetensors
      } else if name.hasSuffix(".bin") {
        self = .cifar10
      } else if name.contains("idx") {
        self = .idx
      } else {
        return nil
      }
    }
  }

  private static func chosen(_ normalization: NormalizationName) throws -> ChannelNormalization? {
    switch normalization {
    case .auto, .none: nil
    case .cifar10: .cifar10
    case .mnist: .mnist
    }
  }

  /// The arrays of an archive, by name.
  private struct Arrays {
    let path: String
    let names: [String]
    let lookup: (String) -> StoredTensor?

    func array(_ candidates: [String], role: String) throws -> StoredTensor {
      for name in candidates {
        if let array = lookup(name) { return array }
      }
      if names.count == 1, role == "inputs", let only = lookup(names[0]) { return only }
      throw CLIError(
        "\(path): no array named \(candidates.map { "\"\($0)\"" }.joined(separator: " or ")) "
          + "for the \(role); the file has \(names)")
    }
  }

  private static func namedArrays(_ url: URL) throws -> Arrays {
    if url.pathExtension.lowercased() == "npz" {
      let archive = try NumPy.readArchive(contentsOf: url)
      return Arrays(path: url.path, names: archive.names) { archive[$0] }
    }
    let contents = try Safetensors.read(contentsOf: url)
    return Arrays(path: url.path, names: contents.names) { contents[$0] }
  }
}
