import Foundation
import NNConfig
import Testing
@testable import NNModel

/// The one-line error text `YAMLLoader.parse` throws for `yaml`, or nil when it parses.
private func parseError(_ yaml: String, file: String = "config.yaml") -> String? {
    do {
        _ = try YAMLLoader.parse(yaml, file: file)
        return nil
    } catch let errors as ConfigErrors {
        return errors.description
    } catch {
        return "unexpected error type: \(error)"
    }
}

/// The error text `YAMLLoader.load` throws for `path`, or nil when it loads.
private func loadError(_ path: String) -> String? {
    do {
        _ = try YAMLLoader.load(path: path)
        return nil
    } catch let errors as ConfigErrors {
        return errors.description
    } catch {
        return "unexpected error type: \(error)"
    }
}

/// A fresh temporary directory for file tests.
private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("nnrun-yaml-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct YAMLLoaderParsingTests {
    @Test func scalarsKeepTextQuotingAndLocations() throws {
        let yaml = """
            training:
              epochs: 010
              lr: 1e-3
              name: "1e-3"
              note: |
                two
                lines
              a: ~
              b: null
              c:
              d: 'x'
            """
        let root = try YAMLLoader.parse(yaml, file: "config.yaml")
        let training = try #require(root["training"])
        #expect(training["epochs"]?.kind == .scalar(text: "010", quoted: false))
        #expect(training["lr"]?.kind == .scalar(text: "1e-3", quoted: false))
        #expect(training["name"]?.kind == .scalar(text: "1e-3", quoted: true))
        #expect(training["note"]?.kind == .scalar(text: "two\nlines\n", quoted: true))
        #expect(training["a"]?.kind == .null)
        #expect(training["b"]?.kind == .null)
        #expect(training["c"]?.kind == .null)
        #expect(training["d"]?.kind == .scalar(text: "x", quoted: true))
        let epochs = try #require(training.entries?.first)
        #expect(epochs.keyLocation == SourceLocation(file: "config.yaml", line: 2, column: 3))
        #expect(epochs.value.location == SourceLocation(file: "config.yaml", line: 2, column: 11))
        #expect(root.location == SourceLocation(file: "config.yaml", line: 1, column: 1))
    }

    @Test func sequencesAndFlowCollections() throws {
        let root = try YAMLLoader.parse("layers:\n  - dense: {units: 64}\n  - relu\nshape: [28, 28]\n", file: "m.yaml")
        let layers = try #require(root["layers"]?.items)
        #expect(layers.count == 2)
        #expect(layers[0]["dense"]?["units"]?.scalarText == "64")
        #expect(layers[1].location == SourceLocation(file: "m.yaml", line: 3, column: 5))
        #expect(root["shape"]?.items?.map(\.scalarText) == ["28", "28"])
    }

    @Test func jsonWrittenByNnrunReadsBackEqual() throws {
        let tree = ConfigNode.map([
            ("model", .map([
                ("layers", .list([.map([("dense", .map([("units", .int(64)), ("use_bias", .bool(true))]))]),
                                  .map([("dropout", .map([("rate", .double(0.5))]))])])),
                ("input_shape", .ints([28, 28])),
            ])),
            ("optimizer", .map([("adam", .map([("learning_rate", .double(0.001)), ("epsilon", .double(1e-07))]))])),
            ("names", .strings(["a b", "quote \" and \\ and\nnewline", "true", "12", ""])),
            ("empty_list", .list([])),
            ("empty_map", .map([])),
            ("nothing", .null),
            ("key with: colon", .string("*not an alias* &neither")),
        ])
        let text = tree.jsonText()
        let parsed = try YAMLLoader.parse(text, file: "model.json")
        #expect(parsed.withoutLocations == tree.withoutLocations)

        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("model.json")
        try text.write(to: file, atomically: true, encoding: .utf8)
        #expect(try YAMLLoader.load(path: file.path).withoutLocations == tree.withoutLocations)
    }

    @Test func leadingByteOrderMarkIsIgnored() throws {
        let root = try YAMLLoader.parse("\u{FEFF}a: 1\n", file: "config.yaml")
        #expect(root["a"]?.scalarText == "1")
        #expect(root.entries?.first?.keyLocation == SourceLocation(file: "config.yaml", line: 1, column: 1))
    }

    @Test func anchorLikeTextOutsideNodeStartsIsFine() throws {
        let yaml = "a: x * y & z\nb: |\n  * bullet\n  &amp\nc: 'it''s *'\nd: \"q\\\"*x\"\ne: 2 # *comment\n"
        let root = try YAMLLoader.parse(yaml, file: "config.yaml")
        #expect(root["a"]?.scalarText == "x * y & z")
        #expect(root["b"]?.scalarText == "* bullet\n&amp\n")
        #expect(root["c"]?.scalarText == "it's *")
        #expect(root["e"]?.scalarText == "2")
    }

    @Test func sixtyFourLevelsAreAllowed() throws {
        let yaml = "a: " + String(repeating: "[", count: 63) + String(repeating: "]", count: 63)
        #expect(parseError(yaml) == nil)
    }
}

@Suite struct YAMLLoaderRejectionTests {
    @Test func tabIndentation() {
        #expect(parseError("a: 1\nb:\n\tc: 2\n") == "config.yaml:3:1: YAML syntax error: found character that cannot start any token while scanning for the next token; tabs are not allowed for indentation, use spaces")
    }

    @Test func unclosedBracket() {
        #expect(parseError("a: [1, 2\nb: 3\n") == "config.yaml:2:2: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence (started at line 1, column 4)")
    }

    @Test func badIndentation() {
        #expect(parseError("a:\n  b: 1\n c: 2\n") == "config.yaml:3:2: YAML syntax error: did not find expected key while parsing a block mapping (started at line 1, column 1)")
    }

    @Test func syntaxErrorOnAHugeLineStaysShortAndOnOneLine() throws {
        let message = try #require(parseError("a: [" + String(repeating: "x, ", count: 30_000) + "\n"))
        #expect(message == "config.yaml:2:1: YAML syntax error: did not find expected node content while parsing a flow node")
        #expect(message.count <= 200 && !message.contains("\n"))
    }

    @Test func duplicateKeysNameBothLines() {
        let yaml = "training:\n  batch_size: 3\n  epochs: 5\n  lr: 1\n  epochs: 6\n"
        #expect(parseError(yaml) == "config.yaml:5:3: training.epochs: duplicate key \"epochs\" (first defined at line 3)")
    }

    @Test func everyDuplicateKeyIsReported() {
        let yaml = "a: 1\na: 2\n'a': 3\nb: {x: 1, x: 2}\nc:\n  - k: 1\n    k: 2\n\"q\": 1\n\"q\": 2\n"
        #expect(parseError(yaml) == """
            config.yaml:2:1: a: duplicate key "a" (first defined at line 1)
            config.yaml:3:1: a: duplicate key "a" (first defined at line 1)
            config.yaml:4:11: b.x: duplicate key "x" (first defined at line 4)
            config.yaml:7:5: c[0].k: duplicate key "k" (first defined at line 6)
            config.yaml:9:1: q: duplicate key "q" (first defined at line 8)
            """)
    }

    @Test func manyDuplicatesEndWithAShorterMessage() {
        let yaml = String(repeating: "k: 1\n", count: 26)
        #expect(parseError(yaml) == "config.yaml:21:1: duplicate key \"k\": defined more than once in this mapping")
    }

    @Test func anchorsAndAliases() {
        let message = "YAML anchors and aliases are not supported in nnrun configs; write the value out"
        #expect(parseError("a: &x 1\nb: *x\n") == "config.yaml:1:4: \(message)")
        #expect(parseError("a: 1\nb: *undefined\n") == "config.yaml:2:4: \(message)")
        #expect(parseError("x:\n  y: z\n  *w : 1\n") == "config.yaml:3:3: \(message)")
        #expect(parseError("{\"a\": [1], \"b\":*x}") == "config.yaml:1:16: \(message)")
    }

    @Test func billionLaughsIsRefusedBeforeComposing() {
        var yaml = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for (name, previous) in zip("bcdefghij", "abcdefghi") {
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        yaml += "? *j\n: boom\n"   // an alias bomb used as a key hangs Yams' compose
        #expect(parseError(yaml) == "config.yaml:1:4: YAML anchors and aliases are not supported in nnrun configs; write the value out")
    }

    @Test func mergeKeys() {
        #expect(parseError("base: {a: 1}\nother:\n  <<: {a: 1}\n") == "config.yaml:3:3: YAML merge keys (<<) are not supported in nnrun configs; write the keys out")
    }

    @Test func tenThousandNestedBrackets() {
        #expect(parseError(String(repeating: "[", count: 10_000)) == "config.yaml:1:65: nesting is deeper than the limit of 64 levels for a config")
        #expect(parseError("a: " + String(repeating: "{b: ", count: 10_000)) == "config.yaml:1:260: nesting is deeper than the limit of 64 levels for a config")
    }

    @Test func deepBlockNesting() {
        var yaml = ""
        for depth in 0..<70 { yaml += String(repeating: " ", count: depth) + "k\(depth):\n" }
        #expect(parseError(yaml) == "config.yaml:65:65: k0.k1.k2.k3.k4.k5.k6.k7.k8.k9.k10.k11.k12.k13.k14.k15.k16...: nesting is deeper than the limit of 64 levels for a config")
        #expect(parseError(String(repeating: "- ", count: 2000) + "x\n") == "config.yaml:1:1999: nesting is deeper than the limit of 64 levels for a config")
    }

    @Test func multipleDocuments() {
        #expect(parseError("a: 1\n---\nb: 2\n") == "config.yaml:2:1: a config must be a single YAML document, but a second one starts here")
        #expect(parseError("---\na: 1\n...\n") == nil)
    }

    @Test func emptyOrCommentsOnly() {
        #expect(parseError("") == "config.yaml: config is empty")
        #expect(parseError("# nothing here\n\n   # still nothing\n") == "config.yaml: config is empty")
        #expect(parseError("---\n") == "config.yaml: config is empty")
    }

    @Test func controlCharacters() {
        #expect(parseError("a: \u{0}\n") == "config.yaml:1:4: NUL character (U+0000) is not allowed in a config")
        #expect(parseError("a: 1\nb: x\u{7}\n") == "config.yaml:2:5: control character (U+0007) is not allowed in a config")
        #expect(parseError("a: 1\r\nb: \u{9F}\r\n") == "config.yaml:2:4: control character (U+009F) is not allowed in a config")
    }

    @Test func tagsAndComplexKeys() {
        #expect(parseError("a: !!int 5\n") == "config.yaml:1:4: a: YAML tags such as \"!!int\" are not supported in nnrun configs; remove the tag")
        #expect(parseError("? [a]\n: 1\n") == "config.yaml:1:3: a mapping key must be a name, not a list or mapping")
    }
}

@Suite struct YAMLLoaderFileTests {
    @Test func missingFileAndDirectory() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("nope.yaml").path
        #expect(loadError(missing) == "\(missing): no such file")
        #expect(loadError(dir.path) == "\(dir.path): is a directory, not a config file")
    }

    @Test func twoMebibyteFileIsRefusedBeforeReading() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("big.yaml")
        try Data(repeating: UInt8(ascii: "#"), count: 2 << 20).write(to: file)
        #expect(loadError(file.path) == "\(file.path): file is 2097152 bytes, larger than the limit of 1048576 bytes (1 MiB) for a config")
    }

    @Test func invalidUTF8NamesTheByteOffset() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("latin1.yaml")
        try Data("a: 1\nname: caf".utf8 + [0xE9] + Data("\n".utf8)).write(to: file)
        #expect(loadError(file.path) == "\(file.path):2:10: not valid UTF-8 (byte 0xE9 at offset 14); save the config as UTF-8")
    }

    @Test func loadsAFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("ok.yaml")
        try "training:\n  epochs: 3\n".write(to: file, atomically: true, encoding: .utf8)
        let root = try YAMLLoader.load(path: file.path)
        #expect(root["training"]?["epochs"]?.location == SourceLocation(file: file.path, line: 2, column: 11))
    }
}
