// The hand-worked oracle of seed notebook 001 (../shared/seeds/README.md), shared by every
// test target that checks against it: the 2-2-1 linear network's exact Hessian and spectrum.

import TensorCore

/// The 2-2-1 linear network of seed notebook 001: `W = [[2, 3], [4, 1]]`, `V = [2, 1]`,
/// `x = [1, 1]`, `y = 14`, loss `(V W x - y)^2`, and its Hessian over `(w11, w12, w21, w22,
/// v1, v2)`, computed by hand.
public enum Seed001Oracle {
  /// The exact Hessian, row-major 6 x 6.
  public static let hessian: [Double] = [
    8, 8, 4, 4, 22, 20,
    8, 8, 4, 4, 22, 20,
    4, 4, 2, 2, 10, 12,
    4, 4, 2, 2, 10, 12,
    22, 22, 10, 10, 50, 50,
    20, 20, 12, 12, 50, 50,
  ]

  /// Its eigenvalues, ascending, in closed form: -2 sqrt 2, 60 - sqrt 3848, 0, 0, 2 sqrt 2,
  /// 60 + sqrt 3848 (the README's -2.828427, -2.032250, 0, 0, 2.828427, 122.032250).
  public static let eigenvalues: [Double] = [
    -2 * 2.0.squareRoot(), 60 - 3848.0.squareRoot(), 0, 0, 2 * 2.0.squareRoot(),
    60 + 3848.0.squareRoot(),
  ]

  /// The Hessian as a `[6, 6]` tensor.
  public static func hessianMatrix<Scalar: TensorScalar>(
    _ type: Scalar.Type = Scalar.self
  ) -> Tensor<Scalar> {
    Tensor(shape: [6, 6], scalars: hessian.map { Scalar($0) })
  }
}
