// A deterministic built-in classification data set: interleaved spirals in the plane (the
// CS231n toy problem). Small, nonlinear, and quick to fit, it gives the CLI's default run a
// trained network with an interesting Hessian and no files to download.

import RealModule
import TensorCore

/// Points on `classes` interleaved spiral arms in the plane, with their arm as the label.
///
/// Sample `i` of arm `c` (`i` in `0..<samplesPerClass`, `s = i / (samplesPerClass - 1)`) is
///
/// ```
/// r = s,   angle = 4 (c + s) + noise * z,   x = (r sin(angle), r cos(angle))
/// ```
///
/// with `z` standard normal from `seed`. Samples are interleaved by class (row `i C + c`), so
/// every prefix of the data set is balanced.
///
/// ```swift
/// let (x, y) = spirals(classes: 3, samplesPerClass: 300, as: Float.self)  // [900, 2], 0...2
/// ```
///
/// - Parameters:
///   - classes: the number of arms and labels (at least 2).
///   - samplesPerClass: points per arm (at least 2).
///   - noise: the standard deviation of the angle noise, in radians (default 0.2).
///   - seed: seeds the noise.
/// - Returns: inputs `[classes * samplesPerClass, 2]` and labels in `0..<classes`.
public func spirals<Scalar: TensorScalar>(
  classes: Int = 3, samplesPerClass: Int = 300, noise: Double = 0.2, seed: UInt64 = 0,
  as type: Scalar.Type = Scalar.self
) -> (inputs: Tensor<Scalar>, labels: [Int]) {
  precondition(classes >= 2, "spirals needs at least 2 classes, got \(classes)")
  precondition(samplesPerClass >= 2, "spirals needs at least 2 samples per class")
  var generator = SeededGenerator(seed: seed)
  let z = Tensor<Double>(randomNormal: [samplesPerClass * classes], using: &generator).scalars
  var points: [Scalar] = []
  var labels: [Int] = []
  points.reserveCapacity(2 * classes * samplesPerClass)
  for i in 0..<samplesPerClass {
    let s = Double(i) / Double(samplesPerClass - 1)
    for c in 0..<classes {
      let angle = 4 * (Double(c) + s) + noise * z[i * classes + c]
      points += [Scalar(s * Double.sin(angle)), Scalar(s * Double.cos(angle))]
      labels.append(c)
    }
  }
  return (Tensor(shape: [classes * samplesPerClass, 2], scalars: points), labels)
}
