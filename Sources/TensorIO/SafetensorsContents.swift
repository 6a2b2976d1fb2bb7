// SafetensorsContents: the tensors and metadata read from one safetensors file.

import TensorCore

/// The tensors and metadata of a safetensors file, as returned by ``Safetensors/read(contentsOf:)``.
///
/// ```swift
/// let contents = try Safetensors.read(contentsOf: url)
/// for name in contents.names { print(name, contents[name]?.shape ?? []) }
/// let stateDict: [String: Tensor<Float>] = contents.floatingPointTensors()
/// ```
public struct SafetensorsContents: Sendable, Equatable {
  /// The file the contents came from (or the name given to ``Safetensors/decode(_:path:)``).
  public let path: String

  /// The tensor names in data-offset order: the order in which their data lie in the file.
  ///
  /// This is the order of Python's `safe_open(...).offset_keys()` and of the dictionary that
  /// `safetensors.torch.load_file` returns (safetensors 0.8). It is *not* the order of the
  /// original state dict: the reference writer lays tensors out by descending dtype
  /// (U64, I64, F64, F32, U32, I32, BF16, F16, U16, I16, I8, U8, BOOL) and then by name,
  /// so a file of one dtype lists its names sorted. Python's `safe_open(...).keys()` returns
  /// the names sorted instead. Zero-size tensors that share an offset are ordered by name.
  public let names: [String]

  /// The free-form `__metadata__` strings (Python `safe_open(...).metadata()`), empty when the
  /// file has none.
  public let metadata: [String: String]

  let tensors: [String: StoredTensor]

  init(path: String, names: [String], metadata: [String: String], tensors: [String: StoredTensor])
  {
    self.path = path
    self.names = names
    self.metadata = metadata
    self.tensors = tensors
  }

  /// The number of tensors.
  public var count: Int { names.count }

  /// The tensor named `name`, or `nil` if the file has none by that name.
  public subscript(name: String) -> StoredTensor? { tensors[name] }

  /// The tensor named `name` (Python `safe_open(...).get_tensor(name)`).
  ///
  /// - Throws: ``TensorIOError/tensorNotFound(path:key:available:)`` naming the file and key.
  public func tensor(named name: String) throws -> StoredTensor {
    guard let tensor = tensors[name] else {
      throw TensorIOError.tensorNotFound(path: path, key: name, available: names)
    }
    return tensor
  }

  /// Every tensor converted to `Float` or `Double`, keyed by name: a state dict ready to load
  /// into a model (PyTorch `{k: v.float() for k, v in load_file(path).items()}`).
  ///
  /// Conversions follow ``StoredTensor/floatingPoint(as:)``; integer and boolean tensors (such
  /// as BatchNorm's `num_batches_tracked`) are converted too.
  ///
  /// - Parameter type: `Float.self` or `Double.self`; inferred from context when omitted.
  public func floatingPointTensors<Scalar: TensorScalar>(
    as type: Scalar.Type = Scalar.self
  ) -> [String: Tensor<Scalar>] {
    tensors.mapValues { $0.floatingPoint(as: Scalar.self) }
  }
}
