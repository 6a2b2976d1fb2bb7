// The label every curvature number carries: which Hessian it belongs to.

/// Which Hessian a number belongs to: the full parameter Hessian, one layer's diagonal block,
/// a selection of parameters, the Hessian with respect to an input, or to a layer's
/// activations.
///
/// The full Hessian includes the cross-layer blocks; a per-layer result is one layer's
/// diagonal block alone. They differ, and users must always know which one they are looking
/// at: for the 2-2-1 network of seed notebook 001 the full Hessian's top eigenvalue is
/// 122.032250, the per-layer ones are 20 (layer `0`) and 100 (layer `1`).
///
/// Encoded as `{"kind": "per-layer", "name": "layer1.0.conv1"}`; printed as
/// `per-layer layer1.0.conv1`.
public struct CurvatureScope: Codable, Sendable, Hashable, CustomStringConvertible {
  /// The kind of Hessian.
  public enum Kind: String, Codable, Sendable, Hashable, CaseIterable {
    /// The Hessian of the loss with respect to all parameters.
    case full
    /// One layer's diagonal block of the parameter Hessian.
    case perLayer = "per-layer"
    /// The diagonal block of a ``ParameterBlock`` (whole parameters or rows of one, such as
    /// the queries of a fused attention projection).
    case block
    /// The diagonal block of a selection of parameters.
    case parameters
    /// The Hessian of a function of the model's input.
    case input
    /// The Hessian of the loss with respect to one layer's output activations.
    case activation
    /// The generalized Gauss-Newton matrix `Jᵀ H_loss J` over all parameters (or a
    /// selection, named).
    case gaussNewton = "gauss-newton"
  }

  /// The kind.
  public let kind: Kind
  /// The layer (per-layer, activation), the selection (parameters), or nil.
  public let name: String?

  /// Creates a scope.
  public init(_ kind: Kind, name: String? = nil) {
    self.kind = kind
    self.name = name
  }

  /// The full parameter Hessian.
  public static let full = CurvatureScope(.full)

  /// One layer's block.
  public static func perLayer(_ name: String) -> CurvatureScope {
    CurvatureScope(.perLayer, name: name)
  }

  /// `full`, `per-layer layer1.0.conv1`, ...
  public var description: String {
    name.map { "\(kind.rawValue) \($0)" } ?? kind.rawValue
  }
}
