import Testing

@testable import Plots

@Suite("Number formatting and escaping")
struct NumberFormatTests {
  @Test(
    "compact numbers",
    arguments: [
      (147.69364, 4, "147.7"), (0.30000000000000004, 4, "0.3"), (0.0000123456, 4, "1.235e-5"),
      (-2.5e7, 3, "-2.5e7"), (0, 4, "0"), (-0.0, 4, "0"), (1e-5, 4, "1e-5"), (999.96, 4, "1000"),
      (123456, 4, "123456"), (0.001, 4, "0.001"), (1.0, 4, "1"), (-3.26, 2, "-3.3"),
    ])
  func compact(value: Double, digits: Int, expected: String) {
    #expect(NumberFormat.compact(value, significantDigits: digits) == expected)
  }

  @Test("non-finite numbers read as such in text")
  func nonFinite() {
    #expect(NumberFormat.compact(.nan) == "NaN")
    #expect(NumberFormat.compact(.infinity) == "∞")
    #expect(NumberFormat.compact(-.infinity) == "-∞")
  }

  @Test("integers with thousands separators")
  func grouped() {
    #expect(NumberFormat.grouped(272474) == "272,474")
    #expect(NumberFormat.grouped(-1500) == "-1,500")
    #expect(NumberFormat.grouped(999) == "999")
    #expect(NumberFormat.grouped(0) == "0")
    #expect(NumberFormat.grouped(1_234_567) == "1,234,567")
  }

  @Test("tick labels show the digits of the step, compactly")
  func tickLabels() {
    #expect(NumberFormat.tickLabels([0, 0.2, 0.4], step: 0.2) == ["0", "0.2", "0.4"])
    #expect(NumberFormat.tickLabels([0, 2e-5, 4e-5], step: 2e-5) == ["0", "2e-5", "4e-5"])
    #expect(NumberFormat.tickLabels([0, 0.001, 0.002], step: 0.001) == ["0", "0.001", "0.002"])
    #expect(NumberFormat.tickLabels([0, 2500, 5000], step: 2500) == ["0", "2500", "5000"])
    #expect(NumberFormat.tickLabels([0, 25000, 50000], step: 25000) == ["0", "25k", "50k"])
    #expect(NumberFormat.tickLabels([10000, 10500, 11000], step: 500) == ["10k", "10.5k", "11k"])
    #expect(NumberFormat.tickLabels([0, 2.5e6, 5e6], step: 2.5e6) == ["0", "2.5M", "5M"])
    #expect(NumberFormat.tickLabels([0, 5e9, 1e10], step: 5e9) == ["0", "5e9", "1e10"])
    #expect(
      NumberFormat.tickLabels([-0.4, -0.2, 0, 0.2], step: 0.2) == ["-0.4", "-0.2", "0", "0.2"])
    #expect(NumberFormat.tickLabels([1.2e-4, 1.4e-4], step: 2e-5) == ["1.2e-4", "1.4e-4"])
  }

  @Test("decade labels never mix plain and scientific on one axis")
  func decades() {
    #expect(NumberFormat.decadeLabels([-2, -1, 0, 1]) == ["0.01", "0.1", "1", "10"])
    #expect(NumberFormat.decadeLabels([-6, -4, -2, 0]) == ["1e-6", "1e-4", "1e-2", "1e0"])
    #expect(NumberFormat.decadeLabels([0, 4]) == ["1", "10000"])
  }

  @Test("SVG coordinates: two decimals, no -0, never nan or inf")
  func coordinates() {
    #expect(svgNumber(3.14159) == "3.14")
    #expect(svgNumber(2.0) == "2")
    #expect(svgNumber(0.5) == "0.5")
    #expect(svgNumber(0.05) == "0.05")
    #expect(svgNumber(-12.3) == "-12.3")
    #expect(svgNumber(-0.001) == "0")
    #expect(svgNumber(.nan) == "0")
    #expect(svgNumber(.infinity) == "0")
    #expect(svgNumber(1e20) == "1000000000000")
  }

  @Test("XML escaping of markup characters and forbidden control characters")
  func escaping() {
    #expect(Markup.escape("a < b & \"c\" > 'd'") == "a &lt; b &amp; &quot;c&quot; &gt; &#39;d&#39;")
    #expect(Markup.escape("tab\there\u{0}\u{7}\u{1B}") == "tab\there")
    #expect(Markup.escape("λ1 = 147.7 · α") == "λ1 = 147.7 · α")
  }
}
