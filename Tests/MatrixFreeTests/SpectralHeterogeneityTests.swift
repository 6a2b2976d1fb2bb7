// The Jensen-Shannon distance between spectra (block heterogeneity): hand-worked values of the
// distance between two discrete distributions, and densities of known spectra that are equal,
// disjoint, or half-overlapping.

import MatrixFree
import TensorCore
import Testing
import _TestSupport

@Suite("Spectral heterogeneity: Jensen-Shannon distances between densities")
struct SpectralHeterogeneityTests {
  /// JS([1/2, 1/2], [1, 0]): m = [3/4, 1/4]; KL(p||m) = 1/2 log2(2/3) + 1/2 log2(2) = 0.2075187,
  /// KL(q||m) = log2(4/3) = 0.4150375; the divergence is their mean 0.3112781 and the distance
  /// its square root 0.5579230.
  @Test func distancesWorkedByHand() {
    #expect(abs(SpectralHeterogeneity.jensenShannonDistance([0.5, 0.5], [1, 0]) - 0.5579230) < 1e-6)
    #expect(SpectralHeterogeneity.jensenShannonDistance([1, 0], [0, 1]) == 1)
    #expect(SpectralHeterogeneity.jensenShannonDistance([0.2, 0.8], [0.2, 0.8]) == 0)
  }

  static func density(_ eigenvalues: [Double]) throws -> SpectralDensity {
    let spectrum = KnownSpectrum<Double>(eigenvalues, rotated: false)
    var g = SeededGenerator(seed: 4)
    return try spectralDensity(of: spectrum.dense, lanczosSteps: 12, probeCount: 2, using: &g)
  }

  /// Equal spectra are at distance 0, spectra 100 apart at 1 (their smoothed densities do not
  /// overlap on the common grid), and the matrix is symmetric with a zero diagonal.
  @Test func knownSpectra() throws {
    let low = (1...12).map(Double.init)
    let a = try Self.density(low)
    let b = try Self.density(low)
    let far = try Self.density(low.map { $0 + 100 })
    let h = SpectralHeterogeneity([a, b, far], gridPoints: 2048)
    #expect(h.distances[0][1] < 1e-12)
    #expect(h.distances[0][2] > 0.999 && h.distances[1][2] > 0.999)
    for i in 0..<3 {
      #expect(h.distances[i][i] < 1e-12)
      for j in 0..<3 { #expect(h.distances[i][j] == h.distances[j][i]) }
    }
    #expect(abs(h.meanDistance - (h.distances[0][1] + h.distances[0][2] + h.distances[1][2]) / 3) < 1e-15)
    // Each density on the common grid integrates to 1 (trapezoid rule).
    let spacing = h.grid[1] - h.grid[0]
    for d in h.densities {
      let mass = zip(d, d.dropFirst()).reduce(0) { $0 + 0.5 * ($1.0 + $1.1) * spacing }
      #expect(abs(mass - 1) < 1e-9)
    }
  }
}
