// MNIST: images and labels from IDX files, as torchvision's MNIST data set with ToTensor gives
// them.

import Foundation
import TensorCore

/// Reads the MNIST data set (and Fashion-MNIST, KMNIST, EMNIST: the same IDX files) into image
/// tensors and labels, from the files as downloaded, gzip-compressed or not:
/// `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`, `t10k-images-idx3-ubyte[.gz]`,
/// `t10k-labels-idx1-ubyte[.gz]`.
///
/// ```swift
/// // PyTorch: torchvision.datasets.MNIST(root, train=True, transform=transforms.ToTensor())
/// let train = try MNIST.read(
///   images: URL(fileURLWithPath: "train-images-idx3-ubyte.gz"),
///   labels: URL(fileURLWithPath: "train-labels-idx1-ubyte.gz"), limit: 1000, as: Float.self)
/// print(train.inputs.shape, train.labels.prefix(3))   // [1000, 1, 28, 28] [5, 0, 4]
/// ```
public enum MNIST {
  /// Reads images and their labels, and checks that the two files hold as many.
  ///
  /// - Parameters:
  ///   - images: An IDX file of unsigned bytes with dimensions `[N, rows, columns]`.
  ///   - labels: An IDX file of unsigned bytes with dimensions `[N]`.
  ///   - limit: Read only the first `limit` images and labels (PyTorch
  ///     `torch.utils.data.Subset(data, range(limit))`); `nil` reads all.
  ///   - normalization: Per-channel statistics to normalize with after scaling, such as
  ///     ``ChannelNormalization/mnist``; `nil` leaves pixels in [0, 1].
  ///   - type: `Float.self` or `Double.self`; inferred from context when omitted.
  /// - Returns: Inputs `[N, 1, rows, columns]` (`[N, 1, 28, 28]` for MNIST), each pixel byte
  ///   `b` as `b / 255` (then normalized), and the labels as stored (0-9 for MNIST; EMNIST's
  ///   splits have more classes).
  /// - Throws: ``TensorIOError`` naming the file at fault:
  ///   ``TensorIOError/countMismatch(path:what:count:otherPath:otherWhat:otherCount:)`` when
  ///   the files disagree on the number of samples, the errors of ``IDX/read(contentsOf:)``,
  ///   and ``TensorIOError/invalidField(path:key:field:expected:found:)`` for IDX files of
  ///   another type or rank.
  public static func read<Scalar: TensorScalar>(
    images: URL, labels: URL, limit: Int? = nil, normalization: ChannelNormalization? = nil,
    as type: Scalar.Type = Scalar.self
  ) throws -> LabeledImages<Scalar> {
    let pixels = try IDX.read(contentsOf: images)
    let classes = try IDX.read(contentsOf: labels)
    try checkImages(pixels, path: images.path)
    try checkLabels(classes, path: labels.path)
    guard pixels.shape[0] == classes.shape[0] else {
      throw TensorIOError.countMismatch(
        path: images.path, what: "images", count: pixels.shape[0], otherPath: labels.path,
        otherWhat: "labels", otherCount: classes.shape[0])
    }
    return LabeledImages(
      inputs: try scaled(pixels, limit: limit, normalization: normalization),
      labels: try prefix(of: classes, limit: limit))
  }

  /// Reads MNIST images alone, as ``read(images:labels:limit:normalization:as:)`` does.
  ///
  /// - Returns: `[N, 1, rows, columns]`, each pixel byte `b` as `b / 255`, then normalized.
  public static func readImages<Scalar: TensorScalar>(
    contentsOf url: URL, limit: Int? = nil, normalization: ChannelNormalization? = nil,
    as type: Scalar.Type = Scalar.self
  ) throws -> Tensor<Scalar> {
    let pixels = try IDX.read(contentsOf: url)
    try checkImages(pixels, path: url.path)
    return try scaled(pixels, limit: limit, normalization: normalization)
  }

  /// Reads MNIST labels alone: an IDX file of unsigned bytes with dimensions `[N]`.
  ///
  /// - Parameter limit: Read only the first `limit` labels; `nil` reads all.
  public static func readLabels(contentsOf url: URL, limit: Int? = nil) throws -> [Int] {
    let classes = try IDX.read(contentsOf: url)
    try checkLabels(classes, path: url.path)
    return try prefix(of: classes, limit: limit)
  }

  private static func checkImages(_ images: StoredTensor, path: String) throws {
    guard images.dtype == .uint8, images.shape.count == 3 else {
      throw TensorIOError.invalidField(
        path: path, key: nil, field: "IDX type and dimensions",
        expected: "ubyte images [count, rows, columns] (magic 00 00 08 03)",
        found: "\(IDX.typeName(images.dtype)) \(images.shape)")
    }
  }

  private static func checkLabels(_ labels: StoredTensor, path: String) throws {
    guard labels.dtype == .uint8, labels.shape.count == 1 else {
      throw TensorIOError.invalidField(
        path: path, key: nil, field: "IDX type and dimensions",
        expected: "ubyte labels [count] (magic 00 00 08 01)",
        found: "\(IDX.typeName(labels.dtype)) \(labels.shape)")
    }
  }

  private static func prefix(of labels: StoredTensor, limit: Int?) throws -> [Int] {
    Array(
      labels.bytes.prefix(try samplesToRead(available: labels.count, limit: limit)).map { Int($0) })
  }

  private static func scaled<Scalar: TensorScalar>(
    _ pixels: StoredTensor, limit: Int?, normalization: ChannelNormalization?
  ) throws -> Tensor<Scalar> {
    try ChannelNormalization.check(normalization, channels: 1, dataSet: "MNIST")
    let count = try samplesToRead(available: pixels.shape[0], limit: limit)
    let shape = [count, 1, pixels.shape[1], pixels.shape[2]]
    // Specialized copies for Float and Double (identity casts), as in floatingPoint(as:).
    if Scalar.self == Float.self {
      let tensor: Tensor<Float> = scale(pixels.bytes, shape: shape, normalization: normalization)
      return unsafeBitCast(tensor, to: Tensor<Scalar>.self)
    }
    if Scalar.self == Double.self {
      let tensor: Tensor<Double> = scale(pixels.bytes, shape: shape, normalization: normalization)
      return unsafeBitCast(tensor, to: Tensor<Scalar>.self)
    }
    return scale(pixels.bytes, shape: shape, normalization: normalization)
  }

  private static func scale<Scalar: TensorScalar>(
    _ bytes: [UInt8], shape: [Int], normalization: ChannelNormalization?
  ) -> Tensor<Scalar> {
    let table = PixelTable<Scalar>(channels: 1, normalization: normalization)
    return Tensor(shape: shape) { destination in
      bytes.withUnsafeBytes { source in
        guard let base = source.baseAddress, let output = destination.baseAddress else { return }
        table.convert(base, count: destination.count, channel: 0, to: output)
      }
    }
  }
}
