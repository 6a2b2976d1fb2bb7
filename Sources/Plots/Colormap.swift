// Perceptually uniform colour scales for heat maps. Viridis (van der Walt and Smith, CC0) is
// uniform in lightness, reads in greyscale and with colour blindness; its 256 entries are
// embedded as one hex string, 6 digits each.

import Foundation

/// A continuous colour scale: maps `0...1` to colours from a 256-entry table.
///
/// ```swift
/// Colormap.viridis.color(at: 0).hex  // "#440154" (dark purple)
/// Colormap.viridis.color(at: 1).hex  // "#fde725" (yellow)
/// ```
public struct Colormap: Sendable, Equatable {
  /// The scale's name, such as `"viridis"`.
  public let name: String
  /// The table, from the colour of 0 to the colour of 1.
  public let colors: [RGBColor]

  /// A colormap from a table of at least two colours, evenly spaced over `0...1`.
  ///
  /// ```swift
  /// let grey = Colormap(name: "grey", colors: [RGBColor(hex: "#000000")!, RGBColor(hex: "#ffffff")!])
  /// ```
  public init(name: String, colors: [RGBColor]) {
    precondition(colors.count >= 2, "a colormap needs at least two colours, got \(colors.count)")
    self.name = name
    self.colors = colors
  }

  /// Matplotlib's default colormap, dark purple through blue and green to yellow.
  ///
  /// ```swift
  /// let heatMap = HeatMap(x: xs, y: ys, z: z, colormap: .viridis)
  /// ```
  public static let viridis = Colormap(name: "viridis", colors: parse(viridisTable))

  /// The colour at `t`, clamped to `0...1` (the nearest of the table's entries). NaN gives the
  /// first colour; charts draw missing values in grey before they get here.
  ///
  /// ```swift
  /// Colormap.viridis.color(at: 0.5).hex  // "#21918c"
  /// ```
  public func color(at t: Double) -> RGBColor {
    guard t.isFinite else { return t == .infinity ? colors[colors.count - 1] : colors[0] }
    let index = Int((min(max(t, 0), 1) * Double(colors.count - 1)).rounded())
    return colors[index]
  }

  private static func parse(_ table: String) -> [RGBColor] {
    let digits = Array(table)
    return stride(from: 0, to: digits.count, by: 6).map {
      RGBColor(hex: String(digits[$0..<$0 + 6]))!
    }
  }

  private static let viridisTable = """
    44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769\
    48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a\
    472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85\
    4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b\
    3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d\
    33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e\
    2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e\
    26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d\
    21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88\
    1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81\
    28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74\
    3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863\
    5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d\
    84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32\
    addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a\
    d8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725
    """
}
