import NNConfig
import NNLayers
import NNTensor
import Testing
@testable import NNModel

/// Builds the model of `yaml` (a model file) with seed 1.
private func built(_ yaml: String) throws -> Model {
    let spec = try TestModels.valid(yaml)
    var rng = RNG(seed: 1, stream: "init")
    return try Model(spec: spec, rng: &rng)
}

@Suite struct SummaryTests {
    /// models/mlp.yaml as shipped.
    static let mlp = """
        input: [64]
        layers:
          - dense: {units: 128, activation: relu}
          - dense: {units: 64, activation: relu}
          - dense: {units: 10, activation: softmax}
        """

    @Test func mlpTableMatchesKeras() throws {
        // Keras prints the same counts for Sequential([Dense(128), Dense(64), Dense(10)]) on 64 inputs.
        #expect(summary(of: try built(Self.mlp), name: "digits-mlp") == """
            Model: "digits-mlp"
            ┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┓
            ┃ Layer (type)    ┃ Output Shape ┃ Param # ┃ Trainable ┃
            ┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━┩
            │ dense (Dense)   │ (None, 128)  │   8,320 │ Y         │
            ├─────────────────┼──────────────┼─────────┼───────────┤
            │ dense_1 (Dense) │ (None, 64)   │   8,256 │ Y         │
            ├─────────────────┼──────────────┼─────────┼───────────┤
            │ dense_2 (Dense) │ (None, 10)   │     650 │ Y         │
            └─────────────────┴──────────────┴─────────┴───────────┘
             Total params: 17,226 (67.29 KB)
             Trainable params: 17,226 (67.29 KB)
             Non-trainable params: 0 (0.00 B)
             Activation memory: 808.00 B per sample (layer outputs, forward pass)
            """)
    }

    @Test func statelessLayersShowADashAndImageShapes() throws {
        let model = try built("""
            input: [8, 8, 1]
            layers:
              - flatten: {}
              - dense: {units: 32, activation: relu, use_bias: false}
              - dropout: {rate: 0.5}
              - leaky_relu: {}
              - dense: {units: 10, activation: softmax}
            """)
        #expect(summary(of: model, name: "cnn-ish") == """
            Model: "cnn-ish"
            ┏━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┓
            ┃ Layer (type)           ┃ Output Shape ┃ Param # ┃ Trainable ┃
            ┡━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━┩
            │ flatten (Flatten)      │ (None, 64)   │       0 │ -         │
            ├────────────────────────┼──────────────┼─────────┼───────────┤
            │ dense (Dense)          │ (None, 32)   │   2,048 │ Y         │
            ├────────────────────────┼──────────────┼─────────┼───────────┤
            │ dropout (Dropout)      │ (None, 32)   │       0 │ -         │
            ├────────────────────────┼──────────────┼─────────┼───────────┤
            │ leaky_relu (LeakyReLU) │ (None, 32)   │       0 │ -         │
            ├────────────────────────┼──────────────┼─────────┼───────────┤
            │ dense_1 (Dense)        │ (None, 10)   │     330 │ Y         │
            └────────────────────────┴──────────────┴─────────┴───────────┘
             Total params: 2,378 (9.29 KB)
             Trainable params: 2,378 (9.29 KB)
             Non-trainable params: 0 (0.00 B)
             Activation memory: 680.00 B per sample (layer outputs, forward pass)
            """)
    }

    @Test func graphModelsGetAConnectedToColumn() throws {
        let model = try built("""
            input: [16]
            layers:
              - dense: {units: 8, name: a}
              - dense: {units: 8, name: b, inputs: [input]}
              - dense: {units: 2, inputs: [a], name: out}
            """)
        #expect(summary(of: model, name: "g") == """
            Model: "g"
            ┏━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━━┓
            ┃ Layer (type) ┃ Output Shape ┃ Param # ┃ Trainable ┃ Connected to ┃
            ┡━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━━┩
            │ a (Dense)    │ (None, 8)    │     136 │ Y         │ input        │
            ├──────────────┼──────────────┼─────────┼───────────┼──────────────┤
            │ b (Dense)    │ (None, 8)    │     136 │ Y         │ input        │
            ├──────────────┼──────────────┼─────────┼───────────┼──────────────┤
            │ out (Dense)  │ (None, 2)    │      18 │ Y         │ a            │
            └──────────────┴──────────────┴─────────┴───────────┴──────────────┘
             Total params: 290 (1.13 KB)
             Trainable params: 290 (1.13 KB)
             Non-trainable params: 0 (0.00 B)
             Activation memory: 72.00 B per sample (layer outputs, forward pass)
            """)
    }

    @Test func frozenLayersCountAsNonTrainable() throws {
        let model = try built(Self.mlp)
        for p in model.nodes[0].layer.parameters { p.isTrainable = false }
        let text = summary(of: model, name: "frozen")
        #expect(text.contains("│ dense (Dense)   │ (None, 128)  │   8,320 │ N         │"))
        #expect(text.contains(" Total params: 17,226 (67.29 KB)\n"))
        #expect(text.contains(" Trainable params: 8,906 (34.79 KB)\n"))
        #expect(text.contains(" Non-trainable params: 8,320 (32.50 KB)\n"))
    }

    @Test func everyRowHasTheSameWidth() throws {
        let model = try built("input: [3]\nlayers:\n  - dense: {units: 250000, name: a_rather_long_layer_name_indeed}\n")
        let lines = summary(of: model, name: "wide").split(separator: "\n").dropFirst().prefix(while: { !$0.hasPrefix(" ") })
        let widths = Set(lines.map(\.count))
        #expect(widths.count == 1, "\(lines.joined(separator: "\n"))")
        #expect(lines.contains { $0.contains("│ 1,000,000 │") })
    }

    @Test(arguments: [
        ("dense", "Dense"), ("relu", "ReLU"), ("leaky_relu", "LeakyReLU"), ("softmax", "Softmax"), ("tanh", "Tanh"),
        ("flatten", "Flatten"), ("dropout", "Dropout"), ("sigmoid", "Sigmoid"),
    ])
    func displayNames(_ type: String, _ shown: String) {
        #expect(displayName(type) == shown)
    }

    @Test(arguments: [(0, "0"), (7, "7"), (999, "999"), (1000, "1,000"), (17226, "17,226"), (1234567, "1,234,567"), (100000, "100,000")])
    func groupedThousands(_ n: Int, _ text: String) {
        #expect(grouped(n) == text)
    }

    @Test(arguments: [
        (0, "0.00 B"), (808, "808.00 B"), (1023, "1023.00 B"), (1024, "1.00 KB"), (68904, "67.29 KB"),
        (1 << 20, "1.00 MB"), (1536 * 1024, "1.50 MB"), (5 << 30, "5.00 GB"),
    ])
    func byteSizes(_ bytes: Int, _ text: String) {
        #expect(byteText(bytes) == text)
    }
}
