// CIFAR-10 binary batches (https://www.cs.toronto.edu/~kriz/cifar.html, "binary version"):
// records of 3073 bytes, a label byte 0-9 then a 32x32 image as 1024 red, 1024 green and 1024
// blue bytes, each plane row-major.

import Foundation
import TensorCore

/// Reads CIFAR-10's binary batches (`data_batch_1.bin` ... `data_batch_5.bin`, `test_batch.bin`
/// from `cifar-10-binary.tar.gz`) into image tensors and labels.
///
/// ```swift
/// // PyTorch: torchvision.datasets.CIFAR10(root, train=False, transform=transforms.Compose(
/// //   [transforms.ToTensor(), transforms.Normalize(mean, std)]))
/// let test = try CIFAR10.read(
///   contentsOf: [URL(fileURLWithPath: "test_batch.bin")], normalization: .cifar10,
///   as: Float.self)
/// print(test.inputs.shape, CIFAR10.classNames[test.labels[0]])   // [10000, 3, 32, 32] cat
/// ```
public enum CIFAR10 {
  /// The bytes of one record: a label byte and 3 x 32 x 32 pixel bytes.
  public static let recordSize = 3073

  /// The class names, indexed by label (Python `CIFAR10.classes`).
  public static let classNames = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
  ]

  /// Reads the records of one or more batch files, in order.
  ///
  /// - Parameters:
  ///   - urls: Batch files, read one after the other; files after the `limit`-th record are
  ///     not opened.
  ///   - limit: Read only the first `limit` records (PyTorch
  ///     `torch.utils.data.Subset(data, range(limit))`); `nil` reads all.
  ///   - normalization: Per-channel statistics to normalize with after scaling, such as
  ///     ``ChannelNormalization/cifar10``; `nil` leaves pixels in [0, 1].
  ///   - type: `Float.self` or `Double.self`; inferred from context when omitted.
  /// - Returns: Inputs `[N, 3, 32, 32]` (channels red, green, blue), each pixel byte `b` as
  ///   `b / 255` then `(x - mean[c]) / std[c]` if normalized, computed in `Scalar` as
  ///   torchvision's `ToTensor` and `Normalize` do; and the labels, 0-9.
  /// - Throws: ``TensorIOError/partialRecord(path:fileSize:recordSize:)`` for a file whose size
  ///   is not a multiple of 3073 bytes, ``TensorIOError/malformedData(path:key:offset:reason:)``
  ///   naming the record and byte offset of a label above 9, or an error opening a file.
  public static func read<Scalar: TensorScalar>(
    contentsOf urls: [URL], limit: Int? = nil, normalization: ChannelNormalization? = nil,
    as type: Scalar.Type = Scalar.self
  ) throws -> LabeledImages<Scalar> {
    try ChannelNormalization.check(normalization, channels: 3, dataSet: "CIFAR-10")
    var remaining = try samplesToRead(available: .max, limit: limit)
    var batches: [(data: Data, count: Int)] = []
    var labels: [Int] = []
    for url in urls where remaining > 0 {
      let data = try FileAccess.contents(of: url)
      let count = min(try recordCount(data, path: url.path), remaining)
      labels += try data.withUnsafeBytes { try readLabels($0, count: count, path: url.path) }
      batches.append((data, count))
      remaining -= count
    }
    // Specialized copies for Float and Double (identity casts), as in floatingPoint(as:).
    if Scalar.self == Float.self {
      let inputs: Tensor<Float> = images(batches, total: labels.count, normalization: normalization)
      return LabeledImages(inputs: unsafeBitCast(inputs, to: Tensor<Scalar>.self), labels: labels)
    }
    if Scalar.self == Double.self {
      let inputs: Tensor<Double> = images(
        batches, total: labels.count, normalization: normalization)
      return LabeledImages(inputs: unsafeBitCast(inputs, to: Tensor<Scalar>.self), labels: labels)
    }
    return LabeledImages(
      inputs: images(batches, total: labels.count, normalization: normalization), labels: labels)
  }

  /// Reads the records of one batch file, as the overload that takes several files does.
  public static func read<Scalar: TensorScalar>(
    contentsOf url: URL, limit: Int? = nil, normalization: ChannelNormalization? = nil,
    as type: Scalar.Type = Scalar.self
  ) throws -> LabeledImages<Scalar> {
    try read(contentsOf: [url], limit: limit, normalization: normalization, as: type)
  }

  /// The number of whole records in a file.
  private static func recordCount(_ data: Data, path: String) throws -> Int {
    guard data.count % recordSize == 0 else {
      throw TensorIOError.partialRecord(path: path, fileSize: data.count, recordSize: recordSize)
    }
    return data.count / recordSize
  }

  /// The labels of the first `count` records, each checked to be 0-9.
  private static func readLabels(
    _ file: UnsafeRawBufferPointer, count: Int, path: String
  ) throws -> [Int] {
    var labels: [Int] = []
    labels.reserveCapacity(count)
    for record in 0..<count {
      let label = file[record * recordSize]
      guard label <= 9 else {
        throw TensorIOError.malformedData(
          path: path, key: nil, offset: record * recordSize,
          reason: "record \(record): label byte \(label) is not a CIFAR-10 class (0-9); is this"
            + " a CIFAR-10 binary batch?")
      }
      labels.append(Int(label))
    }
    return labels
  }

  /// The images of the records in `batches`, scaled, as one `[total, 3, 32, 32]` tensor.
  private static func images<Scalar: TensorScalar>(
    _ batches: [(data: Data, count: Int)], total: Int, normalization: ChannelNormalization?
  ) -> Tensor<Scalar> {
    let table = PixelTable<Scalar>(channels: 3, normalization: normalization)
    let plane = 32 * 32
    return Tensor(shape: [total, 3, 32, 32]) { destination in
      guard var output = destination.baseAddress else { return }
      for (data, count) in batches {
        data.withUnsafeBytes { file in
          guard let base = file.baseAddress else { return }
          for record in 0..<count {
            let pixels = base + record * recordSize + 1
            for channel in 0..<3 {
              table.convert(pixels + channel * plane, count: plane, channel: channel, to: output)
              output += plane
            }
          }
        }
      }
    }
  }
}
