// The description of a self-contained HTML report: title, sections of paragraphs, tables and
// figures. `hessian report` builds one and writes `report.html` beside its SVG files.

/// A self-contained HTML page: inline CSS, no scripts, no network resources.
///
/// All text is escaped. Figures either reference an SVG file by relative path (`<img src>`,
/// what `hessian report` does for every plot it writes) or carry the SVG inline (the page then
/// stands alone), or both (inline, with a link to the file).
///
/// ```swift
/// var report = HTMLReport(title: "Hessian report: resnet20")
/// report.sections.append(.init("Summary", [
///   .paragraph("Top eigenvalues by Lanczos, trace by Hutchinson."),
///   .keyValues([.init("Top eigenvalue", .number(147.69)), .init("Parameters", .integer(272474))]),
///   .figure(.image(path: "density.svg", caption: "Eigenvalue spectral density")),
/// ]))
/// try report.write(to: URL(fileURLWithPath: "out/report.html"))
/// ```
public struct HTMLReport: Sendable, Equatable {
  /// A value in a table, formatted for reading.
  public enum Value: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral
  {
    /// Text, shown as is (escaped).
    case text(String)
    /// A number, with 6 significant digits (`147.694`, `1.23457e-5`).
    case number(Double)
    /// An integer with thousands separators (`272,474`).
    case integer(Int)
    /// Numbers separated by commas (`147.694, 125.35`).
    case numbers([Double])
    /// `yes` or `no`.
    case flag(Bool)

    /// A text value from a literal: `"lanczos"`.
    public init(stringLiteral value: String) { self = .text(value) }
    /// An integer value from a literal: `42`.
    public init(integerLiteral value: Int) { self = .integer(value) }
    /// A number value from a literal: `0.25`.
    public init(floatLiteral value: Double) { self = .number(value) }

    /// The value as displayed.
    ///
    /// ```swift
    /// HTMLReport.Value.numbers([147.6936, 125.35]).formatted  // "147.694, 125.35"
    /// ```
    public var formatted: String {
      switch self {
      case .text(let text): text
      case .number(let number): NumberFormat.compact(number, significantDigits: 6)
      case .integer(let integer): NumberFormat.grouped(integer)
      case .numbers(let numbers):
        numbers.map { NumberFormat.compact($0, significantDigits: 6) }.joined(separator: ", ")
      case .flag(let flag): flag ? "yes" : "no"
      }
    }

    /// Whether the value is numeric (right-aligned in tables).
    var isNumeric: Bool {
      switch self {
      case .text, .flag: false
      case .number, .integer, .numbers: true
      }
    }
  }

  /// A row of a key/value table.
  public struct KeyValue: Sendable, Equatable {
    /// The name in the left column.
    public var key: String
    /// The value in the right column.
    public var value: Value

    /// A key and its value.
    ///
    /// ```swift
    /// HTMLReport.KeyValue("Trace", .number(2967.29))
    /// ```
    public init(_ key: String, _ value: Value) {
      self.key = key
      self.value = value
    }
  }

  /// A table with a header row.
  public struct Table: Sendable, Equatable {
    /// The column names.
    public var header: [String]
    /// The rows, each with one value per column.
    public var rows: [[Value]]

    /// A table.
    ///
    /// ```swift
    /// HTMLReport.Table(header: ["Layer", "Top eigenvalue"], rows: [["fc", .number(3.2)]])
    /// ```
    ///
    /// - Precondition: every row has one value per column.
    public init(header: [String], rows: [[Value]]) {
      precondition(
        rows.allSatisfy { $0.count == header.count }, "every row needs \(header.count) values")
      self.header = header
      self.rows = rows
    }
  }

  /// A figure: an SVG referenced by path, inlined, or both, with a caption.
  public struct Figure: Sendable, Equatable {
    /// The caption below the figure, also the image's alternative text.
    public var caption: String
    /// A path relative to the report (`density.svg`), for `<img src>` or a link.
    public var path: String?
    /// An SVG document to place inline.
    public var inlineSVG: String?

    /// A figure that references an SVG file by relative path (`<img src>`).
    ///
    /// ```swift
    /// HTMLReport.Figure.image(path: "landscape-1d.svg", caption: "Loss along three directions")
    /// ```
    public static func image(path: String, caption: String) -> Figure {
      Figure(caption: caption, path: path, inlineSVG: nil)
    }

    /// A figure with the SVG inline, and a link to `linkedPath` when given.
    ///
    /// ```swift
    /// HTMLReport.Figure.inline(chart.svg(), caption: "Spectral density", linkedPath: "density.svg")
    /// ```
    public static func inline(_ svg: String, caption: String, linkedPath: String? = nil) -> Figure {
      Figure(caption: caption, path: linkedPath, inlineSVG: svg)
    }
  }

  /// A piece of a section.
  public enum Block: Sendable, Equatable {
    /// A paragraph of text.
    case paragraph(String)
    /// Preformatted text, such as the command that produced the report.
    case code(String)
    /// A two-column table of names and values.
    case keyValues([KeyValue])
    /// A table with a header.
    case table(Table)
    /// A figure.
    case figure(Figure)
  }

  /// A section: a heading and its blocks.
  public struct Section: Sendable, Equatable {
    /// The heading (`<h2>`).
    public var heading: String
    /// The content, in order.
    public var blocks: [Block]

    /// A section.
    ///
    /// ```swift
    /// HTMLReport.Section("Spectrum", [.paragraph("The density of eigenvalues.")])
    /// ```
    public init(_ heading: String, _ blocks: [Block]) {
      self.heading = heading
      self.blocks = blocks
    }
  }

  /// The page title (`<title>` and `<h1>`).
  public var title: String
  /// A line under the title, such as the model and the date; empty for none.
  public var subtitle: String
  /// The sections, in order.
  public var sections: [Section]

  /// A report.
  ///
  /// ```swift
  /// let report = HTMLReport(title: "Hessian report", subtitle: "mlp 64,32,10 · seed 1")
  /// ```
  public init(title: String, subtitle: String = "", sections: [Section] = []) {
    self.title = title
    self.subtitle = subtitle
    self.sections = sections
  }

  /// The relative paths of all figures' files, in order.
  ///
  /// ```swift
  /// report.figurePaths  // ["density.svg", "layers.svg", ...]
  /// ```
  public var figurePaths: [String] {
    sections.flatMap(\.blocks).compactMap { block in
      if case .figure(let figure) = block { figure.path } else { nil }
    }
  }
}
