import Foundation
import Testing
import NNLayers
import NNTensor
@testable import NNTraining

/// `Fixtures/optimizers.json`, written by `Fixtures/generate_optimizers.py`: Keras 3 (JAX backend,
/// float64) weights after each of three `apply_gradients` steps from w0 with gradients g1, g2, g3.
struct OptimizerFixture: Decodable, Sendable {
    struct Config: Decodable, Sendable {
        var learning_rate: Double
        var momentum: Double?
        var nesterov: Bool?
        var beta_1: Double?
        var beta_2: Double?
        var epsilon: Double?
        var rho: Double?
        var weight_decay: Double?
        var clipnorm: Double?
        var clipvalue: Double?
        var global_clipnorm: Double?
    }
    struct Case: Decodable, Sendable {
        var name: String
        var optimizer: String
        var config: Config
        var steps: [[Double]]
    }
    var versions: [String: String]
    var shape: [Int]
    var w0: [Double]
    var gradients: [[Double]]
    var cases: [Case]

    static let shared: Result<OptimizerFixture, any Error> = Result {
        guard let url = Bundle.module.url(forResource: "optimizers", withExtension: "json", subdirectory: "Fixtures") else {
            throw FixtureMissing()
        }
        return try JSONDecoder().decode(OptimizerFixture.self, from: Data(contentsOf: url))
    }

    static func load() throws -> OptimizerFixture { try shared.get() }
}

private struct FixtureMissing: Error, CustomStringConvertible {
    var description: String { "fixture Fixtures/optimizers.json not found in the test bundle" }
}

extension OptimizerFixture.Case {
    /// The same optimizer through nnrun's recipe configuration (every Keras option spelled out).
    var optimizerConfig: OptimizerConfig? {
        let c = config
        let rule: OptimizerConfig.Rule
        switch optimizer {
        case "sgd": rule = .sgd(learningRate: c.learning_rate, momentum: c.momentum ?? 0, nesterov: c.nesterov ?? false)
        case "adam", "adamw":
            guard let b1 = c.beta_1, let b2 = c.beta_2, let eps = c.epsilon else { return nil }
            rule = optimizer == "adam" ? .adam(learningRate: c.learning_rate, beta1: b1, beta2: b2, epsilon: eps)
                : .adamw(learningRate: c.learning_rate, beta1: b1, beta2: b2, epsilon: eps)
        case "rmsprop":
            guard let rho = c.rho, let eps = c.epsilon else { return nil }
            rule = .rmsprop(learningRate: c.learning_rate, rho: rho, momentum: c.momentum ?? 0, epsilon: eps)
        default: return nil
        }
        return OptimizerConfig(rule, options: OptimizerOptions(weightDecay: c.weight_decay, clipnorm: c.clipnorm,
                                                               clipvalue: c.clipvalue, globalClipnorm: c.global_clipnorm))
    }
}

@Suite("Optimizers against Keras")
struct OptimizerTests {
    static let caseNames: [String] = {
        guard let fixture = try? OptimizerFixture.load() else { return ["fixture missing"] }
        return fixture.cases.map(\.name)
    }()

    /// Runs the fixture's three steps in `dtype`; returns the weights after each step.
    static func trajectory(_ name: String, dtype: DType) throws -> (got: [[Double]], expected: [[Double]]) {
        let fixture = try OptimizerFixture.load()
        let c = try #require(fixture.cases.first { $0.name == name })
        let config = try #require(c.optimizerConfig, "unknown optimizer \(c.optimizer)")
        let optimizer = config.make()
        #expect(optimizer.name == c.optimizer)
        let p = Parameter(name: "kernel", value: Tensor(shape: fixture.shape, doubles: fixture.w0, dtype: dtype))
        var got: [[Double]] = []
        for g in fixture.gradients {
            for i in 0..<g.count { p.gradient[i] = g[i] }
            optimizer.step([p])
            got.append(p.value.doubles)
        }
        return (got, c.steps)
    }

    @Test("float64 weights after 3 steps match Keras to 1e-12", arguments: caseNames)
    func float64(name: String) throws {
        let (got, expected) = try Self.trajectory(name, dtype: .float64)
        #expect(got.count == 3 && expected.count == 3)
        for (k, (g, e)) in zip(got, expected).enumerated() {
            Self.expectClose(g, e, rtol: 1e-12, "\(name) step \(k + 1)")
        }
    }

    @Test("float32 weights after 3 steps match Keras to 1e-6", arguments: caseNames)
    func float32(name: String) throws {
        let (got, expected) = try Self.trajectory(name, dtype: .float32)
        for (k, (g, e)) in zip(got, expected).enumerated() {
            Self.expectClose(g, e, rtol: 1e-6, "\(name) step \(k + 1)")
        }
    }

    @Test("the fixture covers SGD (plain, momentum, Nesterov), Adam (default, custom), RMSprop (default, momentum), AdamW, weight decay and the three clippings")
    func coverage() throws {
        let fixture = try OptimizerFixture.load()
        #expect(Set(fixture.cases.map(\.name))
            == ["sgd", "sgd_momentum", "sgd_nesterov", "adam", "adam_custom", "rmsprop", "rmsprop_momentum",
                "sgd_weight_decay", "adam_weight_decay", "adamw", "adamw_custom", "rmsprop_weight_decay", "sgd_clipnorm",
                "sgd_clipvalue", "adam_global_clipnorm"])
        #expect(fixture.versions["keras"] == "3.15.1")
        #expect(fixture.gradients.count == 3)
    }

    static let allOptimizers: [OptimizerConfig] = [
        .sgd(learningRate: 0.1, momentum: 0, nesterov: false),
        .sgd(learningRate: 0.1, momentum: 0.9, nesterov: true),
        .adam(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7),
        .rmsprop(learningRate: 0.01, rho: 0.9, momentum: 0.5, epsilon: 1e-7),
    ]

    @Test("a frozen parameter is left alone; the trainable one moves", arguments: allOptimizers)
    func frozen(config: OptimizerConfig) throws {
        let optimizer = config.make()
        let w = [0.5, -1.0, 2.0]
        let frozen = Parameter(name: "kernel", value: Tensor(shape: [3], doubles: w))
        let trainable = Parameter(name: "bias", value: Tensor(shape: [3], doubles: w))
        frozen.isTrainable = false
        for p in [frozen, trainable] { for i in 0..<3 { p.gradient[i] = [0.3, -0.2, 0.1][i] } }
        for _ in 0..<3 { optimizer.step([frozen, trainable]) }
        #expect(frozen.value.doubles == w)
        #expect(zip(trainable.value.doubles, w).allSatisfy { $0 != $1 })
        // Unfreezing later starts from the frozen values, with fresh slots.
        frozen.isTrainable = true
        optimizer.step([frozen, trainable])
        #expect(frozen.value.doubles != w)
    }

    @Test("optimizers keep separate slots per parameter")
    func separateSlots() throws {
        // Two identical parameters stepped together must stay identical to one stepped alone.
        let config = OptimizerConfig.adam(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7)
        let together = config.make(), alone = config.make()
        let a = Parameter(name: "a", value: Tensor(shape: [2], doubles: [1, 2]))
        let b = Parameter(name: "b", value: Tensor(shape: [2], doubles: [1, 2]))
        let c = Parameter(name: "c", value: Tensor(shape: [2], doubles: [1, 2]))
        for step in 0..<3 {
            for p in [a, b, c] { p.gradient[0] = Double(step) - 0.5; p.gradient[1] = 0.25 }
            together.step([a, b])
            alone.step([c])
        }
        #expect(a.value.doubles == c.value.doubles)
        #expect(b.value.doubles == c.value.doubles)
    }

    @Test("configs decode Keras' defaults and build the matching optimizer")
    func defaults() throws {
        let sgd = try #require(OptimizerConfig.sgd(learningRate: 0.01, momentum: 0, nesterov: false).make() as? SGD)
        #expect(sgd.learningRate == 0.01 && sgd.momentum == 0 && !sgd.nesterov)
        let adam = Adam()
        #expect(adam.learningRate == 0.001 && adam.beta1 == 0.9 && adam.beta2 == 0.999 && adam.epsilon == 1e-7)
        let rms = RMSprop()
        #expect(rms.learningRate == 0.001 && rms.rho == 0.9 && rms.momentum == 0 && rms.epsilon == 1e-7)
    }

    /// Expects `actual ≈ expected` elementwise: |a − e| ≤ atol + rtol · |e|, reporting the worst element.
    static func expectClose(_ actual: [Double], _ expected: [Double], rtol: Double, atol: Double = 0, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        guard actual.count == expected.count else {
            Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
            return
        }
        var worst: (index: Int, excess: Double)?
        for i in actual.indices {
            let allowed = atol + rtol * abs(expected[i])
            let diff = abs(actual[i] - expected[i])
            if !(diff <= allowed), diff.isNaN || diff - allowed > (worst?.excess ?? -1) { worst = (i, diff.isNaN ? .infinity : diff - allowed) }
        }
        if let w = worst {
            Issue.record("\(what): element \(w.index) is \(actual[w.index]), expected \(expected[w.index]) (rtol \(rtol), atol \(atol))",
                         sourceLocation: sourceLocation)
        }
    }
}
