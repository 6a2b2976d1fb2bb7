// Input-space Hessians (seed notebook 000): a smooth generator against its finite-difference
// Hessian, and a ReLU network with an objective linear in its activations, where the exact
// Hessian is zero and a finite difference measures the gradient's jumps instead.

import Autodiff
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@Suite("Input-space Hessians")
struct InputHessianTests {
  /// A generator-like network: a latent code of 6 to an "image" of 12 values.
  static let generator = Model<Double>(
    multilayerPerceptron(widths: [6, 10, 12], activation: .tanh), seed: 31)
  static let weights: Tensor<Double> = {
    var g = SeededGenerator(seed: 32)
    return Tensor(randomNormal: [1, 12], using: &g)
  }()
  static let latent: Tensor<Double> = {
    var g = SeededGenerator(seed: 33)
    return Tensor(randomNormal: [1, 6], using: &g)
  }()

  /// A feature objective, quadratic in the image (as a perceptual loss is).
  @Sendable static func objective(_ image: Variable<Double>) -> Variable<Double> {
    (image * weights).sum().squared() + image.squared().sum() * 0.5
  }

  @Test func smoothGeneratorMatchesItsFiniteDifferenceHessian() throws {
    let hessian = try InputHessianOperator(
      model: Self.generator, input: Self.latent, objective: Self.objective)
    #expect(hessian.dimension == 6 && hessian.scope == CurvatureScope(.input))
    let constants = Self.generator.parameters.values
    let oracle = numericalHessian(at: [Self.latent]) { z in
      gradient(at: z) {
        Self.objective(
          Self.generator.output(for: $0[0], parameters: constants.map { Variable($0) }))
      }
    }
    let dense = try DenseHessian(of: hessian, scope: hessian.scope)
    let r = closeness(dense.matrix, oracle, rtol: 1e-7, atol: 1e-9)
    #expect(r.passes, "\(r)")
    // Lanczos on the operator finds the dense top eigenvalues.
    var rng = SeededGenerator(seed: 34)
    let top = try eigenpairs(of: hessian, count: 2, tolerance: 1e-10, using: &rng)
    let exact = try dense.eigendecomposition().eigenvalues
    #expect(
      allClose(top.eigenvalues, [exact[5], exact[4]], rtol: 1e-8), "\(top.eigenvalues) vs \(exact)")
    // A plain function of a tensor works the same way: f(x) = sum(x^3) has H = diag(6x).
    let x = Tensor<Double>([1, -2, 0.5])
    let cubic = try InputHessianOperator(at: x) { ($0 * $0 * $0).sum() }
    let cubicDense = try DenseHessian(of: cubic)
    #expect(cubicDense.matrix.scalars == [6, 0, 0, 0, -12, 0, 0, 0, 3])
    #expect(
      cubicDense.scope == CurvatureScope(.input) && cubicDense.segments.map(\.name) == ["input"])
  }

  @Test func finiteDifferenceMatchesExactOnTheSmoothGenerator() throws {
    let exact = try InputHessianOperator(
      model: Self.generator, input: Self.latent, objective: Self.objective)
    let fd = try InputHessianOperator(
      model: Self.generator, input: Self.latent, method: .finiteDifference(.automatic),
      objective: Self.objective)
    var rng = SeededGenerator(seed: 35)
    let block = Tensor<Double>(randomNormal: [4, 6], using: &rng)
    let error = relativeError(try fd.apply(block), try exact.apply(block))
    #expect(error < 1e-4, "relative error \(error)")
    #expect(fd.hvpCount == 4)
  }

  /// f(x) = a · relu(W x + b) + c: piecewise linear, so its exact Hessian is zero, while
  /// `(g(x + h v) - g(x - h v)) / 2h = Wᵀ (a * (m(x + h v) - m(x - h v))) / 2h` with the
  /// masks `m(y) = [W y + b > 0]`: non-zero exactly when the step crosses a kink.
  @Test func reluNetworkHasZeroExactHessianAndNonzeroFiniteDifference() throws {
    let network = Model<Double>(
      multilayerPerceptron(widths: [4, 16, 1], activation: .relu), seed: 36)
    var rng = SeededGenerator(seed: 37)
    let x = Tensor<Double>(randomNormal: [1, 4], using: &rng)
    let v = Tensor<Double>(randomNormal: [1, 4], using: &rng)
    let sum: @Sendable (Variable<Double>) -> Variable<Double> = { $0.sum() }
    let exact = try InputHessianOperator(model: network, input: x, objective: sum)
    let product = try exact.apply(v)
    #expect(product.scalars.allSatisfy { $0 == 0 }, "exact Hessian of a ReLU net: \(product)")

    let w = try #require(network.parameters["0.weight"])  // [16, 4]
    let b = try #require(network.parameters["0.bias"])
    let a = try #require(network.parameters["2.weight"])  // [1, 16]
    func closedForm(step h: Double) -> Tensor<Double> {
      func mask(_ y: Tensor<Double>) -> Tensor<Double> {
        (y.matmul(w, transposeOther: true) + b).indicator(greaterThan: 0)
      }
      let jump = (mask(x + v * h) - mask(x - v * h)) * a  // [1, 16]
      return jump.matmul(w) * (1 / (2 * h))  // [1, 4]
    }
    let vNorm = Double(v.norm())
    // A perturbation of norm 1 crosses kinks: the result is the gradient's jump, not zero.
    let smoothed = try InputHessianOperator(
      model: network, input: x, method: .finiteDifference(.perturbationNorm(1)), objective: sum)
    let fdProduct = try smoothed.apply(v)
    let expected = closedForm(step: 1 / vNorm)
    #expect(
      Double(expected.norm()) > 1e-2, "the step must cross a kink for this test to mean anything")
    let r = closeness(fdProduct, expected, rtol: 1e-10, atol: 1e-12)
    #expect(r.passes, "\(r)")
    // The automatic step (relative perturbation 6e-6) follows the same formula; here it crosses
    // no kink, so it agrees with the exact zero.
    let automatic = try InputHessianOperator(
      model: network, input: x, method: .finiteDifference(.automatic), objective: sum)
    let h = FiniteDifferenceStep.automatic.step(
      for: Double.self, pointNorm: Double(x.norm()), directionNorm: vNorm)
    #expect(abs(h * vNorm - 6.055454e-6 * max(1, Double(x.norm()))) < 1e-11)
    let small = try automatic.apply(v)
    #expect(closeness(small, closedForm(step: h), rtol: 1e-10, atol: 1e-12).passes)
    #expect(small.scalars.allSatisfy { $0 == 0 })
  }
}
