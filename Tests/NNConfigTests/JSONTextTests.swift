import Foundation
import NNConfig
import Testing

@Suite struct JSONTextTests {
    @Test func stringEscaping() {
        #expect(ConfigNode.jsonString("plain") == #""plain""#)
        #expect(ConfigNode.jsonString("a\"b\\c") == #""a\"b\\c""#)
        #expect(ConfigNode.jsonString("line\nnext\r\ttab") == #""line\nnext\r\ttab""#)
        #expect(ConfigNode.jsonString("\u{0}\u{1}\u{1f}") == #""\u0000\u0001\u001f""#)
        #expect(ConfigNode.jsonString("é→😀") == "\"é→😀\"")
        #expect(ConfigNode.jsonString("</script>") == #""</script>""#)
    }

    @Test(arguments: ["", "x", "a\"b", "back\\slash", "new\nline", "\u{7}bell", "tab\tand\u{1b}esc", "ünïcödé 😀", "\u{2028}"])
    func stringsRoundTripThroughFoundationJSON(_ s: String) throws {
        let text = ConfigNode.jsonString(s)
        let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        #expect(decoded as? String == s)
    }

    @Test func scalarsAreBareOnlyWhenTheyAreNumbersOrBooleans() {
        #expect(ConfigNode.int(3).jsonText() == "3")
        #expect(ConfigNode.double(0.001).jsonText() == "0.001")
        #expect(ConfigNode.double(1e-7).jsonText() == "1e-07")
        #expect(ConfigNode.double(42).jsonText() == "42.0")
        #expect(ConfigNode.bool(true).jsonText() == "true")
        #expect(ConfigNode.null.jsonText() == "null")
        #expect(ConfigNode.string("3").jsonText() == #""3""#)          // quoted stays a string
        #expect(ConfigNode(.scalar(text: "relu", quoted: false)).jsonText() == #""relu""#)
        #expect(ConfigNode(.scalar(text: "yes", quoted: false)).jsonText() == #""yes""#)
    }

    /// A plain scalar that YAML reads as a number but JSON does not (`010`, `+5`, `.5`, `1.`) must
    /// not be written bare, or model.json is not JSON.
    @Test(arguments: ["010", "+5", ".5", "1.", "-.5", "1.e3"])
    func nonJSONNumberSpellingsStillGiveValidJSON(_ text: String) {
        let json = ConfigNode.map([("x", ConfigNode(.scalar(text: text, quoted: false)))]).jsonText()
        #expect((try? JSONSerialization.jsonObject(with: Data(json.utf8))) != nil, "invalid JSON: \(json)")
    }

    @Test func layoutIsDeterministicWithTwoSpaceIndent() {
        let node = ConfigNode.map([
            ("name", .string("digits")),
            ("shape", .ints([8, 8, 1])),
            ("empty_list", .list([])),
            ("empty_map", .map([])),
            ("layers", .list([.map([("dense", .map([("units", .int(10))]))])])),
        ])
        #expect(node.jsonText() == """
            {
              "name": "digits",
              "shape": [8, 8, 1],
              "empty_list": [],
              "empty_map": {},
              "layers": [
                {
                  "dense": {
                    "units": 10
                  }
                }
              ]
            }
            """)
    }

    @Test func outputIsValidJSONWithTheSameValues() throws {
        let node = ConfigNode.map([
            ("a", .int(-3)), ("b", .double(2.5e-8)), ("c", .bool(false)), ("d", .null),
            ("e", .strings(["x", "y\"z"])), ("f", .map([("g", .list([.int(1), .map([("h", .string("\n"))])]))])),
        ])
        let object = try JSONSerialization.jsonObject(with: Data(node.jsonText().utf8)) as? [String: Any]
        let o = try #require(object)
        #expect(o["a"] as? Int == -3)
        #expect(o["b"] as? Double == 2.5e-8)
        #expect(o["c"] as? Bool == false)
        #expect(o["d"] is NSNull)
        #expect(o["e"] as? [String] == ["x", "y\"z"])
        let f = try #require(o["f"] as? [String: Any])
        let g = try #require(f["g"] as? [Any])
        #expect(g.first as? Int == 1)
        #expect((g.last as? [String: Any])?["h"] as? String == "\n")
    }

    @Test(arguments: [0.1, 1.0 / 3.0, 1e-300, 123456789.123, -0.0, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude])
    func doublesKeepEveryBit(_ d: Double) throws {
        let text = ConfigNode.double(d).jsonText()
        #expect(Double(text)?.bitPattern == d.bitPattern)
    }

    @Test func nonFiniteDoublesAreNotBareJSONNumbers() {
        // JSON has no NaN or infinity: they come out as strings, never as invalid bare tokens.
        for d in [Double.nan, .infinity, -.infinity] {
            let text = ConfigNode.double(d).jsonText()
            #expect(text.hasPrefix("\""), "\(d) -> \(text)")
        }
    }

    @Test func withoutLocationsDropsEveryPosition() {
        let located = N.map([("a", N.list([N.s("1", 2, 4)], 2, 3)), ("b", N.q("x", 3, 4))], 1, 1)
        let bare = located.withoutLocations
        #expect(bare.location == nil)
        #expect(bare["a"]?.location == nil)
        #expect(bare["a"]?.items?[0].location == nil)
        #expect(bare.entries?.allSatisfy { $0.keyLocation == nil } == true)
        #expect(bare == ConfigNode.map([("a", .list([ConfigNode(.scalar(text: "1", quoted: false))])), ("b", .string("x"))]))
    }

    @Test func settingReplacesOrAppends() {
        let node = ConfigNode.map([("a", .int(1)), ("b", .int(2))])
        #expect(node.setting("a", to: .int(9)) == .map([("a", .int(9)), ("b", .int(2))]))
        #expect(node.setting("c", to: .int(3)) == .map([("a", .int(1)), ("b", .int(2)), ("c", .int(3))]))
    }
}
