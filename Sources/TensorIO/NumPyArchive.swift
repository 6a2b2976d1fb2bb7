// NumPyArchive: the arrays of one .npz file, in archive order.

/// The arrays of a NumPy `.npz` archive, in the order they are stored, as returned by
/// ``NumPy/readArchive(contentsOf:)`` (Python `numpy.load(path)`, an `NpzFile`).
///
/// The archive is a collection of `(name, array)` pairs; the names are NumPy's keys, the member
/// names without their `.npy` suffix (Python `NpzFile.files`).
///
/// ```swift
/// // Python: np.savez("data.npz", inputs=x, labels=y)
/// let archive = try NumPy.readArchive(contentsOf: URL(fileURLWithPath: "data.npz"))
/// for (name, array) in archive { print(name, array.dtype, array.shape) }
/// let labels = try archive.array(named: "labels").integers()
/// ```
public struct NumPyArchive: RandomAccessCollection, Sendable, Equatable {
  /// The file the arrays came from (or the name given to ``NumPy/decodeArchive(_:path:)``).
  public let path: String

  /// The array names in archive order (Python `NpzFile.files`).
  public let names: [String]

  private let arrays: [StoredTensor]
  private let positions: [String: Int]

  /// Collects `entries`, whose names must be distinct.
  init(path: String, entries: [(name: String, array: StoredTensor)]) {
    self.path = path
    self.names = entries.map(\.name)
    self.arrays = entries.map(\.array)
    self.positions = Dictionary(zip(names, 0...), uniquingKeysWith: { first, _ in first })
  }

  /// The position of the first array.
  public var startIndex: Int { 0 }

  /// The position after the last array.
  public var endIndex: Int { names.count }

  /// The name and array at `position`, in archive order.
  public subscript(position: Int) -> (name: String, array: StoredTensor) {
    (names[position], arrays[position])
  }

  /// The array named `name`, or `nil` if the archive has none by that name (Python
  /// `npz.get(name)`).
  public subscript(name: String) -> StoredTensor? {
    positions[name].map { arrays[$0] }
  }

  /// The array named `name` (Python `npz[name]`).
  ///
  /// - Throws: ``TensorIOError/tensorNotFound(path:key:available:)`` naming the file, the name
  ///   and the names there are.
  public func array(named name: String) throws -> StoredTensor {
    guard let position = positions[name] else {
      throw TensorIOError.tensorNotFound(path: path, key: name, available: names)
    }
    return arrays[position]
  }
}
