// JSONDocument's text against hand-written JSON and Foundation's parser, and its atomic write.

import Foundation
import TensorIO
import Testing

@Suite("JSONDocument")
struct JSONDocumentTests {
  @Test func prettyTextKeepsMemberOrderAndPutsScalarArraysOnOneLine() {
    let document: JSONDocument = [
      "z": 1, "a": .numbers([122.03225, 1e-05, 3]), "nested": ["ok": true, "none": .null],
      "list": [["x": 1.5]], "empty": [],
    ]
    #expect(
      document.text() == """
        {
          "z": 1,
          "a": [122.03225, 1e-05, 3.0],
          "nested": {
            "ok": true,
            "none": null
          },
          "list": [
            {
              "x": 1.5
            }
          ],
          "empty": []
        }
        """)
    #expect(
      document.text(indent: nil)
        == #"{"z":1,"a":[122.03225,1e-05,3.0],"nested":{"ok":true,"none":null},"list":[{"x":1.5}],"empty":[]}"#
    )
  }

  @Test func nonFiniteNumbersBecomeNullAndStringsAreEscaped() throws {
    let document: JSONDocument = [
      "values": .numbers([.nan, .infinity, -1]), "text": "a \"quote\"\n\\ tab\t",
    ]
    let parsed = try #require(
      try JSONSerialization.jsonObject(with: Data(document.text().utf8)) as? [String: Any])
    let values = try #require(parsed["values"] as? [Any])
    #expect(values[0] is NSNull && values[1] is NSNull && (values[2] as? Double) == -1)
    #expect(parsed["text"] as? String == "a \"quote\"\n\\ tab\t")
  }

  @Test func addingAndSubscriptKeepOrderAndReplaceInPlace() {
    let document = (["a": 1, "b": 2] as JSONDocument).adding("a", 3).adding("c", 4)
    #expect(document.text(indent: nil) == #"{"a":3,"b":2,"c":4}"#)
    #expect(document["b"] == .integer(2) && document["missing"] == nil)
  }

  @Test func writeIsAtomicAndLeavesNoTemporaryFiles() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "json-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("out.json")
    try (["n": 1] as JSONDocument).write(to: url)
    #expect(try String(contentsOf: url, encoding: .utf8) == "{\n  \"n\": 1\n}\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.json"])
    #expect(throws: TensorIOError.self) {
      try (["n": 1] as JSONDocument).write(to: directory.appendingPathComponent("no/such/dir.json"))
    }
  }
}
