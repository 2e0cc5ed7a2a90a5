import NNConfig
import Testing
@testable import NNModel

/// A resolved config tree, as the decoders see it after defaults are filled in.
private func resolvedTree() throws -> ConfigNode {
    try YAMLLoader.parse("""
        training:
          batch_size: 32
          epochs: 10
          shuffle: true
        model:
          layers:
            - dense: {units: 64}
            - relu: {}
            - dense: {units: 10}
        optimizer:
          adam: {learning_rate: 0.001}
        data:
          classes: null
        """, file: "config.yaml")
}

/// The error text `Overrides.apply` throws, or nil when every override applies.
private func overrideError(_ overrides: [String]) throws -> String? {
    let tree = try resolvedTree()
    do {
        _ = try Overrides.apply(overrides, to: tree)
        return nil
    } catch let errors as ConfigErrors {
        return errors.description
    }
}

@Suite struct OverridesTests {
    @Test func nestedPath() throws {
        let tree = try Overrides.apply(["training.epochs=5"], to: resolvedTree())
        let epochs = try #require(tree["training"]?["epochs"])
        #expect(epochs.kind == .scalar(text: "5", quoted: false))
        #expect(epochs.location == SourceLocation(file: "--set training.epochs=5", line: 0, column: 0))
        // Everything else is untouched, locations included.
        #expect(tree["training"]?["batch_size"]?.location == SourceLocation(file: "config.yaml", line: 2, column: 15))
        #expect(tree["training"]?.entries?.map(\.key) == ["batch_size", "epochs", "shuffle"])
    }

    @Test func listIndex() throws {
        let tree = try Overrides.apply(["model.layers[2].dense.units=32"], to: resolvedTree())
        #expect(tree["model"]?["layers"]?.items?[2]["dense"]?["units"]?.scalarText == "32")
        #expect(tree["model"]?["layers"]?.items?[0]["dense"]?["units"]?.scalarText == "64")
    }

    @Test func flowListValue() throws {
        let tree = try Overrides.apply(["data.classes=[0, 1]"], to: resolvedTree())
        let classes = try #require(tree["data"]?["classes"])
        #expect(classes.withoutLocations == .list([.int(0), .int(1)]))
        let origin = SourceLocation(file: "--set data.classes=[0, 1]", line: 0, column: 0)
        #expect(classes.location == origin)
        #expect(classes.items?.allSatisfy { $0.location == origin } == true)
    }

    @Test func quotedAndNullValues() throws {
        let tree = try Overrides.apply(["training.epochs='5'", "training.shuffle=null", "training.batch_size=null"], to: resolvedTree())
        #expect(tree["training"]?["epochs"]?.kind == .scalar(text: "5", quoted: true))
        #expect(tree["training"]?["shuffle"]?.kind == .null)
        #expect(tree["training"]?["batch_size"]?.kind == .null)
    }

    @Test func anEmptyValueIsAnError() throws {
        #expect(throws: ConfigErrors.self) { try Overrides.apply(["training.epochs="], to: resolvedTree()) }
    }

    @Test func wholeSubtreeThenItsChild() throws {
        let tree = try Overrides.apply(["optimizer={sgd: {learning_rate: 0.1, momentum: 0.9}}",
                                        "optimizer.sgd.learning_rate=0.2"], to: resolvedTree())
        #expect(tree["optimizer"]?.withoutLocations == .map([("sgd", .map([
            ("learning_rate", ConfigNode(.scalar(text: "0.2", quoted: false))),
            ("momentum", ConfigNode(.scalar(text: "0.9", quoted: false))),
        ]))]))
        #expect(tree["optimizer"]?.entries?.first?.keyLocation?.file == "--set optimizer={sgd: {learning_rate: 0.1, momentum: 0.9}}")
    }

    @Test func taggedBodyByPath() throws {
        let tree = try Overrides.apply(["optimizer.adam.learning_rate=1e-4"], to: resolvedTree())
        #expect(tree["optimizer"]?["adam"]?["learning_rate"]?.scalarText == "1e-4")
    }

    @Test func decodingErrorsPointAtTheOverride() throws {
        let tree = try Overrides.apply(["training.epochs=ten"], to: resolvedTree())
        let diagnostics = Diagnostics()
        let trainingNode = try #require(tree["training"])
        let training = try #require(MappingReader(trainingNode, path: "training", diagnostics: diagnostics))
        _ = training.int("epochs", default: 1, in: 1...Int.max)
        #expect(diagnostics.errors.map(\.description) == ["--set training.epochs=ten: training.epochs: received ten, expected a whole number >= 1"])
    }

    @Test func unknownKeyWithDidYouMean() throws {
        #expect(try overrideError(["training.epohcs=5"]) == "--set training.epohcs=5: no key \"epohcs\" under \"training\"; expected one of: batch_size, epochs, shuffle (did you mean \"epochs\"?)")
        #expect(try overrideError(["trainig.epochs=5"]) == "--set trainig.epochs=5: no key \"trainig\" at the top level; expected one of: data, model, optimizer, training (did you mean \"training\"?)")
    }

    @Test func indexOutOfRange() throws {
        #expect(try overrideError(["model.layers[5].dense.units=1"]) == "--set model.layers[5].dense.units=1: index [5] is out of range for \"model.layers\": it has 3 items, [0] to [2]")
    }

    @Test func wrongShapesOnThePath() throws {
        #expect(try overrideError(["training.epochs.x=1"]) == "--set training.epochs.x=1: \"training.epochs\" is 10, not a mapping, so it has no key \"x\"")
        #expect(try overrideError(["training[0]=1"]) == "--set training[0]=1: \"training\" is a mapping {batch_size, epochs, shuffle}, not a list, so it has no index [0]")
        #expect(try overrideError(["data.classes.x=1"]) == "--set data.classes.x=1: \"data.classes\" is null, not a mapping, so it has no key \"x\"; set the whole value instead, such as data.classes={...}")
    }

    @Test func malformedOverrides() throws {
        #expect(try overrideError(["training.epochs"]) == "--set training.epochs: expected path=value, such as training.epochs=5")
        #expect(try overrideError(["=5"]) == "--set =5: the path before \"=\" is empty; expected path=value, such as training.epochs=5")
        for path in ["training..epochs", "layers[x]", "layers[1", "a]", "[0]", "a.", "a[0]b"] {
            #expect(try overrideError(["\(path)=1"]) == "--set \(path)=1: malformed path \"\(path)\"; write keys separated by dots and list indices in brackets, such as model.layers[2].dense.units")
        }
    }

    @Test func badValues() throws {
        #expect(try overrideError(["data.classes=[0, 1"]) == "--set data.classes=[0, 1: data.classes: cannot read the value: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence (started at line 1, column 1)")
        #expect(try overrideError(["training.epochs=a: b"]) == "--set training.epochs=a: b: training.epochs: expected a single value, a [list] or a {mapping}; write lists as [a, b] and mappings as {key: value}")
        #expect(try overrideError(["training.epochs=*x"]) == "--set training.epochs=*x: training.epochs: cannot read the value: YAML anchors and aliases are not supported in nnrun configs; write the value out")
        #expect(try overrideError(["training.epochs=#5"]) == "--set training.epochs=#5: training.epochs: a value starting with # reads as a YAML comment; quote it: training.epochs='#5'")
    }

    @Test func allErrorsComeTogether() throws {
        #expect(try overrideError(["training.epohcs=5", "training.epochs=7", "nope"]) == """
            --set training.epohcs=5: no key "epohcs" under "training"; expected one of: batch_size, epochs, shuffle (did you mean "epochs"?)
            --set nope: expected path=value, such as training.epochs=5
            """)
    }
}
