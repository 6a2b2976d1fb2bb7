import Foundation
import Testing

@testable import Plots

@Suite("Nice ticks")
struct NiceNumbersTests {
  @Test("Heckbert's nice numbers, rounded and not")
  func niceNumbers() {
    #expect(NiceNumbers.nice(0.25, rounding: true) == 0.2)
    #expect(NiceNumbers.nice(97, rounding: false) == 100)
    #expect(NiceNumbers.nice(1, rounding: false) == 1)
    #expect(NiceNumbers.nice(1.4, rounding: true) == 1)
    #expect(NiceNumbers.nice(4.2, rounding: true) == 5)
    #expect(NiceNumbers.nice(8, rounding: true) == 10)
    #expect(NiceNumbers.nice(2.01, rounding: false) == 5)
    #expect(NiceNumbers.nice(2.9e-7, rounding: true) == 2e-7)
    #expect(NiceNumbers.nice(3e-7, rounding: true) == 5e-7)
  }

  @Test("0...1 gives 0, 0.2, ..., 1 with short labels")
  func unitInterval() {
    let ticks = NiceNumbers.linear(from: 0, to: 1)
    #expect(ticks.values == [0, 0.2, 0.4, 0.6, 0.8, 1])
    #expect(ticks.labels == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
    #expect(ticks.lower == 0 && ticks.upper == 1)
  }

  @Test("0...97 gives 0, 20, ..., 100")
  func zeroToNinetySeven() {
    let ticks = NiceNumbers.linear(from: 0, to: 97)
    #expect(ticks.values == [0, 20, 40, 60, 80, 100])
    #expect(ticks.labels == ["0", "20", "40", "60", "80", "100"])
    #expect(ticks.upper == 100)
  }

  @Test("decimal ticks are the doubles nearest their decimals")
  func noFloatNoise() {
    let ticks = NiceNumbers.linear(from: 0.1, to: 0.7, targetCount: 11)
    #expect(ticks.values.contains(0.3))
    #expect(ticks.values.contains(0.6))
    #expect(ticks.labels.allSatisfy { $0.count <= 3 }, "\(ticks.labels)")
    #expect(!ticks.labels.joined().contains("0000"))
  }

  @Test("a range around zero is symmetric and contains zero")
  func symmetric() {
    let ticks = NiceNumbers.linear(from: -0.5, to: 0.5)
    #expect(ticks.values.contains(0))
    #expect(ticks.values.first == -ticks.values.last!)
    #expect(ticks.labels.first == "-" + ticks.labels.last!)
  }

  @Test("constant and non-finite data still get a proper axis")
  func degenerate() {
    let constant = NiceNumbers.linear(from: 3, to: 3)
    #expect(constant.upper > constant.lower)
    #expect(constant.values.contains(3))
    let zero = NiceNumbers.linear(from: 0, to: 0)
    #expect(zero.lower == -1 && zero.upper == 1)
    let huge = NiceNumbers.linear(from: 1e6, to: 1e6 + 1e-9)
    #expect(huge.upper > huge.lower && huge.values.count >= 2)
    let broken = NiceNumbers.linear(from: .nan, to: .infinity)
    #expect(broken.values == [0, 0.2, 0.4, 0.6, 0.8, 1])
    let reversed = NiceNumbers.linear(from: 1, to: 0)
    #expect(reversed.values == [0, 0.2, 0.4, 0.6, 0.8, 1])
  }

  @Test("tight ticks stay inside the range and are never fewer than three")
  func tight() {
    let landscape = NiceNumbers.linear(from: -1.04, to: 1.04, extendsToTicks: false)
    #expect(landscape.values == [-1, -0.5, 0, 0.5, 1])
    #expect(landscape.lower == -1.04 && landscape.upper == 1.04)
    let bars = NiceNumbers.linear(from: -41.3, to: 96, extendsToTicks: false)
    #expect(bars.values.count >= 3)
    #expect(bars.values.allSatisfy { $0 >= -41.3 && $0 <= 96 })
  }

  @Test("any range: evenly spaced ticks covering the data, short distinct labels")
  func randomRanges() {
    var generator = SplitMix64(state: 42)
    for _ in 0..<500 {
      let scale = pow(10, Double.random(in: -9...9, using: &generator))
      let a = Double.random(in: -1...1, using: &generator) * scale
      let b = a + Double.random(in: 1e-3...2, using: &generator) * scale
      for loose in [true, false] {
        let ticks = NiceNumbers.linear(from: a, to: b, extendsToTicks: loose)
        #expect((3...11).contains(ticks.values.count), "\(a)...\(b): \(ticks.values)")
        if loose {
          #expect(ticks.lower <= a && ticks.upper >= b)
        } else {
          #expect(ticks.values.allSatisfy { $0 >= a - 1e-9 * scale && $0 <= b + 1e-9 * scale })
        }
        let steps = zip(ticks.values, ticks.values.dropFirst()).map { $1 - $0 }
        #expect(steps.allSatisfy { abs($0 - steps[0]) <= 1e-9 * abs(steps[0]) })
        #expect(Set(ticks.labels).count == ticks.labels.count, "\(ticks.labels)")
        #expect(ticks.labels.allSatisfy { $0.count <= 10 }, "\(ticks.labels)")
      }
    }
  }

  @Test("log axis over 1e-6...1e2: every decade, with minor ticks")
  func logDecades() {
    let ticks = NiceNumbers.logarithmic(from: 1e-6, to: 1e2)
    #expect(ticks.values == [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100])
    #expect(ticks.labels == ["1e-6", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1", "1e0", "1e1", "1e2"])
    #expect(ticks.minor.count == 8 * 8)
    #expect(ticks.lower == 1e-6 && ticks.upper == 100)
  }

  @Test("log axis: plain labels for small exponents, wider steps for many decades")
  func logSteps() {
    #expect(
      NiceNumbers.logarithmic(from: 0.01, to: 50).labels == ["0.01", "0.1", "1", "10", "100"])
    let density = NiceNumbers.logarithmic(from: 4e-11, to: 0.4)
    #expect(density.values.count <= 10)
    #expect(density.values == [1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1])
    #expect(density.minor.contains(1e-11))
    let wide = NiceNumbers.logarithmic(from: 1e-300, to: 1e300)
    #expect(wide.values.count <= 10 && wide.values.count >= 2)
  }

  @Test("log axis within one or two decades: 1-2-5 ticks")
  func logOneTwoFive() {
    let ticks = NiceNumbers.logarithmic(from: 2, to: 8)
    #expect(ticks.values == [2, 5, 10])
    #expect(ticks.labels == ["2", "5", "10"])
    let sliver = NiceNumbers.logarithmic(from: 3.1, to: 4.6, extendsToTicks: false)
    #expect(sliver.values.count >= 2)
    #expect(sliver.lower == 3.1 && sliver.upper == 4.6)
    let invalid = NiceNumbers.logarithmic(from: -1, to: 0)
    #expect(invalid.values == [1, 2, 5, 10])
  }
}
