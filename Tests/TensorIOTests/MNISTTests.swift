// MNIST: images scaled and normalized as torchvision does, limits, and mismatched files.

import Foundation
import TensorCore
import Testing

@testable import TensorIO

@Suite struct MNISTTests {
  /// Runs `body` with the fixture files written to a temporary directory: the images and
  /// labels, compressed (`.gz`) and not.
  func withFiles(
    _ body: (_ directory: URL, _ images: URL, _ labels: URL, _ imagesGz: URL, _ labelsGz: URL) throws -> Void
  ) throws {
    try withTemporaryDirectory { directory in
      let names = ["images", "labels", "images.gz", "labels.gz"]
      let urls = names.map { directory.appendingPathComponent($0) }
      try Data(MNISTFixtures.images).write(to: urls[0])
      try Data(MNISTFixtures.labelFile).write(to: urls[1])
      try MNISTFixtures.imagesGz.write(to: urls[2])
      try MNISTFixtures.labelsGz.write(to: urls[3])
      try body(directory, urls[0], urls[1], urls[2], urls[3])
    }
  }

  @Test func readsImagesScaledToTheUnitInterval() throws {
    try withFiles { _, images, labels, imagesGz, labelsGz in
      for (imageURL, labelURL) in [(images, labels), (imagesGz, labelsGz), (images, labelsGz)] {
        let data = try MNIST.read(images: imageURL, labels: labelURL, as: Float.self)
        #expect(data.inputs.shape == [3, 1, 28, 28] && data.labels == [5, 0, 4] && data.count == 3)
        #expect(data.inputs.scalars == MNISTFixtures.pixels.map { Float($0) / 255 })
      }
      let double = try MNIST.read(images: images, labels: labels, limit: 2, as: Double.self)
      #expect(double.inputs.shape == [2, 1, 28, 28] && double.labels == [5, 0])
      #expect(double.inputs.scalars == MNISTFixtures.pixels.prefix(1568).map { Double($0) / 255 })
      let none = try MNIST.read(images: images, labels: labels, limit: 0, as: Float.self)
      #expect(none.inputs.shape == [0, 1, 28, 28] && none.labels.isEmpty)
      #expect(try MNIST.readLabels(contentsOf: labelsGz, limit: 10) == [5, 0, 4])
      let alone: Tensor<Float> = try MNIST.readImages(contentsOf: imagesGz, limit: 1)
      #expect(alone.shape == [1, 1, 28, 28])
    }
  }

  @Test func normalizesAsTorchvision() throws {
    // Python: f = np.float32; ((f(b) / f(255) - f(0.1307)) / f(0.3081)).view(np.uint32)
    // for b = 0, 1, 128, 255.
    let expected: [UInt8: UInt32] = [0: 0xBED9_3271, 1: 0xBED2_AE20, 128: 0x3F9A_3D7A, 255: 0x4034_933D]
    try withFiles { _, images, labels, _, _ in
      let data = try MNIST.read(images: images, labels: labels, normalization: .mnist, as: Float.self)
      let values = data.inputs.scalars
      for (byte, bits) in expected {
        let index = try #require(MNISTFixtures.pixels.firstIndex(of: byte))
        #expect(values[index].bitPattern == bits, "byte \(byte)")
      }
    }
  }

  @Test func rejectsMismatchedOrSwappedFiles() throws {
    try withFiles { directory, images, labels, _, _ in
      let two = directory.appendingPathComponent("two-labels")
      try Data([0, 0, 8, 1, 0, 0, 0, 2, 5, 0]).write(to: two)
      let mismatch = #expect(throws: TensorIOError.self) {
        try MNIST.read(images: images, labels: two, as: Float.self)
      }
      #expect(mismatch == .countMismatch(
        path: images.path, what: "images", count: 3, otherPath: two.path, otherWhat: "labels",
        otherCount: 2))
      #expect(mismatch?.description == "\(images.path): holds 3 images but \(two.path) holds 2 labels")
      let swapped = #expect(throws: TensorIOError.self) {
        try MNIST.read(images: labels, labels: images, as: Float.self)
      }
      #expect(swapped == .invalidField(
        path: labels.path, key: nil, field: "IDX type and dimensions",
        expected: "ubyte images [count, rows, columns] (magic 00 00 08 03)", found: "ubyte [3]"))
      let floats = directory.appendingPathComponent("floats")
      try Data([0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0x80, 0, 0]).write(to: floats)
      let labelType = #expect(throws: TensorIOError.self) { try MNIST.readLabels(contentsOf: floats) }
      #expect(labelType?.description == "\(floats.path): field \"IDX type and dimensions\" should"
        + " be ubyte labels [count] (magic 00 00 08 01), found float [1]")
      let missing = directory.appendingPathComponent("missing")
      #expect(throws: TensorIOError.fileNotFound(path: missing.path)) {
        try MNIST.read(images: missing, labels: labels, as: Float.self)
      }
    }
  }

  @Test func rejectsBadArguments() throws {
    try withFiles { _, images, labels, _, _ in
      let channels = #expect(throws: TensorIOError.self) {
        try MNIST.read(images: images, labels: labels, normalization: .cifar10, as: Float.self)
      }
      #expect(channels?.description == "normalization: 3 channel means and standard deviations"
        + " given for MNIST images, which have 1 channel")
      #expect(throws: TensorIOError.invalidArgument(name: "limit", reason: "must not be negative, got -1")) {
        try MNIST.read(images: images, labels: labels, limit: -1, as: Float.self)
      }
    }
    #expect(throws: TensorIOError.self) { try ChannelNormalization(mean: [0.5], std: [0]) }
    #expect(throws: TensorIOError.self) { try ChannelNormalization(mean: [0.5, 0.5], std: [1]) }
    #expect(throws: TensorIOError.self) { try ChannelNormalization(mean: [], std: []) }
    #expect(try ChannelNormalization(mean: [0.5], std: [0.25]).std == [0.25])
  }
}
