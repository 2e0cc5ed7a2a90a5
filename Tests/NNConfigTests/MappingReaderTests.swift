import NNConfig
import Testing

@Suite struct MappingReaderTests {
    // MARK: Defaults and required keys

    @Test func absentKeysTakeTheirDefaults() throws {
        let (r, d) = N.reader([])
        #expect(r.int("epochs", default: 10, in: 1...100) == 10)
        #expect(r.double("rate", default: 0.5, in: 0...1) == 0.5)
        #expect(r.bool("shuffle", default: true) == true)
        #expect(r.string("name", default: "x") == "x")
        #expect(r.choice("padding", ["valid", "same"], default: "same") == "same")
        #expect(r.intList("shape", default: [8, 8]) == [8, 8])
        #expect(r.optionalInt("limit") == nil)
        #expect(r.mapping("split") == nil)
        #expect(r.list("metrics") == nil)
        r.finish()
        #expect(d.isEmpty)
    }

    @Test func nullCountsAsAbsent() {
        let (r, d) = N.reader([("epochs", N.null(2, 9)), ("shuffle", N.null(3, 10))])
        #expect(r.int("epochs", default: 7) == 7)
        #expect(r.bool("shuffle", default: false) == false)
        r.finish()
        #expect(d.isEmpty)
    }

    @Test func missingRequiredKeyIsReportedAtTheMapping() {
        let d = Diagnostics()
        let r = MappingReader(N.map([("activation", N.s("relu", 4, 20))], 4, 7), path: "model.layers[0].dense", diagnostics: d)!
        _ = r.string("activation")
        #expect(r.int("units", in: 1...1_000_000) == 0)
        r.finish()
        #expect(d.lines == [#"t.yaml:4:7: model.layers[0].dense.units: missing required key "units""#])
    }

    @Test func nonMappingIsReportedAndGivesNoReader() {
        let d = Diagnostics()
        #expect(MappingReader(N.s("adam", 3, 12), path: "training", diagnostics: d) == nil)
        #expect(d.lines == ["t.yaml:3:12: training: received adam, expected a mapping of keys to values"])
        let d2 = Diagnostics()
        #expect(MappingReader(N.list([N.s("1")], 5, 3), path: "data", diagnostics: d2) == nil)
        #expect(d2.lines == ["t.yaml:5:3: data: received a list of 1, expected a mapping of keys to values"])
    }

    @Test func nullNodeReadsAsAnEmptyMapping() {
        let d = Diagnostics()
        let r = MappingReader(N.null(2, 5), path: "training", diagnostics: d)
        #expect(r != nil)
        #expect(r?.int("epochs", default: 3) == 3)
        r?.finish()
        #expect(d.isEmpty)
    }

    // MARK: Unknown keys

    @Test func unknownKeysAreErrorsWithDidYouMean() {
        let (r, d) = N.reader([("epochs", N.s("3", 2, 11)), ("batch_sise", N.s("32", 3, 15)), ("zzz", N.s("1", 4, 8))])
        _ = r.int("epochs", default: 1)
        _ = r.int("batch_size", default: 32)
        _ = r.bool("shuffle", default: true)
        r.finish()
        #expect(d.lines == [
            #"t.yaml:3:1: training.batch_sise: unknown key "batch_sise"; expected one of: batch_size, epochs, shuffle (did you mean "batch_size"?)"#,
            #"t.yaml:4:1: training.zzz: unknown key "zzz"; expected one of: batch_size, epochs, shuffle"#,
        ])
    }

    @Test func allowedKeysAreNotUnknown() {
        let (r, d) = N.reader([("name", N.s("h")), ("inputs", N.list([]))])
        r.allow("name", "inputs")
        r.finish()
        #expect(d.isEmpty)
    }

    @Test func aMappingWithNoKnownKeysSaysSo() {
        let (r, d) = N.reader([("units", N.s("3", 2, 10))], path: "model.layers[0].flatten")
        r.finish()
        #expect(d.lines == [#"t.yaml:2:1: model.layers[0].flatten.units: unknown key "units"; expected no keys here"#])
    }

    // MARK: Whole numbers

    @Test(arguments: ["0", "7", "-3", "+5", "1000000"])
    func plainDecimalIntegersAreAccepted(_ text: String) {
        let (r, d) = N.reader([("n", N.s(text))])
        #expect(r.int("n") == Int(text))
        #expect(d.isEmpty)
    }

    @Test(arguments: ["010", "1_000", "1e3", "1.0", "0x10", "0o7", "ten", "--1", "99999999999999999999", ".inf"])
    func strictIntegersRejectOtherSpellings(_ text: String) {
        let (r, d) = N.reader([("units", N.s(text, 6, 22))], path: "model.layers[0].dense")
        #expect(r.int("units", default: 4, in: 1...1_000_000) == 4)
        #expect(d.lines == ["t.yaml:6:22: model.layers[0].dense.units: received \(text), expected a whole number from 1 to 1000000"])
    }

    @Test func quotedNumbersAreStringsNotNumbers() {
        let (r, d) = N.reader([("epochs", N.q("5", 2, 11)), ("rate", N.q("0.5", 3, 9)), ("shuffle", N.q("true", 4, 12))])
        _ = r.int("epochs", default: 1, in: 1...1_000_000)
        _ = r.double("rate", default: 0.1, in: 0...1)
        _ = r.bool("shuffle", default: true)
        #expect(d.lines == [
            #"t.yaml:2:11: training.epochs: received "5", expected a whole number from 1 to 1000000"#,
            #"t.yaml:3:9: training.rate: received "0.5", expected a number from 0 to 1"#,
            #"t.yaml:4:12: training.shuffle: received "true", expected true or false"#,
        ])
    }

    @Test func integerRangeWording() {
        let (r, d) = N.reader([("a", N.s("0", 1)), ("b", N.s("11", 2)), ("c", N.s("-1", 3)), ("d", N.s("x", 4))])
        _ = r.int("a", default: 1, in: 1...Int.max)
        _ = r.int("b", default: 1, in: Int.min...10)
        _ = r.int("c", default: 1, in: 0...5)
        _ = r.int("d", default: 1)
        #expect(d.lines == [
            "t.yaml:1:1: training.a: received 0, expected a whole number >= 1",
            "t.yaml:2:1: training.b: received 11, expected a whole number <= 10",
            "t.yaml:3:1: training.c: received -1, expected a whole number from 0 to 5",
            "t.yaml:4:1: training.d: received x, expected a whole number",
        ])
    }

    @Test func optionalIntReadsWhenPresent() {
        let (r, d) = N.reader([("limit", N.s("12"))])
        #expect(r.optionalInt("limit", in: 1...100) == 12)
        r.finish()
        #expect(d.isEmpty)
    }

    // MARK: Reals

    @Test(arguments: [("0.001", 0.001), ("1e-3", 0.001), ("1E3", 1000.0), ("5", 5.0), ("-2.5", -2.5), (".5", 0.5), ("+1.0", 1.0)])
    func realsAcceptDecimalAndExponentForms(_ text: String, _ value: Double) {
        let (r, d) = N.reader([("x", N.s(text))])
        #expect(r.double("x") == value)
        #expect(d.isEmpty)
    }

    @Test(arguments: [".nan", ".inf", "-.inf", "nan", "inf", "1e999", "0x1p3", "1_0.0", "one", "1.2.3"])
    func realsRejectNonFiniteAndOtherSpellings(_ text: String) {
        let (r, d) = N.reader([("learning_rate", N.s(text, 3, 20))], path: "optimizer.adam")
        #expect(r.double("learning_rate", default: 0.001) == 0.001)
        #expect(d.lines == ["t.yaml:3:20: optimizer.adam.learning_rate: received \(text), expected a number"])
    }

    @Test func realRangeWording() {
        let (r, d) = N.reader([("a", N.s("-0.1", 1)), ("b", N.s("0", 2)), ("c", N.s("1.5", 3)), ("d", N.s("2", 4))])
        _ = r.double("a", default: 1, in: 0...Double.greatestFiniteMagnitude)
        _ = r.double("b", default: 1, in: 0...1_000_000, exclusiveMin: true)
        _ = r.double("c", default: 0, in: 0...1)
        _ = r.double("d", default: 0, in: -Double.greatestFiniteMagnitude...1)
        #expect(d.lines == [
            "t.yaml:1:1: training.a: received -0.1, expected a number >= 0",
            "t.yaml:2:1: training.b: received 0, expected a number > 0 and <= 1000000",
            "t.yaml:3:1: training.c: received 1.5, expected a number from 0 to 1",
            "t.yaml:4:1: training.d: received 2, expected a number <= 1",
        ])
    }

    @Test func exclusiveMinimumAcceptsValuesAboveIt() {
        let (r, d) = N.reader([("lr", N.s("1e-9"))])
        #expect(r.double("lr", in: 0...1, exclusiveMin: true) == 1e-9)
        #expect(d.isEmpty)
    }

    // MARK: Booleans, strings, choices

    @Test(arguments: [("true", true), ("false", false), ("True", true), ("FALSE", false)])
    func booleansAreTrueOrFalse(_ text: String, _ value: Bool) {
        let (r, d) = N.reader([("b", N.s(text))])
        #expect(r.bool("b", default: !value) == value)
        #expect(d.isEmpty)
    }

    @Test(arguments: ["yes", "no", "on", "off", "y", "n", "1", "0", "tru"])
    func yamlOneOneBooleansAreNotBooleans(_ text: String) {
        let (r, d) = N.reader([("shuffle", N.s(text, 4, 12))])
        #expect(r.bool("shuffle", default: true) == true)
        #expect(d.lines == ["t.yaml:4:12: training.shuffle: received \(text), expected true or false"])
    }

    @Test func stringsAcceptAnyScalarButNotCollections() {
        let (r, d) = N.reader([("a", N.s("42")), ("b", N.q("x y")), ("c", N.list([N.s("1")], 3, 4)), ("e", N.map([], 4, 4))])
        #expect(r.string("a") == "42")
        #expect(r.string("b") == "x y")
        #expect(r.string("c", default: "d") == "d")
        #expect(r.string("e", default: "d") == "d")
        #expect(d.lines == [
            "t.yaml:3:4: training.c: received a list of 1, expected a string",
            "t.yaml:4:4: training.e: received a mapping {}, expected a string",
        ])
    }

    @Test func choiceSuggestsTheNearestOption() {
        let (r, d) = N.reader([("padding", N.s("sme", 2, 12)), ("mode", N.s("zzzz", 3, 9))], path: "model.layers[0].conv2d")
        #expect(r.choice("padding", ["valid", "same"], default: "valid") == "valid")
        #expect(r.choice("mode", ["min", "max"]) == "min")
        #expect(d.lines == [
            #"t.yaml:2:12: model.layers[0].conv2d.padding: received sme, expected one of: valid, same (did you mean "same"?)"#,
            "t.yaml:3:9: model.layers[0].conv2d.mode: received zzzz, expected one of: min, max",
        ])
    }

    @Test func requiredChoiceIsReportedWhenMissing() {
        let (r, d) = N.reader([], path: "")
        _ = r.choice("loss", ["mean_squared_error", "categorical_crossentropy"])
        #expect(d.lines == [#"t.yaml:1:1: loss: missing required key "loss""#])
    }

    // MARK: Lists and nesting

    @Test func intListChecksEveryItem() {
        let list = N.list([N.s("8", 2, 9), N.s("0", 2, 12), N.s("x", 2, 15), N.q("3", 2, 18)], 2, 8)
        let (r, d) = N.reader([("input", list)], path: "model")
        #expect(r.intList("input", in: 1...1_000_000) == [8])
        #expect(d.lines == [
            "t.yaml:2:12: model.input[1]: received 0, expected a whole number from 1 to 1000000",
            "t.yaml:2:15: model.input[2]: received x, expected a whole number from 1 to 1000000",
            #"t.yaml:2:18: model.input[3]: received "3", expected a whole number from 1 to 1000000"#,
        ])
    }

    @Test func intListRejectsAScalar() {
        let (r, d) = N.reader([("input", N.s("64", 2, 8))], path: "model")
        #expect(r.intList("input", default: [1]) == [1])
        #expect(d.lines == ["t.yaml:2:8: model.input: received 64, expected a list of whole numbers"])
    }

    @Test func nestedMappingsCarryTheirPath() {
        let (r, d) = N.reader([("split", N.map([("test", N.s("2", 3, 9)), ("tset", N.s("1", 4, 9))], 3, 3))], path: "data")
        let split = r.mapping("split")
        #expect(split?.path == "data.split")
        #expect(split?.double("test", default: 0.2, in: 0...1) == 0.2)
        split?.finish()
        r.finish()
        #expect(d.lines == [
            "t.yaml:3:9: data.split.test: received 2, expected a number from 0 to 1",
            #"t.yaml:4:1: data.split.tset: unknown key "tset"; expected one of: test (did you mean "test"?)"#,
        ])
    }

    @Test func listAccessorRejectsAScalar() {
        let (r, d) = N.reader([("metrics", N.s("accuracy", 5, 10))], path: "")
        #expect(r.list("metrics") == nil)
        #expect(d.lines == ["t.yaml:5:10: metrics: received accuracy, expected a list"])
    }

    @Test func rootPathHasNoLeadingDot() {
        let (r, _) = N.reader([], path: "")
        #expect(r.childPath("seed") == "seed")
        let (r2, _) = N.reader([], path: "data")
        #expect(r2.childPath("seed") == "data.seed")
    }

    // MARK: Diagnostics

    @Test func diagnosticsSortByPositionAndCollectEveryError() throws {
        let d = Diagnostics()
        d.report(ConfigError(location: N.at(9, 2), path: "c", message: "third"))
        d.report(ConfigError(location: N.at(2, 5), path: "a", message: "first"))
        d.report(ConfigError(location: N.at(2, 9), path: "b", message: "second"))
        let errors = try #require(throws: ConfigErrors.self) { try d.throwIfAny() }
        #expect(errors.errors.map(\.message) == ["first", "second", "third"])
        #expect(errors.description == "t.yaml:2:5: a: first\nt.yaml:2:9: b: second\nt.yaml:9:2: c: third")
    }

    @Test func noErrorsNoThrow() throws {
        try Diagnostics().throwIfAny()
    }

    @Test func errorTextWithoutLocationOrPath() {
        #expect(ConfigError(location: nil, path: "", message: "m").description == "m")
        #expect(ConfigError(location: nil, path: "a.b", message: "m", suggestion: "x").description == #"a.b: m (did you mean "x"?)"#)
        let fileOnly = SourceLocation(file: "c.yaml", line: 0, column: 0)
        #expect(ConfigError(location: fileOnly, path: "", message: "no such file").description == "c.yaml: no such file")
    }

    @Test func briefShowsTheValueReceived() {
        #expect(N.s("ten").brief == "ten")
        #expect(N.q("ten").brief == "\"ten\"")
        #expect(N.null().brief == "null")
        #expect(N.list([N.s("1"), N.s("2")]).brief == "a list of 2")
        #expect(N.map([("a", N.s("1")), ("b", N.s("1")), ("c", N.s("1")), ("d", N.s("1"))]).brief == "a mapping {a, b, c, ...}")
        let long = String(repeating: "x", count: 50)
        #expect(N.s(long).brief == String(repeating: "x", count: 37) + "...")
    }
}
