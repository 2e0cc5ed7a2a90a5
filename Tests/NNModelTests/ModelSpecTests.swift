import Foundation
import NNConfig
import NNLayers
import NNTensor
import Testing
@testable import NNModel

/// Model-file fixtures shared by ModelSpecTests and SummaryTests.
enum TestModels {
    /// Decodes a model file's text; returns the spec (nil when unusable) and every error line.
    static func decode(_ yaml: String, file: String = "model.yaml") throws -> (spec: ModelSpec?, errors: [String]) {
        let tree = try YAMLLoader.parse(yaml, file: file)
        let diagnostics = Diagnostics()
        let spec = ModelSpec.decode(tree, path: "model", registry: .builtIn, diagnostics: diagnostics)
        do {
            try diagnostics.throwIfAny()
            return (spec, [])
        } catch let errors as ConfigErrors {
            return (spec, errors.errors.map(\.description))
        }
    }

    /// Decodes a model that must be free of errors.
    static func valid(_ yaml: String) throws -> ModelSpec {
        let (spec, errors) = try decode(yaml)
        #expect(errors == [])
        return try #require(spec)
    }
}

@Suite struct ModelSpecTests {
    // MARK: Names

    @Test func defaultNamesFollowKerasPerType() throws {
        let spec = try TestModels.valid("""
            input: [8, 8, 1]
            layers:
              - flatten: {}
              - dense: {units: 32, activation: relu}
              - dropout: {rate: 0.2}
              - dense: {units: 16}
              - relu: {}
              - dense: {units: 10, activation: softmax}
              - dropout: {}
            """)
        #expect(spec.layers.map(\.name) == ["flatten", "dense", "dropout", "dense_1", "relu", "dense_2", "dropout_1"])
        #expect(spec.layers.map(\.config.typeName) == ["flatten", "dense", "dropout", "dense", "relu", "dense", "dropout"])
        #expect(spec.layers.map(\.inputs) == [[-1], [0], [1], [2], [3], [4], [5]])
        #expect(spec.inputShape == [8, 8, 1])
    }

    @Test func explicitNamesTakeNoNumberFromTheDefaults() throws {
        let spec = try TestModels.valid("""
            input: [64]
            layers:
              - dense: {units: 32, name: hidden}
              - dense: {units: 16}
              - dense: {units: 10, name: "logits"}
            """)
        let names = spec.layers.map(\.name)
        #expect(names[0] == "hidden")
        #expect(names[2] == "logits")
        // The unnamed layer gets its type's first default name: an explicit name takes no number (Keras).
        #expect(names[1] == "dense")
        #expect(Set(names).count == names.count)
    }

    @Test func duplicateExplicitNamesAreAnError() throws {
        let (_, errors) = try TestModels.decode("""
            input: [64]
            layers:
              - dense: {units: 32, name: h}
              - dense: {units: 10, name: h}
            """)
        #expect(errors == [#"model.yaml:4:30: model.layers[1].dense.name: duplicate layer name "h"; names must be unique"#])
    }

    @Test func automaticNamesStepOverWrittenOnes() throws {
        let (spec, errors) = try TestModels.decode("""
            input: [64]
            layers:
              - dense: {units: 32}
              - dense: {units: 16}
              - dense: {units: 10, name: dense_1}
            """)
        // Automatic names count unnamed layers (dense, dense_1, ...) but skip a name written
        // anywhere in the list, so a fine-tuning head appended to named base layers never collides
        // (Keras would report the collision instead).
        #expect(errors.isEmpty)
        #expect(spec?.layers.map(\.name) == ["dense", "dense_2", "dense_1"])
    }

    @Test func emptyNameIsAnError() throws {
        let (_, errors) = try TestModels.decode("""
            input: [64]
            layers:
              - dense: {units: 10, name: ""}
            """)
        #expect(errors == ["model.yaml:3:30: model.layers[0].dense.name: a layer name cannot be empty"])
    }

    // MARK: Inputs

    @Test func inputsNameEarlierLayersOrTheModelInput() throws {
        let spec = try TestModels.valid("""
            input: [64]
            layers:
              - dense: {units: 32, name: a}
              - dense: {units: 32, name: b, inputs: [input]}
              - dense: {units: 10, inputs: [a]}
            """)
        #expect(spec.layers.map(\.inputs) == [[-1], [-1], [0]])
    }

    @Test func unknownInputSuggestsAName() throws {
        let (_, errors) = try TestModels.decode("""
            input: [64]
            layers:
              - dense: {units: 32, name: hidden}
              - dense: {units: 10, inputs: [hiden]}
            """)
        #expect(errors == [#"model.yaml:4:33: model.layers[1].dense.inputs[0]: unknown layer "hiden"; an input must be a layer defined above, or "input" (did you mean "hidden"?)"#])
    }

    @Test func anInputDefinedLaterIsAnError() throws {
        let (_, errors) = try TestModels.decode("""
            input: [64]
            layers:
              - dense: {units: 32, inputs: [out]}
              - dense: {units: 10, name: out}
            """)
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix(#"model.yaml:3:33: model.layers[0].dense.inputs[0]: unknown layer "out"; an input must be a layer defined above"#) == true)
    }

    @Test func aLayerCannotBeItsOwnInput() throws {
        let (_, errors) = try TestModels.decode("""
            input: [64]
            layers:
              - dense: {units: 10, name: loop, inputs: [loop]}
            """)
        #expect(errors.count == 1)
        #expect(errors.first?.contains(#"model.layers[0].dense.inputs[0]: unknown layer "loop""#) == true)
    }

    @Test func inputsMustBeAListOfNames() throws {
        let (_, errors) = try TestModels.decode("""
            input: [64]
            layers:
              - dense: {units: 32, name: a}
              - dense: {units: 10, inputs: a}
              - dense: {units: 10, inputs: [[a]]}
            """)
        #expect(errors == [
            "model.yaml:4:32: model.layers[1].dense.inputs: received a, expected a list",
            "model.yaml:5:33: model.layers[2].dense.inputs[0]: received a list of 1, expected a layer name",
        ])
    }

    // MARK: Structure errors

    @Test func layersAreRequiredAndNonEmpty() throws {
        #expect(try TestModels.decode("input: [64]\n").errors == [#"model.yaml:1:1: model.layers: missing required key "layers""#])
        #expect(try TestModels.decode("input: [64]\nlayers: []\n").errors == ["model.yaml:2:9: model.layers: a model needs at least one layer"])
    }

    @Test func everyLayerErrorComesInOnePass() throws {
        let (_, errors) = try TestModels.decode("""
            input: [64, 0]
            layers:
              - dense: {units: ten}
              - dropot: {rate: 0.5}
              - dense: {units: 10, activaton: softmax}
            extra: 1
            """)
        #expect(errors == [
            "model.yaml:1:13: model.input[1]: received 0, expected a whole number from 1 to 1000000",
            "model.yaml:3:20: model.layers[0].dense.units: received ten, expected a whole number from 1 to 1000000",
            #"model.yaml:4:5: model.layers[1]: unknown layer type "dropot"; expected one of: activation, add, average_pool2d, batch_normalization, concatenate, conv2d, conv2d_transpose, dense, dropout, flatten, global_average_pool2d, heaviside, leaky_relu, linear, max_pool2d, relu, reshape, sigmoid, softmax, spatial_dropout2d, tanh, up_sampling2d, zero_padding2d (did you mean "dropout"?)"#,
            #"model.yaml:5:24: model.layers[2].dense.activaton: unknown key "activaton"; expected one of: activation, bias_initializer, bias_regularizer, inputs, kernel_initializer, kernel_regularizer, name, units, use_bias (did you mean "activation"?)"#,
            #"model.yaml:6:1: model.extra: unknown key "extra"; expected one of: input, layers"#,
        ])
    }

    // MARK: Encoding

    static let graphModel = """
        input: [8, 8, 1]
        layers:
          - flatten: {name: flat}
          - dense: {units: 32, activation: relu, kernel_initializer: he_normal}
          - dropout: {rate: 0.25}
          - dense: {units: 16, activation: tanh, use_bias: false, inputs: [flat]}
          - leaky_relu: {negative_slope: 0.1}
          - dense: {units: 10, activation: softmax, name: out}
        """

    @Test func encodeFillsEveryDefault() throws {
        let spec = try TestModels.valid("input: [64]\nlayers:\n  - dense: {units: 10}\n")
        #expect(spec.encode().jsonText() == """
            {
              "input": [64],
              "layers": [
                {
                  "dense": {
                    "name": "dense",
                    "units": 10,
                    "activation": "linear",
                    "use_bias": true,
                    "kernel_initializer": "glorot_uniform",
                    "bias_initializer": "zeros"
                  }
                }
              ]
            }
            """)
    }

    @Test func encodeWritesInputsOnlyWhereTheGraphBranches() throws {
        let spec = try TestModels.valid(Self.graphModel)
        let layers = try #require(spec.encode()["layers"]?.items)
        let inputs = layers.map { $0.entries?.first?.value["inputs"] }
        #expect(inputs.map { $0 == nil } == [true, true, true, false, true, true])
        #expect(inputs[3] == .strings(["flat"]))
    }

    @Test(arguments: [
        "input: [64]\nlayers:\n  - dense: {units: 10, activation: softmax}\n",
        ModelSpecTests.graphModel,
        "input: [4]\nlayers:\n  - activation: {activation: sigmoid}\n  - dense: {units: 1, kernel_initializer: zeros, bias_initializer: ones}\n",
    ])
    func decodeOfEncodeGivesAnEqualTree(_ yaml: String) throws {
        let spec = try TestModels.valid(yaml)
        let encoded = spec.encode()
        let diagnostics = Diagnostics()
        let again = try #require(ModelSpec.decode(encoded, path: "model", registry: .builtIn, diagnostics: diagnostics))
        #expect(diagnostics.errors.map(\.description) == [])
        #expect(again.encode() == encoded)
        #expect(again.layers.map(\.name) == spec.layers.map(\.name))
        #expect(again.layers.map(\.inputs) == spec.layers.map(\.inputs))

        // And through JSON text (what model.json stores) and the YAML loader.
        let reparsed = try YAMLLoader.parse(encoded.jsonText(), file: "model.json")
        #expect(reparsed.withoutLocations == encoded)
        let diagnostics2 = Diagnostics()
        let fromJSON = try #require(ModelSpec.decode(reparsed, path: "model", registry: .builtIn, diagnostics: diagnostics2))
        #expect(diagnostics2.isEmpty)
        #expect(fromJSON.encode() == encoded)
    }

    @Test func configTreeRoundTripsThroughJSONText() throws {
        let tree = ConfigNode.map([
            ("name", .string("quote\" back\\ nl\n tab\t")), ("seed", .int(7)), ("rate", .double(1e-7)),
            ("flag", .bool(false)), ("nothing", .null), ("shape", .ints([8, 8, 1])), ("empty", .list([])),
            ("nested", .map([("list", .list([.map([("a", .string("1"))]), .string("yes"), .string("010")]))])),
        ])
        let reparsed = try YAMLLoader.parse(tree.jsonText(), file: "x.json")
        #expect(reparsed.withoutLocations == tree)
    }

    @Test func buildingInfersShapesAndLocatesShapeErrors() throws {
        let spec = try TestModels.valid(Self.graphModel)
        var rng = RNG(seed: 1, stream: "init")
        let model = try Model(spec: spec, rng: &rng)
        #expect(model.nodes.map(\.outputShape) == [[64], [32], [32], [16], [16], [10]])

        let flat = try TestModels.valid("input: [8, 8, 1]\nlayers:\n  - dense: {units: 10}\n")
        let error = try #require(throws: ConfigErrors.self) { _ = try Model(spec: flat, rng: &rng) }
        #expect(error.description == "model.yaml:3:5: model.layers[0].dense: dense expects a flat input (one axis per sample), got shape (None, 8, 8, 1); add a flatten layer before it")
    }
}
