import Foundation
import NNConfig
import Testing
@testable import NNLayers
import NNTensor

// MARK: - Fixtures

/// A tensor as the generator writes it: `{"shape": [...], "data": [...]}` (flat, row-major).
struct FixtureTensor: Decodable, Sendable {
    var shape: [Int]
    var data: [Double]

    func tensor(_ dtype: DType = .float64) -> Tensor { Tensor(shape: shape, doubles: data, dtype: dtype) }
}

/// `Fixtures/reference.json`, written by `Fixtures/generate.py` (Keras 3.15.1, JAX backend, float64).
struct Reference: Decodable, Sendable {
    struct DenseCase: Decodable, Sendable {
        var activation: String
        var use_bias: Bool
        var output: FixtureTensor
        var grad_input: FixtureTensor
        var grad_kernel: FixtureTensor
        var grad_bias: FixtureTensor?
    }
    struct DenseFixture: Decodable, Sendable {
        var input: FixtureTensor
        var kernel: FixtureTensor
        var bias: FixtureTensor
        var upstream: FixtureTensor
        var cases: [DenseCase]
    }
    struct Activations: Decodable, Sendable {
        var input: FixtureTensor
        var outputs: [String: FixtureTensor]
        var leaky_relu_layer: FixtureTensor
        var leaky_relu_layer_slope: Double
    }
    struct SoftmaxExtreme: Decodable, Sendable {
        var input: FixtureTensor
        var output: FixtureTensor
    }
    struct LossCase: Decodable, Sendable {
        var name: String
        var loss: String
        var from_logits: Bool
        var output: FixtureTensor
        var target: FixtureTensor
        var value: Double
        var gradient: FixtureTensor
    }

    var versions: [String: String]
    var dense: DenseFixture
    var activations: Activations
    var softmax_extreme: SoftmaxExtreme
    var losses: [LossCase]

    /// Loaded once per test process.
    static let shared: Result<Reference, any Error> = Result {
        try JSONDecoder().decode(Reference.self, from: fixtureData("reference"))
    }

    static func load() throws -> Reference { try shared.get() }
}

struct FixtureMissing: Error, CustomStringConvertible {
    var name: String
    var description: String { "fixture Fixtures/\(name).json not found in the test bundle" }
}

/// The bytes of `Fixtures/<name>.json`, copied into the test bundle by `resources: [.copy("Fixtures")]`.
func fixtureData(_ name: String) throws -> Data {
    guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
        throw FixtureMissing(name: name)
    }
    return try Data(contentsOf: url)
}

// MARK: - Comparisons

/// Expects `actual ≈ expected` elementwise: |a − e| ≤ atol + rtol · |e|, reporting the worst element.
func expectClose(_ actual: [Double], _ expected: [Double], rtol: Double, atol: Double = 0, _ what: String,
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var worst: (index: Int, excess: Double)?
    for i in actual.indices {
        let allowed = atol + rtol * abs(expected[i])
        let diff = abs(actual[i] - expected[i])
        if !(diff <= allowed), diff - allowed > (worst?.excess ?? -1) || diff.isNaN { worst = (i, diff.isNaN ? .infinity : diff - allowed) }
    }
    if let w = worst {
        Issue.record("\(what): element \(w.index) is \(actual[w.index]), expected \(expected[w.index]) (rtol \(rtol), atol \(atol))",
                     sourceLocation: sourceLocation)
    }
}

func expectClose(_ actual: Double, _ expected: Double, rtol: Double, atol: Double = 0, _ what: String,
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    expectClose([actual], [expected], rtol: rtol, atol: atol, what, sourceLocation: sourceLocation)
}

// MARK: - Builders

/// A context for deterministic forward/backward passes.
func makeContext(_ mode: Mode = .inference, gemm: GEMM = GEMM(kind: .builtin), seed: UInt64 = 7) -> LayerContext {
    LayerContext(mode: mode, rng: RNG(seed: seed), gemm: gemm)
}

/// A Dense layer built for `inputs` features in `dtype`, holding the given kernel (and bias).
func makeDense(units: Int, inputs: Int, activation: Activation, useBias: Bool = true,
               kernel: [Double], bias: [Double]? = nil, dtype: DType) throws -> Dense {
    var config = Dense.Config(units: units, activation: activation)
    config.useBias = useBias
    let layer = Dense(name: "dense", config: config)
    var rng = RNG(seed: 1)
    _ = try layer.build(inputShapes: [[inputs]], dtype: dtype, rng: &rng)
    for i in 0..<kernel.count { layer.kernel.value[i] = kernel[i] }
    if let bias, let b = layer.bias { for i in 0..<bias.count { b.value[i] = bias[i] } }
    return layer
}

/// Builds a layer of YAML type `type` from an empty option mapping (every option at its default)
/// through the built-in registry, as a model file `- type: {}` would.
func makeLayerWithDefaults(_ type: String, name: String = "layer") throws -> any Layer {
    let diagnostics = Diagnostics()
    let reader = try #require(MappingReader(ConfigNode(.mapping([])), path: name, diagnostics: diagnostics))
    let layer = try #require(LayerRegistry.builtIn.decodeConfig(type: type, options: reader)).makeLayer(name: name)
    #expect(diagnostics.errors.isEmpty)
    return layer
}

/// Fixed random values in [low, high) (a seeded stream), optionally kept at least `gap` away from zero.
func randomValues(_ count: Int, seed: UInt64, _ low: Double = -1, _ high: Double = 1, awayFromZero gap: Double = 0) -> [Double] {
    var rng = RNG(seed: seed)
    return (0..<count).map { _ in
        var v = rng.uniform(low, high)
        while abs(v) < gap { v = rng.uniform(low, high) }
        return v
    }
}
