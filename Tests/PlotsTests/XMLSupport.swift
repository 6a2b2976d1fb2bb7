// Parses charts and reports as XML (Foundation's XMLParser; FoundationXML on Linux) into a
// small tree that tests can query: elements by name, attributes, text.

import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// An element of a parsed document.
final class Node {
  let name: String
  let attributes: [String: String]
  var children: [Node] = []
  var text = ""

  init(name: String, attributes: [String: String]) {
    self.name = name
    self.attributes = attributes
  }

  /// This element and all elements below it, in document order.
  var descendants: [Node] { [self] + children.flatMap(\.descendants) }

  /// All elements named `name` at or below this one.
  func all(_ name: String) -> [Node] { descendants.filter { $0.name == name } }

  /// The text of this element and its descendants.
  var allText: String { text + children.map(\.allText).joined() }

  func number(_ attribute: String) -> Double? { attributes[attribute].flatMap(Double.init) }
}

struct XMLParseError: Error, CustomStringConvertible {
  var description: String
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
  var stack: [Node] = []
  var root: Node?

  func parser(
    _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
    qualifiedName: String?, attributes: [String: String]
  ) {
    let node = Node(name: elementName, attributes: attributes)
    stack.last?.children.append(node)
    if root == nil { root = node }
    stack.append(node)
  }

  func parser(
    _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
    qualifiedName: String?
  ) {
    stack.removeLast()
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    stack.last?.text += string
  }
}

/// Parses `text` as XML, failing with the parser's line and message if it is not well formed.
func parseXML(_ text: String) throws -> Node {
  let parser = XMLParser(data: Data(text.utf8))
  let builder = TreeBuilder()
  parser.delegate = builder
  guard parser.parse(), let root = builder.root else {
    throw XMLParseError(
      description:
        "line \(parser.lineNumber): \(parser.parserError.map { "\($0)" } ?? "no root element")")
  }
  return root
}

/// Parses an SVG document and checks what every chart must satisfy: an `svg` root in the SVG
/// namespace with width, height and viewBox, and no `nan` or `inf` in any attribute.
func parseSVG(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Node {
  let root = try parseXML(svg)
  #expect(root.name == "svg", sourceLocation: sourceLocation)
  #expect(root.attributes["xmlns"] == "http://www.w3.org/2000/svg", sourceLocation: sourceLocation)
  #expect(root.attributes["version"] == "1.1", sourceLocation: sourceLocation)
  for attribute in ["width", "height"] {
    #expect((root.number(attribute) ?? 0) > 0, "\(attribute)", sourceLocation: sourceLocation)
  }
  let viewBox = root.attributes["viewBox"]?.split(separator: " ").compactMap { Double($0) } ?? []
  #expect(
    viewBox == [0, 0, root.number("width") ?? -1, root.number("height") ?? -1],
    sourceLocation: sourceLocation)
  for node in root.descendants {
    for (name, value) in node.attributes {
      let lowered = value.lowercased()
      #expect(
        !lowered.contains("nan") && !lowered.contains("inf"), "\(node.name) \(name)=\"\(value)\"",
        sourceLocation: sourceLocation)
    }
  }
  return root
}

/// The points of a polyline or polygon.
func points(_ node: Node) -> [(x: Double, y: Double)] {
  (node.attributes["points"] ?? "").split(separator: " ").map { pair in
    let parts = pair.split(separator: ",").map { Double($0)! }
    return (parts[0], parts[1])
  }
}

/// The texts of all `text` elements.
func texts(_ root: Node) -> [String] { root.all("text").map(\.allText) }

/// A small deterministic generator for property tests (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
