import NNConfig
import Testing

@Suite struct TaggedTests {
    static let optimizers = ["sgd", "adam", "rmsprop", "perceptron"]

    @Test func oneKeyMappingNamesTheType() throws {
        let d = Diagnostics()
        let body = N.map([("learning_rate", N.s("0.01", 3, 20))], 3, 9)
        let node = N.map([("adam", body)], 3, 3)
        let t = try #require(Tagged(node, path: "optimizer", known: Self.optimizers, what: "optimizer", diagnostics: d))
        #expect(t.type == "adam")
        #expect(t.path == "optimizer.adam")
        #expect(t.body == body)
        #expect(t.node == node)
        #expect(d.isEmpty)
    }

    @Test func bareScalarIsTheTypeWithDefaults() throws {
        let d = Diagnostics()
        let t = try #require(Tagged(N.s("sgd", 7, 12), path: "optimizer", known: Self.optimizers, what: "optimizer", diagnostics: d))
        #expect(t.type == "sgd")
        #expect(t.path == "optimizer.sgd")
        #expect(t.body.entries?.isEmpty == true)
        #expect(t.body.location == N.at(7, 12))
        #expect(d.isEmpty)
    }

    @Test func nullBodyReadsAsEmptyMapping() throws {
        let d = Diagnostics()
        let t = try #require(Tagged(N.map([("flatten", N.null(4, 14))], 4, 5), path: "model.layers[0]",
                                    known: ["flatten"], what: "layer type", diagnostics: d))
        #expect(t.body.entries?.isEmpty == true)
        #expect(t.path == "model.layers[0].flatten")
    }

    @Test func unknownTypeIsLocatedAtTheKeyWithDidYouMean() {
        let d = Diagnostics()
        let node = ConfigNode(.mapping([ConfigNode.Entry(key: "adamm", keyLocation: N.at(9, 5), value: N.map([], 9, 12))]),
                              location: N.at(9, 3))
        #expect(Tagged(node, path: "optimizer", known: Self.optimizers, what: "optimizer", diagnostics: d) == nil)
        #expect(d.lines == [#"t.yaml:9:5: optimizer: unknown optimizer "adamm"; expected one of: sgd, adam, rmsprop, perceptron (did you mean "adam"?)"#])
    }

    @Test func unknownScalarTypeIsLocatedAtTheScalar() {
        let d = Diagnostics()
        #expect(Tagged(N.s("lbfgs", 8, 12), path: "optimizer", known: Self.optimizers, what: "optimizer", diagnostics: d) == nil)
        #expect(d.lines == [#"t.yaml:8:12: optimizer: unknown optimizer "lbfgs"; expected one of: sgd, adam, rmsprop, perceptron"#])
    }

    @Test func severalKeysOrAListAreNotATaggedEntry() {
        let d = Diagnostics()
        let two = N.map([("dense", N.map([], 6, 14)), ("units", N.s("3", 6, 30))], 6, 7)
        #expect(Tagged(two, path: "model.layers[0]", known: ["dense"], what: "layer type", diagnostics: d) == nil)
        #expect(Tagged(N.list([], 7, 7), path: "model.layers[1]", known: ["dense"], what: "layer type", diagnostics: d) == nil)
        #expect(Tagged(N.map([], 8, 7), path: "model.layers[2]", known: ["dense"], what: "layer type", diagnostics: d) == nil)
        #expect(d.lines == [
            "t.yaml:6:7: model.layers[0]: received a mapping {dense, units}, expected a layer type written as a one-key mapping such as {dense: {...}}",
            "t.yaml:7:7: model.layers[1]: received a list of 0, expected a layer type written as a one-key mapping such as {dense: {...}}",
            "t.yaml:8:7: model.layers[2]: received a mapping {}, expected a layer type written as a one-key mapping such as {dense: {...}}",
        ])
    }

    @Test func emptyPathGivesTheTypeAsPath() throws {
        let d = Diagnostics()
        let t = try #require(Tagged(N.s("adam"), path: "", known: Self.optimizers, what: "optimizer", diagnostics: d))
        #expect(t.path == "adam")
    }
}
