import Foundation
import NNConfig
import Testing
@testable import NNLayers
import NNTensor

/// max_pool2d, average_pool2d and global_average_pool2d: gradient checks, reference values from
/// PyTorch (`Fixtures/layers3.json`, TensorFlow's `same` padding done by hand), shapes, errors and
/// config decoding.
@Suite("Pooling layers")
struct PoolingTests {
    // MARK: Gradient checks

    @Test("max_pool2d gradient check", arguments: [
        MaxPool2D.Config(poolSize: [2, 2]),                                  // valid, disjoint windows
        MaxPool2D.Config(poolSize: [3, 3], strides: [2, 2], padding: .same), // padding on both sides
        MaxPool2D.Config(poolSize: [3, 2], strides: [1, 1]),                 // overlapping windows
        MaxPool2D.Config(poolSize: [3, 3], strides: [1, 1], padding: .same),
    ])
    func maxPoolGradient(config: MaxPool2D.Config) throws {
        // Distinct values 2/count apart: no ties, and no ±1e-6 perturbation changes an argmax.
        let shape = [5, 6, 2], batch = 2
        var values = Layers3.distinctValues(batch * shape.reduce(1, *), seed: 5)
        let result = try GradientChecker.check(layer: MaxPool2D(name: "pool", config: config), inputShapes: [shape],
                                               batch: batch, input: { _ in values.removeLast() })
        #expect(result.checked == batch * shape.reduce(1, *))
        Layers3.expectPassed(result, "max_pool2d \(config.window)")
    }

    @Test("average_pool2d gradient check", arguments: [
        AveragePool2D.Config(poolSize: [2, 2]),
        AveragePool2D.Config(poolSize: [2, 3], strides: [1, 2]),
        AveragePool2D.Config(poolSize: [3, 3], strides: [2, 2], padding: .same), // padding excluded from the count
        AveragePool2D.Config(poolSize: [2, 2], padding: .same),                  // extra row/column at the end only
    ])
    func averagePoolGradient(config: AveragePool2D.Config) throws {
        let result = try GradientChecker.check(layer: AveragePool2D(name: "pool", config: config), inputShapes: [[5, 7, 2]], batch: 2)
        #expect(result.checked == 2 * 5 * 7 * 2)
        Layers3.expectPassed(result, "average_pool2d \(config.window)")
    }

    @Test("global_average_pool2d gradient check", arguments: [false, true])
    func globalAveragePoolGradient(keepdims: Bool) throws {
        let layer = GlobalAveragePool2D(name: "gap", config: .init(keepdims: keepdims))
        let result = try GradientChecker.check(layer: layer, inputShapes: [[3, 4, 5]], batch: 2)
        #expect(layer.outputShape == (keepdims ? [1, 1, 5] : [5]))
        #expect(result.checked == 2 * 60)
        Layers3.expectPassed(result, "global_average_pool2d keepdims \(keepdims)")
    }

    // MARK: Reference values (PyTorch)

    static let caseNames: [String] = (try? Layers3.load().pooling.map(\.name)) ?? ["fixture missing"]

    /// Runs fixture case `index` in `dtype`: (output, d input).
    static func run(_ index: Int, dtype: DType) throws -> (y: [Double], dx: [Double], expected: Layers3.PoolCase) {
        let c = try Layers3.load().pooling[index]
        let padding = try #require(PoolingWindow.Padding(rawValue: c.padding))
        let layer: any Layer = c.type == "max_pool2d"
            ? MaxPool2D(name: "pool", config: .init(poolSize: c.pool_size, strides: c.strides, padding: padding))
            : AveragePool2D(name: "pool", config: .init(poolSize: c.pool_size, strides: c.strides, padding: padding))
        let (y, dx) = try Layers3.run(layer, [c.input], upstream: c.upstream, dtype: dtype)
        return (y, dx[0], c)
    }

    @Test("float64 forward and backward match PyTorch to 1e-9", arguments: caseNames.indices)
    func referenceFloat64(index: Int) throws {
        let (y, dx, c) = try Self.run(index, dtype: .float64)
        expectClose(y, c.output.data, rtol: 1e-9, atol: 1e-15, "\(c.name) output")
        expectClose(dx, c.grad_input.data, rtol: 1e-9, atol: 1e-15, "\(c.name) d input")
    }

    @Test("float32 forward and backward match PyTorch to 1e-5", arguments: caseNames.indices)
    func referenceFloat32(index: Int) throws {
        let (y, dx, c) = try Self.run(index, dtype: .float32)
        expectClose(y, c.output.data, rtol: 1e-5, atol: 1e-6, "\(c.name) output")
        expectClose(dx, c.grad_input.data, rtol: 1e-5, atol: 1e-6, "\(c.name) d input")
    }

    @Test("the fixture covers valid and same padding for both pools, overlapping windows and odd sizes")
    func coverage() throws {
        let f = try Layers3.load()
        for type in ["max_pool2d", "average_pool2d"] {
            #expect(Set(f.pooling.filter { $0.type == type }.map(\.padding)) == ["valid", "same"])
            #expect(f.pooling.contains { $0.type == type && $0.strides[0] < $0.pool_size[0] })
            #expect(f.pooling.contains { $0.type == type && $0.padding == "same" && $0.input.shape[1] % 2 == 1 })
        }
        #expect(f.versions["torch"]?.hasPrefix("2.") == true)
    }

    @Test("global_average_pool2d matches PyTorch's mean over H and W", arguments: [DType.float64, .float32])
    func globalAveragePoolReference(dtype: DType) throws {
        let c = try Layers3.load().global_average_pool
        let (y, dx) = try Layers3.run(GlobalAveragePool2D(name: "gap", config: .init()), [c.input], upstream: c.upstream, dtype: dtype)
        let tol = dtype == .float64 ? 1e-9 : 1e-5
        expectClose(y, c.output.data, rtol: tol, atol: tol / 10, "output")
        expectClose(dx[0], c.grad_input.data, rtol: tol, atol: tol / 10, "d input")
    }

    // MARK: Semantics

    @Test("max_pool2d ties send the whole gradient to the first maximum in the window")
    func maxPoolTies() throws {
        let layer = MaxPool2D(name: "pool", config: .init())
        var rng = RNG(seed: 1)
        _ = try layer.build(inputShapes: [[2, 2, 1]], dtype: .float64, rng: &rng)
        var ctx = makeContext()
        let y = layer.forward([Tensor(shape: [1, 2, 2, 1], doubles: [0.5, 0.5, 0.5, 0.5])], &ctx)
        #expect(y.doubles == [0.5])
        let dx = try #require(layer.backward(Tensor(shape: [1, 1, 1, 1], doubles: [3]), needsInputGradient: true, &ctx)[0])
        #expect(dx.doubles == [3, 0, 0, 0])
    }

    @Test("average_pool2d with same padding divides by the positions inside the image")
    func averageExcludesPadding() throws {
        // 3x3 image of ones with a 3x3 window, stride 1, same: every output is exactly 1 (TF/Keras),
        // where counting the padding would give 4/9 in the corners.
        let layer = AveragePool2D(name: "pool", config: .init(poolSize: [3, 3], strides: [1, 1], padding: .same))
        var rng = RNG(seed: 1)
        _ = try layer.build(inputShapes: [[3, 3, 1]], dtype: .float64, rng: &rng)
        var ctx = makeContext()
        let y = layer.forward([Tensor(shape: [1, 3, 3, 1], doubles: Array(repeating: 1, count: 9))], &ctx)
        #expect(y.doubles == Array(repeating: 1, count: 9))
    }

    @Test("output shapes follow Keras: valid ⌊(in − pool) / stride⌋ + 1, same ⌈in / stride⌉")
    func outputShapes() throws {
        func shape(_ config: MaxPool2D.Config, _ input: [Int]) throws -> [Int] {
            var rng = RNG(seed: 1)
            return try MaxPool2D(name: "p", config: config).build(inputShapes: [input], dtype: .float32, rng: &rng)
        }
        #expect(try shape(.init(), [28, 28, 32]) == [14, 14, 32])
        #expect(try shape(.init(), [5, 7, 3]) == [2, 3, 3])
        #expect(try shape(.init(padding: .same), [5, 7, 3]) == [3, 4, 3])
        #expect(try shape(.init(poolSize: [3, 3], strides: [1, 1]), [5, 7, 3]) == [3, 5, 3])
        #expect(try shape(.init(poolSize: [3, 3], strides: [2, 1], padding: .same), [5, 7, 3]) == [3, 7, 3])
        #expect(try shape(.init(poolSize: [5, 5], padding: .same), [3, 3, 1]) == [1, 1, 1])
        // pool 3, stride 2 on 5 with same: total padding 2, one row on each side.
        let g = try MaxPool2D.Config(poolSize: [3, 3], strides: [2, 2], padding: .same).window.geometry(input: [5, 6, 1], layer: "p")
        #expect((g.padTop, g.padLeft, g.outHeight, g.outWidth) == (1, 0, 3, 3))
    }

    @Test("buffers are reused: the same output and gradient tensors batch after batch, smaller batches included")
    func buffersReused() throws {
        for layer in [MaxPool2D(name: "m", config: .init()) as any Layer, AveragePool2D(name: "a", config: .init()),
                      GlobalAveragePool2D(name: "g", config: .init())] {
            var rng = RNG(seed: 1)
            _ = try layer.build(inputShapes: [[4, 4, 3]], dtype: .float32, rng: &rng)
            var ctx = makeContext(.training)
            var outputs: [Tensor] = [], gradients: [Tensor] = []
            for batch in [4, 4, 2] {
                let x = Tensor(shape: [batch, 4, 4, 3], doubles: randomValues(batch * 48, seed: 3), dtype: .float32)
                let y = layer.forward([x], &ctx)
                outputs.append(y)
                let dy = Tensor(shape: y.shape, doubles: randomValues(y.count, seed: 4), dtype: .float32)
                gradients.append(try #require(layer.backward(dy, needsInputGradient: true, &ctx)[0]))
            }
            #expect(outputs.allSatisfy { $0 === outputs[0] } && gradients.allSatisfy { $0 === gradients[0] }, "\(layer.typeName)")
            #expect(outputs[2].shape[0] == 2)
        }
    }

    // MARK: Shape errors

    @Test("pooling a 1-D tensor is a LayerError naming the shape", arguments: ["max_pool2d", "average_pool2d", "global_average_pool2d"])
    func poolingFlatInput(type: String) throws {
        let layer = try Layers3.layer(type)
        var rng = RNG(seed: 1)
        let error = #expect(throws: LayerError.self) {
            try layer.build(inputShapes: [[64]], dtype: .float32, rng: &rng)
        }
        #expect(error?.message == "\(type) expects images [height, width, channels], got (None, 64)")
    }

    @Test("a window larger than its input with valid padding is a LayerError; with same padding it is fine")
    func windowTooLarge() throws {
        var rng = RNG(seed: 1)
        let error = #expect(throws: LayerError.self) {
            try MaxPool2D(name: "p", config: .init(poolSize: [3, 3])).build(inputShapes: [[2, 8, 4]], dtype: .float32, rng: &rng)
        }
        #expect(error?.message == "max_pool2d's pool_size 3x3 is larger than its input (None, 2, 8, 4) with padding valid; use a smaller pool_size or padding same")
        #expect(throws: LayerError.self) {
            try AveragePool2D(name: "p", config: .init(poolSize: [1, 9])).build(inputShapes: [[8, 8, 4]], dtype: .float32, rng: &rng)
        }
        #expect(try AveragePool2D(name: "p", config: .init(poolSize: [3, 3], padding: .same))
            .build(inputShapes: [[2, 2, 4]], dtype: .float32, rng: &rng) == [1, 1, 4])
    }

    @Test("pooling takes exactly one input")
    func oneInput() throws {
        var rng = RNG(seed: 1)
        #expect(throws: LayerError.self) {
            try MaxPool2D(name: "p", config: .init()).build(inputShapes: [[4, 4, 1], [4, 4, 1]], dtype: .float32, rng: &rng)
        }
    }

    // MARK: Config decoding

    @Test("defaults: pool_size 2, strides = pool_size, padding valid; keepdims false")
    func defaults() throws {
        for type in ["max_pool2d", "average_pool2d"] {
            let window = try #require(Layers3.window(try Layers3.decodeOK(type, [])))
            #expect(window == PoolingWindow(poolSize: [2, 2], strides: [2, 2], padding: .valid))
        }
        #expect(try Layers3.decodeOK("global_average_pool2d", []) as? GlobalAveragePool2D.Config == .init(keepdims: false))
    }

    @Test("accepted forms: an int or [h, w]; strides default to the pool size; padding same")
    func acceptedForms() throws {
        let i = ConfigNode.int, l = ConfigNode.ints
        let cases: [([(String, ConfigNode)], PoolingWindow)] = [
            ([("pool_size", i(3))], .init(poolSize: [3, 3], strides: [3, 3])),
            ([("pool_size", l([2, 3]))], .init(poolSize: [2, 3], strides: [2, 3])),
            ([("pool_size", i(3)), ("strides", i(1))], .init(poolSize: [3, 3], strides: [1, 1])),
            ([("strides", l([1, 2])), ("padding", Layers3.plain("same"))], .init(poolSize: [2, 2], strides: [1, 2], padding: .same)),
            ([("strides", .null)], .init(poolSize: [2, 2], strides: [2, 2])),
        ]
        for (options, expected) in cases {
            for type in ["max_pool2d", "average_pool2d"] {
                #expect(Layers3.window(try Layers3.decodeOK(type, options)) == expected, "\(type) \(options)")
            }
        }
        #expect(try Layers3.decodeOK("global_average_pool2d", [("keepdims", .bool(true))]) as? GlobalAveragePool2D.Config == .init(keepdims: true))
    }

    @Test("rejections name the key, the value received and what was expected")
    func rejections() {
        let range = "a whole number from 1 to 1000000"
        let cases: [([(String, ConfigNode)], String)] = [
            ([("pool_size", .int(0))], "layer.pool_size: received 0, expected \(range) or a list [height, width] of them"),
            ([("strides", .int(0))], "layer.strides: received 0, expected \(range) or a list [height, width] of them"),
            ([("strides", .int(-2))], "layer.strides: received -2, expected \(range) or a list [height, width] of them"),
            ([("strides", .ints([1, 0]))], "layer.strides[1]: received 0, expected \(range)"),
            ([("pool_size", .ints([2, 2, 2]))], "layer.pool_size: received a list of 3, expected \(range) or a list [height, width] of them"),
            ([("pool_size", .string("2"))], "layer.pool_size: received \"2\", expected \(range) or a list [height, width] of them"),
            ([("padding", Layers3.plain("sam"))], "layer.padding: received sam, expected one of: valid, same (did you mean \"same\"?)"),
            ([("pool_sise", .int(2))], "layer.pool_sise: unknown key \"pool_sise\"; expected one of: padding, pool_size, strides (did you mean \"pool_size\"?)"),
        ]
        for (options, message) in cases {
            for type in ["max_pool2d", "average_pool2d"] {
                #expect(Layers3.decode(type, options).errors == [message], "\(type) \(options)")
            }
        }
        #expect(Layers3.decode("global_average_pool2d", [("keepdim", .bool(true))]).errors
            == ["layer.keepdim: unknown key \"keepdim\"; expected one of: keepdims (did you mean \"keepdims\"?)"])
    }

    @Test("encode → decode gives the same config")
    func roundTrip() throws {
        try Layers3.expectRoundTrip(MaxPool2D.Config())
        try Layers3.expectRoundTrip(MaxPool2D.Config(poolSize: [3, 2], strides: [1, 2], padding: .same))
        try Layers3.expectRoundTrip(AveragePool2D.Config(poolSize: [3, 3], strides: [2, 2], padding: .same))
        try Layers3.expectRoundTrip(GlobalAveragePool2D.Config(keepdims: true))
        let encoded = MaxPool2D.Config(poolSize: [3, 3]).encode()
        #expect(encoded["strides"] == .ints([3, 3]), "the resolved strides are written out")
    }
}

// MARK: - Support shared by PoolingTests, BatchNormTests, MergeTests and ShapeLayerTests

/// Helpers for this layers (the `layers3` fixture, decoding through a registry).
enum Layers3 {
    struct PoolCase: Decodable, Sendable {
        var name: String
        var type: String
        var pool_size: [Int]
        var strides: [Int]
        var padding: String
        var input: FixtureTensor
        var upstream: FixtureTensor
        var output: FixtureTensor
        var grad_input: FixtureTensor
    }
    struct SimpleCase: Decodable, Sendable {
        var input: FixtureTensor
        var upstream: FixtureTensor
        var output: FixtureTensor
        var grad_input: FixtureTensor
        var size: [Int]?
        var padding: [[Int]]?
    }
    struct BatchNormPass: Decodable, Sendable {
        var output: FixtureTensor
        var grad_input: FixtureTensor
        var grad_gamma: FixtureTensor
        var grad_beta: FixtureTensor
        var moving_mean: FixtureTensor?
        var moving_variance: FixtureTensor?
        var torch_running_variance: FixtureTensor?
    }
    struct BatchNormCase: Decodable, Sendable {
        var name: String
        var momentum: Double
        var epsilon: Double
        var input: FixtureTensor
        var gamma: FixtureTensor
        var beta: FixtureTensor
        var moving_mean: FixtureTensor
        var moving_variance: FixtureTensor
        var upstream: FixtureTensor
        var training: BatchNormPass
        var inference: BatchNormPass
    }
    struct Fixture: Decodable, Sendable {
        var versions: [String: String]
        var pooling: [PoolCase]
        var global_average_pool: SimpleCase
        var up_sampling: SimpleCase
        var zero_padding: SimpleCase
        var batch_norm: [BatchNormCase]
    }

    /// `Fixtures/layers3.json` (from `Fixtures/generate_layers3.py`), loaded once per test process.
    static let shared: Result<Fixture, any Error> = Result {
        try JSONDecoder().decode(Fixture.self, from: fixtureData("layers3"))
    }

    static func load() throws -> Fixture { try shared.get() }

    /// The built-in registry plus this layers, registered as `LayerRegistry.builtIn` does.
    static let registry: LayerRegistry = {
        var r = LayerRegistry.builtIn
        r.register("max_pool2d") { _, o in MaxPool2D.Config(o) }
        r.register("average_pool2d") { _, o in AveragePool2D.Config(o) }
        r.register("global_average_pool2d") { _, o in GlobalAveragePool2D.Config(o) }
        r.register("reshape") { _, o in Reshape.Config(o) }
        r.register("zero_padding2d") { _, o in ZeroPadding2D.Config(o) }
        r.register("up_sampling2d") { _, o in UpSampling2D.Config(o) }
        r.register("batch_normalization") { _, o in BatchNormalization.Config(o) }
        r.register("add") { _, o in Add.Config(o) }
        r.register("concatenate") { _, o in Concatenate.Config(o) }
        return r
    }()

    /// A plain (unquoted) scalar, as YAML `same` reads.
    static func plain(_ text: String) -> ConfigNode { ConfigNode(.scalar(text: text, quoted: false)) }

    /// Decodes the option mapping `options` of a layer of type `type` (key path `layer`): the
    /// config and every error as its one-line text.
    static func decode(_ type: String, _ options: [(String, ConfigNode)]) -> (config: (any LayerConfig)?, errors: [String]) {
        decode(type, node: .map(options))
    }

    static func decode(_ type: String, node: ConfigNode) -> (config: (any LayerConfig)?, errors: [String]) {
        let diagnostics = Diagnostics()
        guard let reader = MappingReader(node, path: "layer", diagnostics: diagnostics) else {
            return (nil, diagnostics.errors.map(\.description))
        }
        let config = registry.decodeConfig(type: type, options: reader)
        return (config, diagnostics.errors.map(\.description))
    }

    /// Decodes and expects no error.
    static func decodeOK(_ type: String, _ options: [(String, ConfigNode)],
                         sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> any LayerConfig {
        let (config, errors) = decode(type, options)
        #expect(errors.isEmpty, "\(errors)", sourceLocation: sourceLocation)
        return try #require(config, sourceLocation: sourceLocation)
    }

    /// A layer of type `type` with every option at its default.
    static func layer(_ type: String) throws -> any Layer {
        try decodeOK(type, []).makeLayer(name: type)
    }

    static func window(_ config: any LayerConfig) -> PoolingWindow? {
        (config as? MaxPool2D.Config)?.window ?? (config as? AveragePool2D.Config)?.window
    }

    /// Expects `config.encode()` to decode, without errors, to an equal config.
    static func expectRoundTrip<C: LayerConfig & Equatable>(_ config: C, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let (decoded, errors) = decode(config.typeName, node: config.encode())
        #expect(errors.isEmpty, "\(errors)", sourceLocation: sourceLocation)
        #expect(decoded as? C == config, "\(config) → \(config.encode()) → \(String(describing: decoded))", sourceLocation: sourceLocation)
    }

    /// `count` distinct values in [-1, 1), 2 / count apart, in a seeded shuffled order.
    static func distinctValues(_ count: Int, seed: UInt64) -> [Double] {
        var values = (0..<count).map { Double(2 * $0 - count) / Double(count) }
        var rng = RNG(seed: seed)
        for i in stride(from: count - 1, to: 0, by: -1) {
            values.swapAt(i, Int(rng.nextDouble() * Double(i + 1)) % (i + 1))
        }
        return values
    }

    /// Builds `layer` (unless `build` is false: already built, holding chosen weights) for the
    /// fixture inputs' per-sample shapes in `dtype`, runs forward (training mode by default) and
    /// backward with `upstream`; returns the output and the input gradients.
    static func run(_ layer: any Layer, _ inputs: [FixtureTensor], upstream: FixtureTensor, dtype: DType,
                    mode: Mode = .training, build: Bool = true) throws -> (y: [Double], dx: [[Double]]) {
        var rng = RNG(seed: 1)
        if build { _ = try layer.build(inputShapes: inputs.map { Array($0.shape.dropFirst()) }, dtype: dtype, rng: &rng) }
        var ctx = makeContext(mode)
        let y = layer.forward(inputs.map { $0.tensor(dtype) }, &ctx)
        #expect(y.shape == upstream.shape)
        let y0 = y.doubles
        let dx = layer.backward(upstream.tensor(dtype), needsInputGradient: true, &ctx)
        return (y0, try dx.map { try #require($0).doubles })
    }

    /// A gradient check passed with every element within tolerance and a largest relative error
    /// below `bound` (GradientCheckTests' criterion).
    static func expectPassed(_ result: GradientChecker.Result, maxRelativeError bound: Double = 1e-6, _ what: String,
                             sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(result.passed, "\(what): \(result)", sourceLocation: sourceLocation)
        #expect(result.maxRelativeError < bound, "\(what): \(result)", sourceLocation: sourceLocation)
    }
}
