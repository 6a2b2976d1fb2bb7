// CIFAR-10 binary batches: record layout, several files and limits, normalization as
// torchvision computes it, and malformed batches.

import Foundation
import TensorCore
import Testing

@testable import TensorIO

@Suite struct CIFAR10Tests {
  /// The pixel byte of record `record` (counted over all test files), channel, row, column.
  static func pixel(_ record: Int, _ channel: Int, _ row: Int, _ column: Int) -> UInt8 {
    UInt8((record * 11 + channel * 50 + row * 7 + column * 3) % 256)
  }

  /// A batch of `count` records numbered from `first`, with labels `(first + i) % 10`.
  static func batch(first: Int, count: Int) -> Data {
    var bytes: [UInt8] = []
    for record in first..<(first + count) {
      bytes.append(UInt8(record % 10))
      for channel in 0..<3 {
        for row in 0..<32 {
          for column in 0..<32 { bytes.append(pixel(record, channel, row, column)) }
        }
      }
    }
    return Data(bytes)
  }

  /// The expected inputs for records `records`, scaled to [0, 1], in NCHW order.
  static func expected<Scalar: BinaryFloatingPoint>(
    _ records: Range<Int>, as type: Scalar.Type = Float.self
  ) -> [Scalar] {
    var values: [Scalar] = []
    for record in records {
      for channel in 0..<3 {
        for index in 0..<1024 {
          values.append(Scalar(pixel(record, channel, index / 32, index % 32)) / 255)
        }
      }
    }
    return values
  }

  func withBatches(_ body: (_ directory: URL, _ first: URL, _ second: URL) throws -> Void) throws {
    try withTemporaryDirectory { directory in
      let first = directory.appendingPathComponent("data_batch_1.bin")
      let second = directory.appendingPathComponent("data_batch_2.bin")
      try Self.batch(first: 0, count: 2).write(to: first)
      try Self.batch(first: 2, count: 3).write(to: second)
      try body(directory, first, second)
    }
  }

  @Test func readsRecordsAsNCHWInTheUnitInterval() throws {
    #expect(Self.batch(first: 0, count: 1).count == CIFAR10.recordSize)
    try withBatches { directory, first, second in
      let one = try CIFAR10.read(contentsOf: first, as: Float.self)
      #expect(one.inputs.shape == [2, 3, 32, 32] && one.labels == [0, 1])
      #expect(one.inputs.scalars == Self.expected(0..<2))
      let both = try CIFAR10.read(contentsOf: [first, second], as: Float.self)
      #expect(both.inputs.shape == [5, 3, 32, 32] && both.labels == [0, 1, 2, 3, 4])
      #expect(both.inputs.scalars == Self.expected(0..<5))
      // The limit spans files; files after it are not opened.
      let missing = directory.appendingPathComponent("test_batch.bin")
      let four = try CIFAR10.read(contentsOf: [first, second, missing], limit: 4, as: Double.self)
      #expect(four.inputs.shape == [4, 3, 32, 32] && four.labels == [0, 1, 2, 3])
      #expect(four.inputs.scalars == Self.expected(0..<4, as: Double.self))
      let none = try CIFAR10.read(contentsOf: [missing], limit: 0, as: Float.self)
      #expect(none.inputs.shape == [0, 3, 32, 32] && none.labels.isEmpty)
      #expect(CIFAR10.classNames[both.labels[3]] == "cat")
    }
  }

  @Test func normalizesAsTorchvision() throws {
    // Python: f = np.float32; mean = (0.4914, 0.4822, 0.4465); std = (0.2470, 0.2435, 0.2616)
    //   ((f(b) / f(255) - f(mean[c])) / f(std[c])).view(np.uint32) for b = 0, 77, 255
    let expected: [[UInt8: UInt32]] = [
      [0: 0xBFFE_A713, 77: 0xBF44_5784, 255: 0x4003_C873],
      [0: 0xBFFD_7A10, 77: 0xBF3D_7DE2, 255: 0x4008_1864],
      [0: 0xBFDA_7891, 77: 0xBF0D_71F2, 255: 0x4007_69B1],
    ]
    try withTemporaryDirectory { directory in
      // One record whose channels each hold the bytes 0, 77 and 255.
      let url = directory.appendingPathComponent("test_batch.bin")
      let plane = [UInt8](repeating: 77, count: 1024)
      var record: [UInt8] = [3]
      for _ in 0..<3 { record += [0, 255] + plane.dropFirst(2) }
      try Data(record).write(to: url)
      let data = try CIFAR10.read(contentsOf: url, normalization: .cifar10, as: Float.self)
      let values = data.inputs.scalars
      for channel in 0..<3 {
        for (index, byte) in [(0, UInt8(0)), (1, 255), (2, 77)] {
          #expect(values[channel * 1024 + index].bitPattern == expected[channel][byte],
            "channel \(channel), byte \(byte)")
        }
      }
      let double = try CIFAR10.read(contentsOf: url, normalization: .cifar10, as: Double.self)
      #expect(double.inputs.scalars[1024 + 1] == (1.0 - 0.4822) / 0.2435)
    }
  }

  @Test func rejectsPartialRecordsAndBadLabels() throws {
    try withBatches { directory, first, _ in
      let partial = directory.appendingPathComponent("partial.bin")
      try (Self.batch(first: 0, count: 2) + Data([1, 2, 3, 4, 5])).write(to: partial)
      let size = #expect(throws: TensorIOError.self) {
        try CIFAR10.read(contentsOf: [first, partial], as: Float.self)
      }
      #expect(size == .partialRecord(path: partial.path, fileSize: 6151, recordSize: 3073))
      #expect(size?.description == "\(partial.path): the file size 6151 is not a multiple of the"
        + " 3073-byte record (2 whole records and 5 bytes more)")

      let label = directory.appendingPathComponent("label.bin")
      var bytes = Self.batch(first: 0, count: 3)
      bytes[2 * 3073] = 10
      try bytes.write(to: label)
      let error = #expect(throws: TensorIOError.self) {
        try CIFAR10.read(contentsOf: label, as: Float.self)
      }
      #expect(error == .malformedData(
        path: label.path, key: nil, offset: 6146,
        reason: "record 2: label byte 10 is not a CIFAR-10 class (0-9); is this a CIFAR-10"
          + " binary batch?"))
      #expect(error?.description.hasPrefix("\(label.path): byte 6146: record 2: label byte 10") == true)
      // A limit before the bad record reads the records before it.
      #expect(try CIFAR10.read(contentsOf: label, limit: 2, as: Float.self).labels == [0, 1])

      let channels = #expect(throws: TensorIOError.self) {
        try CIFAR10.read(contentsOf: first, normalization: .mnist, as: Float.self)
      }
      #expect(channels == .invalidArgument(
        name: "normalization",
        reason: "1 channel means and standard deviations given for CIFAR-10 images, which have 3"
          + " channels"))
    }
  }
}
