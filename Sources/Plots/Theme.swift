// The look shared by all charts (font sizes, greys) and an estimate of text widths, which
// lets a chart size its margins to its tick labels and category names without a font engine.

/// Sizes and colours of the chart furniture. One place, so all charts look alike.
enum Theme {
  static let titleSize = 16.0
  static let labelSize = 13.0
  static let tickSize = 11.5
  static let legendSize = 12.0
  static let smallSize = 10.5

  /// Titles and labels.
  static let text = "#1f2328"
  /// Tick labels and secondary text.
  static let mutedText = "#555555"
  static let axis = "#666666"
  static let grid = "#e5e5e5"
  static let zeroLine = "#333333"
  /// Cells and bars whose value is missing (NaN).
  static let missing = "#d0d0d0"

  static let tickLength = 5.0
  static let lineWidth = 2.0
  static let outerPadding = 12.0
}

/// Estimated widths of text in a proportional sans-serif font.
///
/// The factors are advance widths in ems of the wider common sans-serif fonts (DejaVu Sans,
/// Verdana-like, wider than Helvetica): the estimate errs wide so that margins fit the text.
enum TextMetrics {
  static func width(_ text: String, size: Double) -> Double {
    var ems = 0.0
    for scalar in text.unicodeScalars {
      switch scalar {
      case "i", "j", "l", ".", ",", ":", ";", "'", "|", "!", "I", "(", ")", "[", "]", " ":
        ems += 0.30
      case "f", "t", "r", "-", "/":
        ems += 0.40
      case "0"..."9", "a"..."z", "_", "+", "=", "<", ">", "?", "$", "*":
        ems += 0.61
      case "m", "w", "M", "W", "@", "%":
        ems += 0.92
      case "A"..."Z", "&", "#":
        ems += 0.72
      default:
        ems += 0.65
      }
    }
    return ems * size
  }

  /// `text`, shortened at the start with "…" to fit `maxWidth`, cut at a `.` where possible:
  /// the end of a layer path tells layers apart (`…stage3.unit2.body.conv1.conv`).
  static func truncated(_ text: String, maxWidth: Double, size: Double) -> String {
    guard width(text, size: size) > maxWidth else { return text }
    let characters = Array(text)
    var best: String?
    for start in 1..<characters.count {
      let candidate = "…" + String(characters[start...])
      guard width(candidate, size: size) <= maxWidth else { continue }
      best = best ?? candidate
      if characters[start - 1] == "." || characters[start - 1] == "/" { return candidate }
      // Prefer a cut at a separator unless that loses more than a third of what fits.
      if let first = best, candidate.count < first.count * 2 / 3 { return first }
    }
    return best ?? "…"
  }
}
