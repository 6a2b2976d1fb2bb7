// The low-level SVG builder: elements with ordered attributes, escaped text and compact,
// always-finite numbers. Every chart renders through it, so every chart's output is valid
// SVG 1.1 that is the same bytes for the same input.

/// Escaping of text for XML and HTML.
///
/// ```swift
/// Markup.escape("a < b & \"c\"")  // "a &lt; b &amp; &quot;c&quot;"
/// ```
public enum Markup {
  /// Returns `text` safe to place in XML or HTML content and in double- or single-quoted
  /// attribute values: `&`, `<`, `>`, `"` and `'` become entities, and the control characters
  /// that XML 1.0 forbids (all below U+0020 except tab, newline and carriage return, and
  /// U+FFFE, U+FFFF) are dropped.
  ///
  /// ```swift
  /// Markup.escape("layer<1>")  // "layer&lt;1&gt;"
  /// ```
  public static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
      default:
        if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}

/// A number as an SVG attribute value: rounded to 2 decimals, trailing zeros dropped, never
/// `-0`, and `0` for a non-finite input (so no `nan` or `inf` reaches an attribute).
func svgNumber(_ value: Double) -> String {
  guard value.isFinite else { return "0" }
  let hundredths = Int((min(max(value, -1e12), 1e12) * 100).rounded())
  let magnitude = hundredths.magnitude
  var text = hundredths < 0 ? "-" : ""
  text += String(magnitude / 100)
  let fraction = magnitude % 100
  if fraction != 0 {
    text +=
      fraction % 10 == 0 ? ".\(fraction / 10)" : (fraction < 10 ? ".0\(fraction)" : ".\(fraction)")
  }
  return text
}

/// A point in SVG user units (pixels).
struct SVGPoint: Equatable {
  var x: Double
  var y: Double
}

/// Builds one SVG document. Attributes keep the order given, so output is deterministic.
struct SVGWriter {
  /// The font stack of all text: system UI fonts first, then the common Linux and Windows ones.
  static let fontFamily =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif"

  let width: Double
  let height: Double
  private var body = ""
  private var openElements: [String] = []

  init(width: Double, height: Double, title: String) {
    self.width = width
    self.height = height
    element("title", [], text: title)
    rect(x: 0, y: 0, width: width, height: height, fill: "#ffffff")
  }

  /// The finished document: the root element with namespace, size and viewBox.
  func document() -> String {
    precondition(openElements.isEmpty, "unclosed SVG elements: \(openElements)")
    let w = svgNumber(width)
    let h = svgNumber(height)
    return
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(w)\" height=\"\(h)\" "
      + "viewBox=\"0 0 \(w) \(h)\" font-family=\"\(Markup.escape(Self.fontFamily))\">\n"
      + body + "</svg>\n"
  }

  private static func attributes(_ attributes: [(String, String)]) -> String {
    var text = ""
    for (name, value) in attributes { text += " \(name)=\"\(Markup.escape(value))\"" }
    return text
  }

  /// Appends `<name attributes>text</name>`, or `<name attributes/>` without text.
  mutating func element(_ name: String, _ attributes: [(String, String)], text: String? = nil) {
    body +=
      String(repeating: " ", count: openElements.count) + "<\(name)\(Self.attributes(attributes))"
    if let text { body += ">\(Markup.escape(text))</\(name)>\n" } else { body += "/>\n" }
  }

  /// Opens a group; every `open` needs a matching `close`.
  mutating func open(_ name: String = "g", _ attributes: [(String, String)] = []) {
    body +=
      String(repeating: " ", count: openElements.count)
      + "<\(name)\(Self.attributes(attributes))>\n"
    openElements.append(name)
  }

  mutating func close() {
    let name = openElements.removeLast()
    body += String(repeating: " ", count: openElements.count) + "</\(name)>\n"
  }

  mutating func rect(
    x: Double, y: Double, width: Double, height: Double, fill: String,
    extra: [(String, String)] = []
  ) {
    element(
      "rect",
      [
        ("x", svgNumber(x)), ("y", svgNumber(y)), ("width", svgNumber(max(width, 0))),
        ("height", svgNumber(max(height, 0))), ("fill", fill),
      ] + extra)
  }

  mutating func line(
    _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String,
    width: Double = 1, extra: [(String, String)] = []
  ) {
    element(
      "line",
      [
        ("x1", svgNumber(x1)), ("y1", svgNumber(y1)), ("x2", svgNumber(x2)), ("y2", svgNumber(y2)),
        ("stroke", stroke), ("stroke-width", svgNumber(width)),
      ] + extra)
  }

  /// Text; `anchor` is `start`, `middle` or `end`; `rotate` turns it about its anchor point.
  mutating func text(
    _ content: String, x: Double, y: Double, size: Double, anchor: String = "start",
    fill: String = Theme.text, weight: String? = nil, rotate: Double? = nil,
    baseline: TextBaseline = .alphabetic
  ) {
    // `dy` rather than `dominant-baseline`, which not every renderer honours.
    var attributes = [("x", svgNumber(x)), ("y", svgNumber(y))]
    if baseline != .alphabetic { attributes.append(("dy", baseline.dy)) }
    attributes += [("font-size", svgNumber(size)), ("fill", fill)]
    if anchor != "start" { attributes.append(("text-anchor", anchor)) }
    if let weight { attributes.append(("font-weight", weight)) }
    if let rotate {
      attributes.append(
        ("transform", "rotate(\(svgNumber(rotate)) \(svgNumber(x)) \(svgNumber(y)))"))
    }
    element("text", attributes, text: content)
  }

  /// A polyline through `points` (at least one).
  mutating func polyline(
    _ points: [SVGPoint], stroke: String, width: Double, extra: [(String, String)] = []
  ) {
    element(
      "polyline",
      [
        ("points", Self.pointList(points)), ("fill", "none"), ("stroke", stroke),
        ("stroke-width", svgNumber(width)), ("stroke-linejoin", "round"),
        ("stroke-linecap", "round"),
      ]
        + extra)
  }

  static func pointList(_ points: [SVGPoint]) -> String {
    points.map { "\(svgNumber($0.x)),\(svgNumber($0.y))" }.joined(separator: " ")
  }
}

/// Where a text's `y` sits relative to its glyphs.
enum TextBaseline {
  case alphabetic
  /// `y` is the vertical centre of digits and lowercase letters.
  case middle
  /// `y` is the top of capitals.
  case hanging

  var dy: String {
    switch self {
    case .alphabetic: "0"
    case .middle: "0.35em"
    case .hanging: "0.75em"
    }
  }
}
