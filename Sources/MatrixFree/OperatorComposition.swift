// Sums, scalings and shifts of operators: `alpha A + sigma I` turns a smallest-eigenvalue
// problem into a largest one, or shifts a spectrum away from zero for a relative test.

import TensorCore

/// The sum `A + B` of two operators of the same dimension.
///
/// - Complexity: one product with each operand per product.
public struct SumOperator<First: LinearOperator, Second: LinearOperator>: LinearOperator
where First.Scalar == Second.Scalar {
  /// The scalar type.
  public typealias Scalar = First.Scalar
  /// `A`.
  public let first: First
  /// `B`.
  public let second: Second

  /// Creates `first + second`.
  ///
  /// - Precondition: the dimensions agree.
  public init(_ first: First, _ second: Second) {
    precondition(
      first.dimension == second.dimension,
      "cannot add operators of dimensions \(first.dimension) and \(second.dimension)")
    self.first = first
    self.second = second
  }

  /// `n`.
  public var dimension: Int { first.dimension }

  /// `X A + X B`.
  public func apply(_ block: Tensor<Scalar>) throws -> Tensor<Scalar> {
    var result = try first.apply(block)
    result += try second.apply(block)
    return result
  }
}

/// The affine combination `scale * A + shift * I` of an operator.
///
/// - Complexity: one product with `A` per product, plus `O(k n)`.
public struct AffineOperator<Base: LinearOperator>: LinearOperator {
  /// The scalar type.
  public typealias Scalar = Base.Scalar
  /// `A`.
  public let base: Base
  /// The factor on `A`.
  public let scale: Scalar
  /// The multiple of the identity added.
  public let shift: Scalar

  /// Creates `scale * base + shift * I`.
  public init(_ base: Base, scale: Scalar = 1, shift: Scalar = 0) {
    self.base = base
    self.scale = scale
    self.shift = shift
  }

  /// `n`.
  public var dimension: Int { base.dimension }

  /// `scale * X A + shift * X`.
  public func apply(_ block: Tensor<Scalar>) throws -> Tensor<Scalar> {
    var result = try base.apply(block)
    if scale != 1 { result = result * scale }
    if shift != 0 { result.add(block, scaledBy: shift) }
    return result
  }
}

extension LinearOperator {
  /// `alpha * A`.
  public func scaled(by alpha: Scalar) -> AffineOperator<Self> {
    AffineOperator(self, scale: alpha)
  }

  /// `A + sigma * I`: the same eigenvectors, eigenvalues shifted by `sigma`.
  public func shifted(by sigma: Scalar) -> AffineOperator<Self> {
    AffineOperator(self, shift: sigma)
  }

  /// `A + B`.
  ///
  /// - Precondition: the dimensions agree.
  public func adding<Other: LinearOperator>(_ other: Other) -> SumOperator<Self, Other>
  where Other.Scalar == Scalar {
    SumOperator(self, other)
  }
}
