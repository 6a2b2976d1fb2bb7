import Testing

@testable import Plots

@Suite("Colours")
struct ColorTests {
  @Test("viridis: 256 entries from dark purple to yellow, clamped outside 0...1")
  func viridis() {
    let map = Colormap.viridis
    #expect(map.colors.count == 256)
    #expect(map.color(at: 0).hex == "#440154")
    #expect(map.color(at: 1).hex == "#fde725")
    #expect(map.color(at: 0.5).hex == "#21918c")
    #expect(map.color(at: -3) == map.color(at: 0))
    #expect(map.color(at: 7) == map.color(at: 1))
    #expect(map.color(at: .nan) == map.color(at: 0))
  }

  @Test("viridis gets lighter from one end to the other")
  func monotoneLightness() {
    let luminances = stride(from: 0.0, through: 1, by: 1.0 / 32).map {
      Colormap.viridis.color(at: $0).luminance
    }
    #expect(zip(luminances, luminances.dropFirst()).allSatisfy { $0 < $1 })
  }

  @Test("hex colours round-trip; malformed ones are rejected")
  func hex() {
    #expect(RGBColor(hex: "#D55E00")?.hex == "#d55e00")
    #expect(RGBColor(hex: "0072b2") == RGBColor(red: 0, green: 114, blue: 178))
    #expect(RGBColor(hex: "#12345") == nil)
    #expect(RGBColor(hex: "#zzzzzz") == nil)
  }

  @Test("the palette is Okabe-Ito, distinct, and cycles")
  func palette() {
    #expect(Palette.okabeIto.count == 7)
    #expect(Set(Palette.okabeIto).count == 7)
    #expect(Palette.color(0).hex == "#0072b2")
    #expect(Palette.color(7) == Palette.color(0))
    #expect(Palette.color(-1) == Palette.color(6))
  }
}
