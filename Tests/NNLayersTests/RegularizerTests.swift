import NNConfig
import Testing
@testable import NNLayers
import NNTensor

/// `kernel_regularizer` / `bias_regularizer`: decoding (Keras 3's defaults, errors), encoding, and
/// finite-difference checks of the penalty-included objective. The values against Keras are in
/// NNModelTests/RegularizationKerasTests.swift (they go through the YAML loader).
@Suite("Weight regularisers")
struct RegularizerTests {
    static func decode(_ type: String, _ pairs: [(String, ConfigNode)]) throws -> (config: any LayerConfig, errors: [String]) {
        let diagnostics = Diagnostics()
        let reader = try #require(MappingReader(.map(pairs), path: "layers[0].\(type)", diagnostics: diagnostics))
        let config = try #require(LayerRegistry.builtIn.decodeConfig(type: type, options: reader))
        return (config, diagnostics.errors.map(\.description))
    }

    @Test("bare names take Keras 3's defaults; mappings their factors; l1_l2 missing keys are 0")
    func defaults() throws {
        let cases: [(ConfigNode, Regularizer)] = [
            (.string("l2"), Regularizer(kind: .l2, l1: 0, l2: 0.01)),
            (.string("l1"), Regularizer(kind: .l1, l1: 0.01, l2: 0)),
            (.map([("l2", .double(1e-4))]), Regularizer(kind: .l2, l1: 0, l2: 1e-4)),
            (.map([("l1", .map([]))]), Regularizer(kind: .l1, l1: 0.01, l2: 0)),
            (.map([("l1_l2", .map([("l2", .double(0.5))]))]), Regularizer(kind: .l1_l2, l1: 0, l2: 0.5)),
            (.map([("l1_l2", .map([("l1", .double(0.01)), ("l2", .double(0.02))]))]), Regularizer(kind: .l1_l2, l1: 0.01, l2: 0.02)),
        ]
        for (node, expected) in cases {
            let (config, errors) = try Self.decode("dense", [("units", .int(2)), ("kernel_regularizer", node)])
            #expect(errors.isEmpty, "\(node.brief): \(errors)")
            let dense = try #require(config as? Dense.Config)
            #expect(dense.kernelRegularizer == expected)
            #expect(dense.biasRegularizer == nil)
        }
    }

    @Test("encode shows the regularisers and decodes back equal, for dense, conv2d and conv2d_transpose",
          arguments: ["dense", "conv2d", "conv2d_transpose"])
    func roundTrip(type: String) throws {
        let size: [(String, ConfigNode)] = type == "dense" ? [("units", .int(3))] : [("filters", .int(2)), ("kernel_size", .int(3))]
        let (config, errors) = try Self.decode(type, size + [
            ("kernel_regularizer", .map([("l1_l2", .map([("l1", .double(0.01))]))])), ("bias_regularizer", .string("l2"))])
        #expect(errors.isEmpty)
        let encoded = config.encode()
        #expect(encoded["kernel_regularizer"]?["l1_l2"]?["l1"]?.scalarText == "0.01")
        #expect(encoded["kernel_regularizer"]?["l1_l2"]?["l2"]?.scalarText == "0.0")
        #expect(encoded["bias_regularizer"]?["l2"]?.scalarText == "0.01")
        let (again, errors2) = try Self.decode(type, encoded.entries?.map { ($0.key, $0.value) } ?? [])
        #expect(errors2.isEmpty)
        #expect(again.encode().jsonText() == encoded.jsonText())
        // Without regularisers, nothing is added to the encoded options (model.json stays as before).
        let (plain, _) = try Self.decode(type, size)
        #expect(plain.encode()["kernel_regularizer"] == nil && plain.encode()["bias_regularizer"] == nil)
    }

    @Test("bad regularisers are one-line errors with the key path, value and did-you-mean")
    func errors() throws {
        let cases: [(ConfigNode, String)] = [
            (.string("l3"), #"layers[0].dense.kernel_regularizer: unknown regularizer "l3"; expected one of: l1, l2, l1_l2 (did you mean "l1"?)"#),
            (.map([("l2", .int(-1))]), "layers[0].dense.kernel_regularizer.l2: received -1, expected a number >= 0 (the penalty factor)"),
            (.map([("l2", .string("big"))]), #"layers[0].dense.kernel_regularizer.l2: received "big", expected a number >= 0 (the penalty factor)"#),
            (.string("l1_l2"), "layers[0].dense.kernel_regularizer: received \"l1_l2\" without factors, expected {l1_l2: {l1: 0.01, l2: 0.01}} (Keras has no bare l1_l2: its factors default to 0)"),
            (.map([("l1_l2", .map([("l1", .double(0.1)), ("l22", .double(0.1))]))]), "did you mean \"l2\""),
        ]
        for (node, expected) in cases {
            let (_, errors) = try Self.decode("dense", [("units", .int(2)), ("kernel_regularizer", node)])
            #expect(errors.count == 1, "\(errors)")
            #expect(errors.first?.contains(expected) == true, "\(errors.first ?? "no error") should contain \(expected)")
        }
    }

    @Test("penalty and gradient: l1·Σ|w| + l2·Σw², gradient l1·sign(w) + 2·l2·w, in float32 and float64",
          arguments: [DType.float32, .float64])
    func penaltyValues(dtype: DType) {
        let w = Tensor(shape: [4], doubles: [0.5, -2, 0, 1.25], dtype: dtype)
        let r = Regularizer(l1: 0.1, l2: 0.3)
        #expect(r.kind == .l1_l2)
        #expect(abs(r.penalty(w) - (0.1 * 3.75 + 0.3 * (0.25 + 4 + 1.5625))) < 1e-12)
        let g = Tensor(shape: [4], doubles: [1, 1, 1, 1], dtype: dtype)
        r.addGradient(of: w, into: g)
        let expected = [1 + 0.1 + 0.3, 1 - 0.1 - 1.2, 1, 1 + 0.1 + 0.75]
        for i in 0..<4 { #expect(abs(g[i] - expected[i]) < 1e-6) }
    }

    /// Layers with a non-zero bias (so its penalty matters) and the given regularisers.
    static let regularizedLayers: [(String, [(String, ConfigNode)], [[Int]])] = [
        ("dense", [("units", .int(3)), ("activation", .string("tanh"))], [[4]]),
        ("conv2d", [("filters", .int(2)), ("kernel_size", .int(2)), ("padding", .string("same"))], [[3, 3, 2]]),
        ("conv2d_transpose", [("filters", .int(2)), ("kernel_size", .int(2)), ("strides", .int(2))], [[2, 2, 1]]),
    ]

    @Test("finite differences of the objective plus the penalties match the analytic gradients",
          arguments: 0..<regularizedLayers.count)
    func gradientCheck(index: Int) throws {
        let (type, options, shapes) = Self.regularizedLayers[index]
        let (config, errors) = try Self.decode(type, options + [
            ("kernel_regularizer", .map([("l1_l2", .map([("l1", .double(0.05)), ("l2", .double(0.2))]))])),
            ("bias_regularizer", .map([("l1", .double(0.3))])),
            ("bias_initializer", .map([("random_uniform", .map([("minval", .double(-1)), ("maxval", .double(1))]))])),
        ])
        #expect(errors.isEmpty)
        let layer = config.makeLayer(name: type)
        let result = try GradientChecker.check(layer: layer, inputShapes: shapes, batch: 2)
        #expect(result.passed, "\(type): \(result)")
        #expect(result.maxRelativeError < 1e-6, "\(type): \(result)")
        let regularized = try #require(layer as? any Regularized)
        #expect(regularized.regularizationLoss() > 0.01)
    }
}
