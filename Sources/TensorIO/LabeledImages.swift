// LabeledImages and ChannelNormalization: what the image data-set readers return, and how they
// scale pixels, as torchvision's ToTensor and Normalize transforms do.

import TensorCore

/// Images and their class labels, as the CIFAR-10 and MNIST readers return them (PyTorch: the
/// `(inputs, labels)` pairs of a `DataLoader` over the whole data set).
public struct LabeledImages<Scalar: TensorScalar>: Sendable {
  /// The images, `[N, C, H, W]` (NCHW, PyTorch's layout): pixel bytes scaled to [0, 1], then
  /// normalized per channel if a ``ChannelNormalization`` was given.
  public var inputs: Tensor<Scalar>
  /// The class of each image, `N` values (PyTorch `torch.long` targets).
  public var labels: [Int]

  /// Pairs `inputs` with `labels`.
  ///
  /// - Precondition: `inputs.shape.first == labels.count`.
  public init(inputs: Tensor<Scalar>, labels: [Int]) {
    precondition(
      inputs.shape.first == labels.count,
      "\(labels.count) labels for inputs of shape \(inputs.shape)")
    self.inputs = inputs
    self.labels = labels
  }

  /// The number of images.
  public var count: Int { labels.count }
}

/// Per-channel normalization of pixels scaled to [0, 1]: `(x - mean[c]) / std[c]` (PyTorch
/// `torchvision.transforms.Normalize(mean, std)` after `ToTensor()`).
///
/// ```swift
/// let train = try CIFAR10.read(contentsOf: batches, normalization: .cifar10, as: Float.self)
/// ```
public struct ChannelNormalization: Sendable, Equatable {
  /// The mean subtracted from each channel.
  public let mean: [Double]
  /// The standard deviation each channel is divided by.
  public let std: [Double]

  /// A normalization with one mean and one standard deviation per channel.
  ///
  /// - Throws: ``TensorIOError/invalidArgument(name:reason:)`` unless there are as many
  ///   standard deviations as means, at least one, all finite, and every standard deviation
  ///   positive.
  public init(mean: [Double], std: [Double]) throws {
    guard !mean.isEmpty, mean.count == std.count else {
      throw TensorIOError.invalidArgument(
        name: "normalization",
        reason: "needs one mean and one standard deviation per channel, got \(mean.count) means"
          + " and \(std.count) standard deviations")
    }
    guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
      throw TensorIOError.invalidArgument(
        name: "normalization",
        reason: "means must be finite and standard deviations finite and positive, got mean"
          + " \(mean), std \(std)")
    }
    self.init(unchecked: mean, std: std)
  }

  private init(unchecked mean: [Double], std: [Double]) {
    self.mean = mean
    self.std = std
  }

  /// The usual CIFAR-10 statistics: mean (0.4914, 0.4822, 0.4465), standard deviation
  /// (0.2470, 0.2435, 0.2616) for red, green and blue.
  public static let cifar10 = ChannelNormalization(
    unchecked: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])

  /// The usual MNIST statistics: mean 0.1307, standard deviation 0.3081.
  public static let mnist = ChannelNormalization(unchecked: [0.1307], std: [0.3081])

  /// Checks that the normalization has `channels` channels.
  static func check(_ normalization: ChannelNormalization?, channels: Int, dataSet: String) throws {
    guard let normalization, normalization.mean.count != channels else { return }
    throw TensorIOError.invalidArgument(
      name: "normalization",
      reason: "\(normalization.mean.count) channel means and standard deviations given for"
        + " \(dataSet) images, which have \(channels) channel\(channels == 1 ? "" : "s")")
  }
}

/// The number of samples to read out of `available` when at most `limit` are wanted.
///
/// - Throws: ``TensorIOError/invalidArgument(name:reason:)`` for a negative limit.
func samplesToRead(available: Int, limit: Int?) throws -> Int {
  guard let limit else { return available }
  guard limit >= 0 else {
    throw TensorIOError.invalidArgument(name: "limit", reason: "must not be negative, got \(limit)")
  }
  return min(limit, available)
}

/// The value of each of the 256 pixel bytes in each channel: `Scalar(byte) / 255`, then
/// `(x - Scalar(mean)) / Scalar(std)`, in `Scalar` arithmetic, which for `Float` is exactly
/// what `ToTensor` and `Normalize` compute in `float32`.
struct PixelTable<Scalar: TensorScalar> {
  /// `values[channel * 256 + byte]`.
  let values: [Scalar]

  init(channels: Int, normalization: ChannelNormalization?) {
    var values: [Scalar] = []
    values.reserveCapacity(channels * 256)
    for channel in 0..<channels {
      for byte in 0..<256 {
        let x = Scalar(byte) / 255
        if let normalization {
          values.append(
            (x - Scalar(normalization.mean[channel])) / Scalar(normalization.std[channel]))
        } else {
          values.append(x)
        }
      }
    }
    self.values = values
  }

  /// Converts `count` bytes of channel `channel` from `source` to `destination`.
  @inline(__always)
  func convert(
    _ source: UnsafeRawPointer, count: Int, channel: Int,
    to destination: UnsafeMutablePointer<Scalar>
  ) {
    values.withUnsafeBufferPointer { table in
      let base = channel * 256
      for i in 0..<count {
        destination[i] = table[base + Int(source.load(fromByteOffset: i, as: UInt8.self))]
      }
    }
  }
}
