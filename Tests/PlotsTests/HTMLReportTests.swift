import Foundation
import Testing

@testable import Plots

@Suite("HTML report")
struct HTMLReportTests {
  static let chart = LineChart(
    title: "Loss", series: [.init(name: "loss", x: [0, 1, 2], y: [1, 0.5, 0.8])])

  static func report() -> HTMLReport {
    HTMLReport(
      title: "Hessian report <resnet20> & co",
      subtitle: "seed 1 · \"quoted\"",
      sections: [
        .init(
          "Summary",
          [
            .paragraph("Top eigenvalues by Lanczos; a < b & c > d."),
            .code("hessian report --out 'out dir'"),
            .keyValues([
              .init("Top eigenvalue", .number(147.6936)), .init("Parameters", .integer(272474)),
              .init("Eigenvalues", .numbers([147.6936, 125.35])), .init("Converged", .flag(true)),
              .init("Method", "lanczos"), .init("Probes", 100), .init("Error", 0.0123),
            ]),
          ]),
        .init(
          "Spectrum",
          [
            .figure(.image(path: "density.svg", caption: "Eigenvalue spectral density")),
            .figure(.inline(chart.svg(), caption: "Inline loss", linkedPath: "landscape 1d.svg")),
          ]),
        .init(
          "Layers",
          [
            .table(
              .init(
                header: ["Layer", "Parameters", "Top eigenvalue", "Trace"],
                rows: [
                  ["conv1 <in>", 432, 12.5, .number(-3.25e-7)], ["fc", 650, .number(.nan), 2],
                ])),
            .figure(.image(path: "layers.svg", caption: "Per-layer curvature")),
          ]),
      ])
  }

  @Test("the page is well formed and self-contained")
  func wellFormed() throws {
    let html = Self.report().html()
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    let root = try parseXML(html)
    #expect(root.name == "html")
    #expect(root.all("style").count == 1)
    #expect(root.all("script").isEmpty)
    #expect(root.all("link").isEmpty)
    #expect(!html.contains("http://") || html.contains("xmlns=\"http://www.w3.org/2000/svg\""))
    #expect(!html.contains("https://"))
    #expect(root.all("h2").map(\.text) == ["Summary", "Spectrum", "Layers"])
    #expect(root.all("nav").count == 1, "a table of contents for more than two sections")
  }

  @Test("all text is escaped")
  func escaping() throws {
    let html = Self.report().html()
    #expect(!html.contains("<resnet20>"))
    #expect(html.contains("Hessian report &lt;resnet20&gt; &amp; co"))
    #expect(!html.contains("conv1 <in>"))
    let root = try parseXML(html)
    #expect(root.all("h1").first?.text == "Hessian report <resnet20> & co")
    #expect(root.all("p").contains { $0.text == "Top eigenvalues by Lanczos; a < b & c > d." })
    #expect(root.all("code").first?.text == "hessian report --out 'out dir'")
  }

  @Test("every figure's file is referenced; inline figures carry their SVG and a link")
  func figures() throws {
    let report = Self.report()
    #expect(report.figurePaths == ["density.svg", "landscape 1d.svg", "layers.svg"])
    let root = try parseXML(report.html())
    let images = root.all("img").compactMap { $0.attributes["src"] }
    #expect(images == ["density.svg", "layers.svg"])
    #expect(
      root.all("img").map { $0.attributes["alt"] } == [
        "Eigenvalue spectral density", "Per-layer curvature",
      ])
    let links = root.all("a").compactMap { $0.attributes["href"] }
    #expect(links.contains("landscape%201d.svg"))
    let inline = root.all("svg")
    #expect(inline.count == 1)
    #expect(inline[0].all("polyline").count == 1)
    #expect(root.all("figcaption").map(\.allText).contains { $0.hasPrefix("Inline loss") })
  }

  @Test("numbers are formatted for reading and right-aligned")
  func numbers() throws {
    let root = try parseXML(Self.report().html())
    let cells = root.all("td").map(\.text)
    for expected in [
      "147.694", "272,474", "147.694, 125.35", "yes", "lanczos", "100", "0.0123", "432", "-3.25e-7",
      "NaN",
    ] {
      #expect(cells.contains(expected), "\(expected)")
    }
    let numeric = root.all("td").filter { $0.attributes["class"] == "num" }.map(\.text)
    #expect(numeric.contains("272,474") && !numeric.contains("lanczos"))
    #expect(
      root.all("th").filter { $0.attributes["class"] == "num" }.map(\.text) == [
        "Parameters", "Top eigenvalue", "Trace",
      ])
  }

  @Test("an XML declaration on an inline SVG is dropped")
  func inlineDeclaration() throws {
    let svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + Self.chart.svg()
    let report = HTMLReport(
      title: "t", sections: [.init("s", [.figure(.inline(svg, caption: "c"))])])
    let html = report.html()
    #expect(!html.contains("<?xml"))
    _ = try parseXML(html)
  }

  @Test("rendering is deterministic; write(to:) is atomic")
  func writing() throws {
    #expect(Self.report().html() == Self.report().html())
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "plots-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("report.html")
    try Self.report().write(to: url)
    #expect(try String(contentsOf: url, encoding: .utf8) == Self.report().html())
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["report.html"])
    #expect(throws: (any Error).self) {
      try Self.report().write(to: directory.appendingPathComponent("no/report.html"))
    }
  }
}
