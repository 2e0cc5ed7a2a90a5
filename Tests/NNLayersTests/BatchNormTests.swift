import NNConfig
import Testing
@testable import NNLayers
import NNTensor

/// batch_normalization: gradient checks in both modes, reference values (PyTorch's batch norm for
/// outputs and gradients, Keras 3's biased-variance rule for the moving statistics, see
/// `Fixtures/generate_layers3.py`), the frozen-layer rule, and config decoding.
@Suite("Batch normalization")
struct BatchNormTests {
    /// A config whose γ, β and moving statistics start away from 1 and 0, so every term of the
    /// gradient matters.
    static func randomised(center: Bool = true, scale: Bool = true) -> BatchNormalization.Config {
        var config = BatchNormalization.Config(momentum: 0.9, epsilon: 1e-3, center: center, scale: scale)
        config.gammaInitializer = .randomUniform(min: 0.5, max: 1.5)
        config.betaInitializer = .randomUniform(min: -0.5, max: 0.5)
        config.movingMeanInitializer = .randomUniform(min: -0.3, max: 0.3)
        config.movingVarianceInitializer = .randomUniform(min: 0.5, max: 1.5)
        return config
    }

    // MARK: Gradient checks

    @Test("training mode gradient check (input, gamma, beta)", arguments: [[3, 3, 4], [5]])
    func trainingGradient(shape: [Int]) throws {
        let layer = BatchNormalization(name: "bn", config: Self.randomised())
        let batch = 4
        let result = try GradientChecker.check(layer: layer, inputShapes: [shape], batch: batch, mode: .training)
        let c = shape.last ?? 0
        #expect(result.checked == batch * shape.reduce(1, *) + 2 * c)
        #expect(layer.usedBatchStatistics)
        Layers3.expectPassed(result, "batch_normalization training \(shape)")
    }

    @Test("training mode gradient check without gamma and/or beta", arguments: [(false, true), (true, false), (false, false)])
    func trainingGradientWithoutAffine(center: Bool, scale: Bool) throws {
        let layer = BatchNormalization(name: "bn", config: Self.randomised(center: center, scale: scale))
        let result = try GradientChecker.check(layer: layer, inputShapes: [[2, 2, 3]], batch: 3, mode: .training)
        #expect(layer.parameters.map(\.name) == (scale ? ["gamma"] : []) + (center ? ["beta"] : []))
        #expect(layer.usedBatchStatistics)
        Layers3.expectPassed(result, "batch_normalization center \(center) scale \(scale)")
    }

    @Test("inference mode gradient check (the affine map with the moving statistics)", arguments: [[3, 3, 4], [5]])
    func inferenceGradient(shape: [Int]) throws {
        let layer = BatchNormalization(name: "bn", config: Self.randomised())
        let result = try GradientChecker.check(layer: layer, inputShapes: [shape], batch: 3, mode: .inference)
        #expect(!layer.usedBatchStatistics)
        Layers3.expectPassed(result, "batch_normalization inference \(shape)")
    }

    // MARK: Reference values

    static let caseNames: [String] = (try? Layers3.load().batch_norm.map(\.name)) ?? ["fixture missing"]

    /// A layer built for fixture case `c` in `dtype`, holding its γ, β and moving statistics.
    static func makeLayer(_ c: Layers3.BatchNormCase, dtype: DType) throws -> BatchNormalization {
        let layer = BatchNormalization(name: "bn", config: .init(momentum: c.momentum, epsilon: c.epsilon))
        var rng = RNG(seed: 1)
        _ = try layer.build(inputShapes: [Array(c.input.shape.dropFirst())], dtype: dtype, rng: &rng)
        let targets = [try #require(layer.gamma), try #require(layer.beta), layer.movingMean, layer.movingVariance]
        for (p, values) in zip(targets, [c.gamma, c.beta, c.moving_mean, c.moving_variance]) {
            for i in 0..<values.data.count { p.value[i] = values.data[i] }
        }
        return layer
    }

    /// Forward and backward of case `index` in `mode`; compares with the fixture.
    static func compare(_ index: Int, _ mode: Mode, dtype: DType, rtol: Double, atol: Double) throws {
        let c = try Layers3.load().batch_norm[index]
        let layer = try makeLayer(c, dtype: dtype)
        let (y, dx) = try Layers3.run(layer, [c.input], upstream: c.upstream, dtype: dtype, mode: mode, build: false)
        let expected = mode == .training ? c.training : c.inference
        let what = "\(c.name) \(mode) \(dtype)"
        expectClose(y, expected.output.data, rtol: rtol, atol: atol, what + " output")
        expectClose(dx[0], expected.grad_input.data, rtol: rtol, atol: atol, what + " d input")
        expectClose(try #require(layer.gamma).gradient.doubles, expected.grad_gamma.data, rtol: rtol, atol: atol, what + " d gamma")
        expectClose(try #require(layer.beta).gradient.doubles, expected.grad_beta.data, rtol: rtol, atol: atol, what + " d beta")
        let (mean, variance) = mode == .training
            ? (try #require(expected.moving_mean).data, try #require(expected.moving_variance).data)
            : (c.moving_mean.data, c.moving_variance.data) // inference leaves them alone
        expectClose(layer.movingMean.value.doubles, mean, rtol: rtol, atol: atol, what + " moving mean")
        expectClose(layer.movingVariance.value.doubles, variance, rtol: rtol, atol: atol, what + " moving variance")
    }

    @Test("float64 training and inference match the reference to 1e-9", arguments: caseNames.indices)
    func referenceFloat64(index: Int) throws {
        try Self.compare(index, .training, dtype: .float64, rtol: 1e-9, atol: 1e-12)
        try Self.compare(index, .inference, dtype: .float64, rtol: 1e-9, atol: 1e-12)
    }

    @Test("float32 training and inference match the reference to 1e-5", arguments: caseNames.indices)
    func referenceFloat32(index: Int) throws {
        // Outputs and gradients are O(1); float32 rounding of the centred values gives ~1e-7 absolute.
        try Self.compare(index, .training, dtype: .float32, rtol: 1e-5, atol: 1e-6)
        try Self.compare(index, .inference, dtype: .float32, rtol: 1e-5, atol: 1e-6)
    }

    @Test("the fixture covers images and flat features; the moving variance follows Keras (biased), not PyTorch")
    func keepsKerasVariance() throws {
        let f = try Layers3.load()
        #expect(f.batch_norm.map { $0.input.shape.count }.sorted() == [2, 4])
        for c in f.batch_norm {
            let m = Double(c.input.data.count / (c.input.shape.last ?? 1))
            let ours = try #require(c.training.moving_variance).data, torch = try #require(c.training.torch_running_variance).data
            for k in ours.indices {
                // torch − ours = (1 − momentum) · σ² · (m / (m − 1) − 1), and σ² > 0 here.
                let batchVariance = (ours[k] - c.momentum * c.moving_variance.data[k]) / (1 - c.momentum)
                expectClose(torch[k] - ours[k], (1 - c.momentum) * batchVariance / (m - 1), rtol: 1e-9, "\(c.name) channel \(k)")
                #expect(torch[k] > ours[k])
            }
        }
    }

    // MARK: Modes and state

    @Test("a frozen layer in a training context runs in inference mode and leaves its moving statistics alone")
    func frozenUsesInference() throws {
        let c = try Layers3.load().batch_norm[0]
        let layer = try Self.makeLayer(c, dtype: .float64)
        for p in layer.parameters { p.isTrainable = false }
        let (y, dx) = try Layers3.run(layer, [c.input], upstream: c.upstream, dtype: .float64, mode: .training, build: false)
        #expect(!layer.usedBatchStatistics)
        #expect(layer.movingMean.value.doubles == c.moving_mean.data)
        #expect(layer.movingVariance.value.doubles == c.moving_variance.data)
        expectClose(y, c.inference.output.data, rtol: 1e-9, atol: 1e-12, "frozen output = inference output")
        expectClose(dx[0], c.inference.grad_input.data, rtol: 1e-9, atol: 1e-12, "frozen d input = the affine map's")
        for p in layer.parameters { #expect(p.gradient.doubles.allSatisfy { $0 == 0 }, "\(p.name) got a gradient") }
    }

    @Test("inference forward never touches the moving statistics; training steps compound them")
    func movingStatistics() throws {
        let c = try Layers3.load().batch_norm[0]
        let layer = try Self.makeLayer(c, dtype: .float64)
        var ctx = makeContext(.inference)
        _ = layer.forward([c.input.tensor()], &ctx)
        #expect(layer.movingMean.value.doubles == c.moving_mean.data)
        ctx.mode = .training
        _ = layer.forward([c.input.tensor()], &ctx)
        _ = layer.forward([c.input.tensor()], &ctx)
        // Same batch twice: moving₂ = moving₁ · momentum + batch · (1 − momentum), batch recovered from moving₁.
        let m1 = try #require(c.training.moving_mean).data, v1 = try #require(c.training.moving_variance).data
        let mom = c.momentum
        let batchMean = m1.indices.map { (m1[$0] - mom * c.moving_mean.data[$0]) / (1 - mom) }
        let batchVariance = v1.indices.map { (v1[$0] - mom * c.moving_variance.data[$0]) / (1 - mom) }
        expectClose(layer.movingMean.value.doubles, m1.indices.map { m1[$0] * mom + batchMean[$0] * (1 - mom) }, rtol: 1e-9, atol: 1e-12, "mean after 2 steps")
        expectClose(layer.movingVariance.value.doubles, v1.indices.map { v1[$0] * mom + batchVariance[$0] * (1 - mom) }, rtol: 1e-9, "variance after 2 steps")
    }

    @Test("backward adds into gamma and beta gradients (two passes give twice the gradient)")
    func gradientsAccumulate() throws {
        let c = try Layers3.load().batch_norm[1]
        let layer = try Self.makeLayer(c, dtype: .float64)
        var ctx = makeContext(.training)
        for _ in 0..<2 {
            _ = layer.forward([c.input.tensor()], &ctx)
            _ = layer.backward(c.upstream.tensor(), needsInputGradient: false, &ctx)
        }
        expectClose(try #require(layer.gamma).gradient.doubles, c.training.grad_gamma.data.map { 2 * $0 }, rtol: 1e-9, "2 × d gamma")
        expectClose(try #require(layer.beta).gradient.doubles, c.training.grad_beta.data.map { 2 * $0 }, rtol: 1e-9, "2 × d beta")
    }

    @Test("parameters gamma, beta; buffers moving_mean, moving_variance (non-trainable); defaults ones and zeros")
    func parametersAndBuffers() throws {
        let layer = try Layers3.layer("batch_normalization")
        var rng = RNG(seed: 1)
        #expect(try layer.build(inputShapes: [[4, 4, 3]], dtype: .float32, rng: &rng) == [4, 4, 3])
        #expect(layer.parameters.map(\.name) == ["gamma", "beta"])
        #expect(layer.parameters.allSatisfy { $0.isTrainable })
        #expect(layer.buffers.map(\.name) == ["moving_mean", "moving_variance"])
        #expect(layer.buffers.allSatisfy { !$0.isTrainable })
        #expect(layer.parameterCount == 6)
        #expect((layer.parameters + layer.buffers).map(\.value.doubles) == [[1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1]])
        let flat = BatchNormalization(name: "bn", config: .init(center: false))
        #expect(try flat.build(inputShapes: [[7]], dtype: .float64, rng: &rng) == [7])
        #expect(flat.parameters.map(\.name) == ["gamma"])
        let error = #expect(throws: LayerError.self) {
            try BatchNormalization(name: "bn", config: .init()).build(inputShapes: [[]], dtype: .float32, rng: &rng)
        }
        #expect(error?.message.hasPrefix("batch_normalization needs at least one axis per sample") == true)
    }

    @Test("without gamma and beta the layer follows the context's mode")
    func noParametersFollowsContext() throws {
        let layer = BatchNormalization(name: "bn", config: .init(center: false, scale: false))
        var rng = RNG(seed: 1)
        _ = try layer.build(inputShapes: [[3]], dtype: .float64, rng: &rng)
        var ctx = makeContext(.training)
        let y = layer.forward([Tensor(shape: [2, 3], doubles: [1, 2, 3, 3, 2, 1])], &ctx)
        #expect(layer.usedBatchStatistics)
        // Each channel is {a, b}: normalised to ±|a − b| / 2 / √((a − b)² / 4 + ε).
        let expected = (1 / (1 + 1e-3).squareRoot())
        expectClose(y.doubles, [-expected, 0, expected, expected, 0, -expected], rtol: 1e-12, "normalised")
    }

    @Test("float32 statistics stay accurate for values far from zero (accumulated in Double, centred first)")
    func float32LargeOffset() throws {
        let layer = BatchNormalization(name: "bn", config: .init())
        var rng = RNG(seed: 1)
        _ = try layer.build(inputShapes: [[1]], dtype: .float32, rng: &rng)
        var ctx = makeContext(.training)
        let values = (0..<1000).map { 1000 + Double($0 % 2 == 0 ? 1 : -1) * 0.5 }
        let y = layer.forward([Tensor(shape: [1000, 1], doubles: values, dtype: .float32)], &ctx)
        let expected = 0.5 / (0.25 + 1e-3).squareRoot()
        expectClose(y.doubles, values.map { $0 > 1000 ? expected : -expected }, rtol: 1e-4, "normalised")
    }

    // MARK: Config decoding

    @Test("defaults are Keras': momentum 0.99, epsilon 0.001, center, scale, zeros/ones initializers")
    func defaults() throws {
        let config = try #require(try Layers3.decodeOK("batch_normalization", []) as? BatchNormalization.Config)
        #expect(config == BatchNormalization.Config())
        #expect(config.momentum == 0.99 && config.epsilon == 1e-3 && config.center && config.scale)
        #expect([config.betaInitializer, config.gammaInitializer, config.movingMeanInitializer, config.movingVarianceInitializer]
            == [.constant(0), .constant(1), .constant(0), .constant(1)])
    }

    @Test("every option decodes")
    func options() throws {
        let config = try #require(try Layers3.decodeOK("batch_normalization", [
            ("momentum", .double(0.9)), ("epsilon", .double(1e-5)), ("center", .bool(false)), ("scale", .bool(false)),
            ("beta_initializer", .string("ones")), ("gamma_initializer", .string("zeros")),
            ("moving_mean_initializer", .map([("constant", .map([("value", .double(0.5))]))])),
            ("moving_variance_initializer", .string("he_normal")),
        ]) as? BatchNormalization.Config)
        var expected = BatchNormalization.Config(momentum: 0.9, epsilon: 1e-5, center: false, scale: false)
        expected.betaInitializer = .constant(1)
        expected.gammaInitializer = .constant(0)
        expected.movingMeanInitializer = .constant(0.5)
        expected.movingVarianceInitializer = .heNormal
        #expect(config == expected)
    }

    @Test("rejections: momentum outside [0, 1], epsilon <= 0, misspelt keys")
    func rejections() {
        let cases: [([(String, ConfigNode)], String)] = [
            ([("momentum", .double(1.5))], "layer.momentum: received 1.5, expected a number from 0 to 1"),
            ([("epsilon", .int(0))], "layer.epsilon: received 0, expected a number > 0"),
            ([("center", .string("yes"))], "layer.center: received \"yes\", expected true or false"),
            ([("momentun", .double(0.9))], "layer.momentun: unknown key \"momentun\"; expected one of: beta_initializer, center, epsilon, gamma_initializer, momentum, moving_mean_initializer, moving_variance_initializer, scale (did you mean \"momentum\"?)"),
        ]
        for (options, message) in cases {
            #expect(Layers3.decode("batch_normalization", options).errors == [message], "\(options)")
        }
        #expect(Layers3.decode("batch_normalization", [("gamma_initializer", .string("one"))]).errors.first?
            .contains("did you mean \"ones\"") == true)
    }

    @Test("encode → decode gives the same config")
    func roundTrip() throws {
        try Layers3.expectRoundTrip(BatchNormalization.Config())
        try Layers3.expectRoundTrip(Self.randomised(center: false))
        try Layers3.expectRoundTrip(BatchNormalization.Config(momentum: 0, epsilon: 1e-7, center: true, scale: false))
    }
}
