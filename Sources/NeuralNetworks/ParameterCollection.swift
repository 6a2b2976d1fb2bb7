// The named parameters and buffers of a model: a PyTorch state dict, and the flat parameter
// vector in `model.parameters()` order.

import TensorCore

/// One parameter's place in the flat parameter vector.
public struct ParameterSegment: Sendable, Hashable, Codable {
  /// The state-dict name, e.g. `layer1.0.conv1.weight`.
  public let name: String
  /// The tensor shape.
  public let shape: [Int]
  /// The index of its first element in the flat vector.
  public let offset: Int
  /// Its number of elements.
  public var count: Int { shape.reduce(1, *) }
}

/// Why a state dict could not be loaded: every missing and unexpected key and every shape
/// mismatch, named.
public struct StateDictMismatch: Error, CustomStringConvertible, Equatable {
  /// Keys the model has and the state dict lacks.
  public let missingKeys: [String]
  /// Keys the state dict has and the model lacks.
  public let unexpectedKeys: [String]
  /// Keys whose shapes differ: (key, model shape, state-dict shape).
  public let shapeMismatches: [ShapeMismatch]

  /// A key whose shape differs between the model and the state dict.
  public struct ShapeMismatch: Equatable, Sendable {
    /// The state-dict key.
    public let key: String
    /// The shape the model has.
    public let expected: [Int]
    /// The shape the state dict has.
    public let found: [Int]
  }

  /// One line naming every mismatch.
  public var description: String {
    var parts: [String] = []
    for m in shapeMismatches {
      parts.append(
        "\"\(m.key)\" has shape \(m.found) in the state dict but \(m.expected) in the model")
    }
    if !missingKeys.isEmpty { parts.append("missing keys \(missingKeys)") }
    if !unexpectedKeys.isEmpty { parts.append("unexpected keys \(unexpectedKeys)") }
    return "state dict does not match the model: " + parts.joined(separator: "; ")
  }
}

/// A model's parameters (trainable, in PyTorch `model.parameters()` order) and buffers (running
/// statistics), under PyTorch state-dict names.
public struct ParameterCollection<Scalar: TensorScalar>: Sendable {
  /// Parameter names in order (PyTorch `[n for n, _ in model.named_parameters()]`).
  public let names: [String]
  /// Parameter values, in the order of ``names``.
  public var values: [Tensor<Scalar>]
  /// Floating-point buffers by name (`running_mean`, `running_var`).
  public var buffers: [String: Tensor<Scalar>]
  /// Buffer names in declaration order.
  public let bufferNames: [String]
  /// Integer buffers by name (`num_batches_tracked`).
  public var integerBuffers: [String: Int]
  /// Integer buffer names in declaration order.
  public let integerBufferNames: [String]

  /// The collection a layer declares, with PyTorch's default initial values.
  public init(declaredBy declarations: StateDeclarations<Scalar>) {
    names = declarations.parameters.map(\.name)
    values = declarations.parameters.map(\.value)
    bufferNames = declarations.buffers.map(\.name)
    buffers = Dictionary(uniqueKeysWithValues: declarations.buffers.map { ($0.name, $0.value) })
    integerBufferNames = declarations.integerBuffers.map(\.name)
    integerBuffers = Dictionary(
      uniqueKeysWithValues: declarations.integerBuffers.map { ($0.name, $0.value) })
  }

  /// Each parameter's name, shape and offset in the flat vector.
  public var segments: [ParameterSegment] {
    var offset = 0
    return zip(names, values).map { name, value in
      defer { offset += value.count }
      return ParameterSegment(name: name, shape: value.shape, offset: offset)
    }
  }

  /// The total number of parameter elements (PyTorch `sum(p.numel() for p in model.parameters())`).
  public var parameterCount: Int { values.reduce(0) { $0 + $1.count } }

  /// The parameter named `name`, or nil.
  public subscript(name: String) -> Tensor<Scalar>? {
    names.firstIndex(of: name).map { values[$0] }
  }

  /// All parameters as one vector in order (PyTorch
  /// `torch.nn.utils.parameters_to_vector(model.parameters())`).
  public func flattened() -> Tensor<Scalar> { Self.flatten(values) }

  /// Tensors of the parameter shapes concatenated into one vector.
  public static func flatten(_ tensors: [Tensor<Scalar>]) -> Tensor<Scalar> {
    Tensor.concatenated(tensors.map { $0.reshaped(to: [$0.count]) }, alongAxis: 0)
  }

  /// A flat vector (or a block `[k, n]` of them) split into tensors of the parameter shapes
  /// (`[k] + shape` for a block) (PyTorch `vector_to_parameters` without the copy).
  public func unflattened(_ vector: Tensor<Scalar>) -> [Tensor<Scalar>] {
    let n = parameterCount
    precondition(
      (vector.rank == 1 && vector.count == n) || (vector.rank == 2 && vector.shape[1] == n),
      "expected a vector of \(n) parameters or a block [k, \(n)], got \(vector.shape)")
    let block = vector.rank == 2
    let rows = block ? vector.shape[0] : 1
    let matrix = vector.reshaped(to: [rows, n])
    return segments.map { s in
      let piece = matrix.slice(s.offset..<s.offset + s.count, alongAxis: 1)
      return piece.reshaped(to: block ? [rows] + s.shape : s.shape)
    }
  }

  /// The inverse of ``unflattened(_:)`` for a block: tensors `[k] + shape` into `[k, n]`.
  public static func flattenBlock(_ tensors: [Tensor<Scalar>]) -> Tensor<Scalar> {
    let k = tensors.first?.shape.first ?? 0
    return Tensor.concatenated(tensors.map { $0.reshaped(to: [k, -1]) }, alongAxis: 1)
  }

  /// Every parameter and buffer by state-dict name (PyTorch `model.state_dict()`); integer
  /// buffers become rank-0 tensors.
  public func stateDict() -> [String: Tensor<Scalar>] {
    var result = Dictionary(uniqueKeysWithValues: zip(names, values))
    for (k, v) in buffers { result[k] = v }
    for (k, v) in integerBuffers { result[k] = Tensor(Scalar(v)) }
    return result
  }

  /// Replaces every parameter and buffer with the state dict's values
  /// (PyTorch `model.load_state_dict(sd, strict=True)`).
  ///
  /// - Throws: ``StateDictMismatch`` naming every missing and unexpected key and every shape
  ///   mismatch; nothing is changed then.
  public mutating func load(stateDict: [String: Tensor<Scalar>]) throws(StateDictMismatch) {
    var expected: [(String, [Int])] = zip(names, values.map(\.shape)).map { ($0, $1) }
    expected += bufferNames.map { ($0, buffers[$0]!.shape) }
    let integerNames = Set(integerBufferNames)
    let known = Set(expected.map(\.0)).union(integerNames)
    var mismatches: [StateDictMismatch.ShapeMismatch] = []
    for (key, shape) in expected {
      if let found = stateDict[key]?.shape, found != shape {
        mismatches.append(.init(key: key, expected: shape, found: found))
      }
    }
    for key in integerBufferNames {
      if let found = stateDict[key]?.shape, found.reduce(1, *) != 1 {
        mismatches.append(.init(key: key, expected: [], found: found))
      }
    }
    let missing = (expected.map(\.0) + integerBufferNames).filter { stateDict[$0] == nil }
    let unexpected = stateDict.keys.filter { !known.contains($0) }.sorted()
    guard missing.isEmpty, unexpected.isEmpty, mismatches.isEmpty else {
      throw StateDictMismatch(
        missingKeys: missing, unexpectedKeys: unexpected, shapeMismatches: mismatches)
    }
    values = names.map { stateDict[$0]! }
    for key in bufferNames { buffers[key] = stateDict[key]! }
    for key in integerBufferNames { integerBuffers[key] = Int(stateDict[key]!.scalars[0]) }
  }
}
