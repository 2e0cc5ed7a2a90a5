import Foundation
import NNConfig
import NNLayers
import NNTensor
import Testing
@testable import NNModel

/// The weight penalty of a dense layer written in YAML against Keras 3's `sum(layer.losses)` for the
/// same regularisers and weights (`NNLayersTests/Fixtures/regularizers.json`, written by
/// `generate_regularizers.py` beside it; read here by path because the YAML loader lives in NNModel).
struct RegularizationKerasTests {
    struct Fixture: Decodable {
        struct Values: Decodable { var shape: [Int]; var data: [Double] }
        struct Case: Decodable { var name: String; var nnrun_options: String; var penalty: Double }
        var versions: [String: String]
        var kernel: Values
        var bias: Values
        var cases: [Case]
    }

    static let fixture: Fixture? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../NNLayersTests/Fixtures/regularizers.json")
        return (try? Data(contentsOf: url)).flatMap { try? JSONDecoder().decode(Fixture.self, from: $0) }
    }()

    static let caseNames = fixture?.cases.map(\.name) ?? ["fixture missing"]

    @Test("model.regularizationLoss() equals Keras' sum(layer.losses)", arguments: caseNames)
    func matchesKeras(name: String) throws {
        let fixture = try #require(Self.fixture, "Tests/NNLayersTests/Fixtures/regularizers.json is missing")
        #expect(fixture.versions["keras"] == "3.15.1")
        let c = try #require(fixture.cases.first { $0.name == name })
        let yaml = "input: [4]\nlayers:\n  - dense: {units: 3, \(c.nnrun_options)}\n"
        let diagnostics = Diagnostics()
        let spec = try #require(ModelSpec.decode(try YAMLLoader.parse(yaml, file: "m.yaml"), path: "model",
                                                 registry: .builtIn, diagnostics: diagnostics))
        try diagnostics.throwIfAny()
        var rng = RNG(seed: 1)
        for dtype in [DType.float64, .float32] {
            let model = try Model(spec: spec, dtype: dtype, rng: &rng)
            let dense = try #require(model.nodes[0].layer as? Dense)
            for (i, v) in fixture.kernel.data.enumerated() { dense.kernel.value[i] = v }
            for (i, v) in fixture.bias.data.enumerated() { dense.bias?.value[i] = v }
            let tolerance = dtype == .float64 ? 1e-12 : 1e-7
            #expect(abs(model.regularizationLoss() - c.penalty) <= tolerance * max(1, c.penalty),
                    "\(name) \(dtype): \(model.regularizationLoss()) vs Keras \(c.penalty)")
        }
    }
}
