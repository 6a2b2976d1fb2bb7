// Colours for categorical data. Okabe and Ito's palette stays distinguishable for the common
// forms of colour blindness; its order here puts the strongest colours on white first (yellow,
// hard to see as a thin line, last).

import Foundation

/// A colour with 8-bit red, green and blue channels.
///
/// ```swift
/// RGBColor(red: 0, green: 114, blue: 178).hex  // "#0072b2"
/// ```
public struct RGBColor: Sendable, Hashable {
  /// The red channel, 0...255.
  public var red: UInt8
  /// The green channel, 0...255.
  public var green: UInt8
  /// The blue channel, 0...255.
  public var blue: UInt8

  /// A colour from its three channels.
  ///
  /// ```swift
  /// let black = RGBColor(red: 0, green: 0, blue: 0)
  /// ```
  public init(red: UInt8, green: UInt8, blue: UInt8) {
    self.red = red
    self.green = green
    self.blue = blue
  }

  /// A colour from six hexadecimal digits, with or without a leading `#`; `nil` if malformed.
  ///
  /// ```swift
  /// RGBColor(hex: "#D55E00")?.red  // 213
  /// ```
  public init?(hex: String) {
    let digits = hex.hasPrefix("#") ? hex.dropFirst() : Substring(hex)
    guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
    self.init(
      red: UInt8(value >> 16 & 0xFF), green: UInt8(value >> 8 & 0xFF), blue: UInt8(value & 0xFF))
  }

  /// `#rrggbb` in lowercase, as SVG and CSS take it.
  ///
  /// ```swift
  /// RGBColor(red: 255, green: 255, blue: 255).hex  // "#ffffff"
  /// ```
  public var hex: String {
    let digits = Array("0123456789abcdef")
    var text = "#"
    for channel in [red, green, blue] {
      text.append(digits[Int(channel >> 4)])
      text.append(digits[Int(channel & 0xF)])
    }
    return text
  }

  /// Relative luminance in `0...1` (sRGB, WCAG), to choose dark or light ink on this colour.
  ///
  /// ```swift
  /// RGBColor(hex: "#fde725")!.luminance > 0.5  // true: draw black on it
  /// ```
  public var luminance: Double {
    func linear(_ channel: UInt8) -> Double {
      let c = Double(channel) / 255
      return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
    }
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
  }
}

/// Categorical colours for series and bars.
///
/// ```swift
/// Palette.color(0).hex  // "#0072b2" (blue)
/// Palette.color(1).hex  // "#d55e00" (vermillion)
/// ```
public enum Palette {
  /// The Okabe-Ito colours (without black): blue, vermillion, bluish green, reddish purple,
  /// orange, sky blue, yellow.
  public static let okabeIto: [RGBColor] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442",
  ].map { RGBColor(hex: $0)! }

  /// The colour of the series at `index`, cycling through ``okabeIto``.
  ///
  /// ```swift
  /// Palette.color(7) == Palette.color(0)  // true
  /// ```
  public static func color(_ index: Int) -> RGBColor {
    let count = okabeIto.count
    return okabeIto[((index % count) + count) % count]
  }
}
