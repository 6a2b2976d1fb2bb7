// Which parameters an operator differentiates with respect to (the rest are constants), and
// the grouping of parameters into layers for per-layer (block-diagonal) curvature.

import NeuralNetworks

/// A subset of a model's parameters, chosen by state-dict name.
///
/// The Hessian with respect to a selection is the diagonal block of the full Hessian for
/// those parameters: the others are held constant at their values.
///
/// ```swift
/// let block = try HessianOperator(
///   model: model, loss: .crossEntropy(.mean), data: data, parameters: .matching("layer1.*"))
/// ```
public struct ParameterSelection: Sendable, CustomStringConvertible {
  /// How the selection was written, for reports: `all`, `"layer1.*"`, ...
  public let description: String
  let includes: @Sendable (String) -> Bool

  /// Selects the parameters for which `predicate` is true; `description` names it in reports
  /// and errors.
  public init(_ description: String, where predicate: @escaping @Sendable (String) -> Bool) {
    self.description = description
    self.includes = predicate
  }

  /// Every parameter: the full Hessian.
  public static var all: ParameterSelection { ParameterSelection("all") { _ in true } }

  /// The parameters whose names match a glob `pattern`: `*` matches any run of characters
  /// (dots included), `?` exactly one, everything else itself. `layer1.*` selects
  /// `layer1.0.conv1.weight`, ..., `layer1.2.bn2.bias`; `*.bias` every bias; `linear.weight`
  /// one parameter.
  public static func matching(_ pattern: String) -> ParameterSelection {
    let glob = Array(pattern)
    return ParameterSelection("\"\(pattern)\"") { globMatches(glob, Array($0)) }
  }

  /// The parameters with exactly these names.
  public static func names(_ names: [String]) -> ParameterSelection {
    let set = Set(names)
    return ParameterSelection("\(names)") { set.contains($0) }
  }

  /// Whether the parameter named `name` is selected.
  public func matches(_ name: String) -> Bool { includes(name) }

  /// The selected segments of `parameters`, with offsets renumbered in the selection's own
  /// flat vector (model order), and their indices in the model's parameter list.
  ///
  /// - Throws: ``HessianAnalysisError/emptySelection(selection:available:)``.
  func resolve<S>(in parameters: ParameterCollection<S>) throws -> (
    indices: [Int], segments: [VectorSegment]
  ) {
    let indices = parameters.names.indices.filter { includes(parameters.names[$0]) }
    guard !indices.isEmpty else {
      throw HessianAnalysisError.emptySelection(selection: description, available: parameters.names)
    }
    var offset = 0
    let segments = indices.map { i -> VectorSegment in
      let s = VectorSegment(
        name: parameters.names[i], shape: parameters.values[i].shape, offset: offset)
      offset += s.count
      return s
    }
    return (indices, segments)
  }
}

/// One named tensor's place in an operator's flat vectors: a parameter of a selection (with
/// offsets counted within the selection), an input, or an activation.
public struct VectorSegment: Sendable, Hashable, Codable {
  /// The state-dict name of the parameter (or the input's or layer's name).
  public let name: String
  /// The tensor's shape.
  public let shape: [Int]
  /// The index of its first element in the operator's vectors.
  public let offset: Int
  /// Its number of elements.
  public var count: Int { shape.reduce(1, *) }

  /// Creates a segment.
  public init(name: String, shape: [Int], offset: Int) {
    self.name = name
    self.shape = shape
    self.offset = offset
  }
}

/// Whether `name` matches the glob `pattern` (`*` any run, `?` one character), by the
/// standard two-pointer algorithm with backtracking to the last `*`: `O(|pattern| |name|)`.
func globMatches(_ pattern: [Character], _ name: [Character]) -> Bool {
  var (p, n) = (0, 0)
  var star: (p: Int, n: Int)?
  while n < name.count {
    if p < pattern.count && (pattern[p] == "?" || pattern[p] == name[n]) {
      p += 1
      n += 1
    } else if p < pattern.count && pattern[p] == "*" {
      star = (p, n)
      p += 1
    } else if let s = star {
      p = s.p + 1
      n = s.n + 1
      star = (s.p, s.n + 1)
    } else {
      return false
    }
  }
  while p < pattern.count && pattern[p] == "*" { p += 1 }
  return p == pattern.count
}

/// A layer's parameters: the unit of per-layer curvature.
///
/// **Grouping rule**: a parameter belongs to the module that registered it, whose name is the
/// parameter's state-dict name without its last component (PyTorch `named_modules()`):
/// `layer1.0.conv1.weight` belongs to `layer1.0.conv1`, `0.weight` and `0.bias` to `0`, and a
/// BatchNorm's `bn1.weight` and `bn1.bias` together to `bn1`. A name without a dot forms a
/// group of its own under that name. Groups are listed in the order of their first parameter.
public struct LayerGroup: Sendable, Hashable, Codable {
  /// The layer's dotted name, e.g. `layer1.0.conv1`.
  public let name: String
  /// Its parameters' state-dict names, in model order.
  public let parameterNames: [String]
  /// Its number of parameter elements (the dimension of its Hessian block).
  public let parameterCount: Int

  /// The selection of this layer's parameters.
  public var selection: ParameterSelection {
    let names = Set(parameterNames)
    return ParameterSelection("layer \"\(name)\"") { names.contains($0) }
  }

  /// The layers of a model's parameters, by the grouping rule above.
  public static func layers<S>(of parameters: ParameterCollection<S>) -> [LayerGroup] {
    var order: [String] = []
    var members: [String: [String]] = [:]
    var counts: [String: Int] = [:]
    for (name, value) in zip(parameters.names, parameters.values) {
      let layer = layerName(ofParameter: name)
      if members[layer] == nil { order.append(layer) }
      members[layer, default: []].append(name)
      counts[layer, default: 0] += value.count
    }
    return order.map {
      LayerGroup(name: $0, parameterNames: members[$0] ?? [], parameterCount: counts[$0] ?? 0)
    }
  }

  /// The layer owning a parameter: its name without the last dotted component.
  public static func layerName(ofParameter name: String) -> String {
    guard let dot = name.lastIndex(of: ".") else { return name }
    return String(name[..<dot])
  }
}
