// The help text as users read it (snapshots under Snapshots/, regenerated deliberately with
// `HESSIAN_UPDATE_SNAPSHOTS=1 swift test --filter HelpSnapshot`), and the report on the
// built-in default: every file written, SVGs well-formed XML holding their series, and
// report.html referencing every plot.

import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

@Suite("hessian help snapshots")
struct HelpSnapshotTests {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Snapshots")

  @Test(arguments: [
    [], ["eigen"], ["trace"], ["diag"], ["density"], ["landscape"], ["dense"], ["hvp"],
    ["input-hessian"], ["report"],
  ])
  func helpMatchesTheSnapshot(_ subcommand: [String]) throws {
    let run = try CLI.run(subcommand + ["--help"])
    #expect(run.status == 0)
    let name = (["hessian"] + subcommand).joined(separator: "-") + ".txt"
    let file = Self.snapshots.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["HESSIAN_UPDATE_SNAPSHOTS"] == "1" {
      try run.stdout.write(to: file, atomically: true, encoding: .utf8)
    }
    let expected = try String(contentsOf: file, encoding: .utf8)
    #expect(run.stdout == expected, "help for \(name) changed; see the diff above")
  }

  @Test func versionIsPrinted() throws {
    let run = try CLI.run(["--version"])
    #expect(
      run.status == 0 && run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
  }
}

/// Collects element names and the numbers in `points`/`d` attributes of an SVG.
final class SVGProbe: NSObject, XMLParserDelegate {
  var elements: [String] = []
  var texts: [String] = []
  var current = ""

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
    qualifiedName: String?, attributes: [String: String] = [:]
  ) {
    elements.append(name)
    current = ""
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }

  func parser(
    _ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?
  ) {
    let text = current.trimmingCharacters(in: .whitespacesAndNewlines)
    if !text.isEmpty { texts.append(text) }
    current = ""
  }

  /// Parses `data`; nil if it is not well-formed XML.
  static func parse(_ data: Data) -> SVGProbe? {
    let probe = SVGProbe()
    let parser = XMLParser(data: data)
    parser.delegate = probe
    return parser.parse() ? probe : nil
  }
}

@Suite("hessian report on the built-in default", .serialized)
struct ReportTests {
  @Test func reportWritesJSONPlotsAndAPageThatReferencesThem() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let out = scratch.path("report")
    let run = try CLI.run([
      "report", "--out", out, "--train-steps", "60", "--top", "2", "--max-probes", "40",
      "--steps", "20", "--grid", "7", "--grid-2d", "5", "--samples", "90",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("report.html"))
    let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
    #expect(
      files == [
        "density.svg", "landscape-1d.svg", "landscape-2d.svg", "layers.svg", "report.html",
        "report.json",
      ])
    let json = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any])
    let eigen = json.object("eigen")
    #expect(eigen.numbers("eigenvalues").count == 2)
    #expect(json.object("trace").number("trace") != nil)
    #expect(json.object("density").numbers("density").count > 0)
    let layers = json.objects("layers")
    #expect(layers.map { $0["name"] as? String } == ["0", "2", "4"])
    #expect(layers.allSatisfy { $0.numbers("eigenvalues").count == 1 && $0.number("trace") != nil })
    #expect(json.object("landscape_1d").objects("curves").count == 3)
    #expect((json.object("landscape_2d")["losses"] as? [[Double]])?.count == 5)
    #expect(json.object("model")["samples"] as? Int == 90)
    // Small models get the dense Hessian: the estimates against exact values.
    let exact = json.object("exact")
    #expect(exact["hvp_count"] as? Int == json.object("model")["parameter_count"] as? Int)
    #expect(
      close(eigen.numbers("eigenvalues"), exact.numbers("eigenvalues"), rtol: 1e-3, atol: 1e-6))
    // The SLQ trace has an error bar by default (4 probes), and it covers the exact trace.
    let density = json.object("density")
    #expect(density["probe_count"] as? Int == 4)
    let slq = try #require(density.number("trace_estimate"))
    let slqError = try #require(density.number("trace_standard_error"))
    let exactTrace = try #require(exact.number("trace"))
    #expect(slqError > 0 && abs(slq - exactTrace) <= 4 * slqError, "\(slq) ± \(slqError)")

    let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
    #expect(html.contains("trace from the density (SLQ, 4 probes)"))
    #expect(html.contains("its standard error (across the probes)"))
    #expect(!html.contains("no error bar"))
    for plot in ["density.svg", "layers.svg", "landscape-1d.svg", "landscape-2d.svg"] {
      #expect(html.contains("\"\(plot)\""), "report.html does not reference \(plot)")
      let data = try Data(contentsOf: URL(fileURLWithPath: out + "/" + plot))
      let svg = try #require(SVGProbe.parse(data), "\(plot) is not well-formed XML")
      #expect(svg.elements.first == "svg")
      #expect(svg.elements.contains("path") || svg.elements.contains("rect"))
    }
    // The 1-D chart names its three series; the layer chart its layers.
    let curves = try #require(
      SVGProbe.parse(Data(contentsOf: URL(fileURLWithPath: out + "/landscape-1d.svg"))))
    #expect(curves.texts.contains { $0.hasPrefix("eigenvector 1") })
    #expect(curves.texts.contains("gradient"))
    #expect(curves.texts.contains { $0.hasPrefix("filter-normalized random (‖d‖ = ") })
    let bars = try #require(
      SVGProbe.parse(Data(contentsOf: URL(fileURLWithPath: out + "/layers.svg"))))
    #expect(["0", "2", "4"].allSatisfy { bars.texts.contains($0) })
  }

  @Test func aFailedReportLeavesNoDirectory() throws {
    let scratch = try Scratch()
    defer { scratch.remove() }
    let run = try CLI.run([
      "report", "--out", scratch.path("report"), "--train-steps", "5", "--top", "2000",
      "--quiet",
    ])
    #expect(run.status != 0)
    #expect(run.stderr.contains("--top 2000"))
    #expect(try scratch.contents().isEmpty)
  }
}
