import NNConfig
import Testing
@testable import NNLayers
import NNTensor

/// `spatial_dropout2d` (Keras' SpatialDropout2D): whole channels dropped per sample, kept ones
/// scaled by 1/(1 − rate), identity in inference, seeded, gradient-checked.
@Suite("spatial_dropout2d")
struct SpatialDropoutTests {
    static func run(_ layer: SpatialDropout2D, _ x: Tensor, mode: Mode = .training, seed: UInt64 = 7) -> Tensor {
        var ctx = LayerContext(mode: mode, rng: RNG(seed: seed), gemm: GEMM(kind: .builtin))
        return layer.forward([x], &ctx).clone()
    }

    static func input(_ dtype: DType, batch: Int = 4, shape: [Int] = [3, 2, 8]) -> Tensor {
        let n = batch * shape.reduce(1, *)
        return Tensor(shape: [batch] + shape, doubles: (0..<n).map { 1 + Double($0 % 97) / 10 }, dtype: dtype)
    }

    @Test("each (sample, channel) map is either all zero or all x/(1 − rate)", arguments: [DType.float32, .float64])
    func wholeChannels(dtype: DType) throws {
        let layer = SpatialDropout2D(name: "sd", rate: 0.5)
        var rng = RNG(seed: 1)
        #expect(try layer.build(inputShapes: [[3, 2, 8]], dtype: dtype, rng: &rng) == [3, 2, 8])
        let x = Self.input(dtype), y = Self.run(layer, x)
        var dropped = 0
        for n in 0..<4 {
            for c in 0..<8 {
                let ratios = (0..<6).map { p in let i = n * 48 + p * 8 + c; return y[i] / x[i] }
                #expect(ratios.allSatisfy { $0 == 0 } || ratios.allSatisfy { abs($0 - 2) < 1e-6 }, "sample \(n) channel \(c): \(ratios)")
                if ratios[0] == 0 { dropped += 1 }
            }
        }
        // 32 independent channel draws at rate 0.5: some dropped, some kept (fixed seed).
        #expect(dropped > 4 && dropped < 28, "\(dropped) of 32 channels dropped")
    }

    @Test("the same seed gives the same mask; another seed another; inference is the identity")
    func seeded() throws {
        let layer = SpatialDropout2D(name: "sd", rate: 0.3)
        var rng = RNG(seed: 1)
        _ = try layer.build(inputShapes: [[3, 2, 8]], dtype: .float32, rng: &rng)
        let x = Self.input(.float32)
        #expect(Self.run(layer, x, seed: 3).floats == Self.run(layer, x, seed: 3).floats)
        #expect(Self.run(layer, x, seed: 3).floats != Self.run(layer, x, seed: 4).floats)
        #expect(Self.run(layer, x, mode: .inference).floats == x.floats)
    }

    @Test("the kept fraction of 2,000 channels is near 1 − rate")
    func keptFraction() throws {
        let layer = SpatialDropout2D(name: "sd", rate: 0.25)
        var rng = RNG(seed: 1)
        _ = try layer.build(inputShapes: [[1, 1, 100]], dtype: .float64, rng: &rng)
        let x = Tensor(shape: [20, 1, 1, 100], doubles: Array(repeating: 1, count: 2000))
        let kept = Self.run(layer, x).doubles.filter { $0 != 0 }
        #expect(kept.allSatisfy { abs($0 - 4.0 / 3.0) < 1e-12 })
        // Binomial(2000, 0.75): mean 1500, standard deviation 19.4; ±4σ.
        #expect(abs(kept.count - 1500) < 78, "\(kept.count) kept")
    }

    @Test("gradient check in training (fixed mask) and inference mode", arguments: [Mode.training, .inference])
    func gradient(mode: Mode) throws {
        let layer = SpatialDropout2D(name: "sd", rate: 0.5)
        let result = try GradientChecker.check(layer: layer, inputShapes: [[2, 3, 4]], batch: 3, mode: mode)
        #expect(result.passed, "\(result)")
        #expect(result.checked == 72)
        #expect(result.maxRelativeError < 1e-6)
    }

    @Test("config: default rate 0.5, rate outside [0, 1) and non-image inputs are errors")
    func config() throws {
        func decode(_ pairs: [(String, ConfigNode)]) throws -> (SpatialDropout2D.Config?, [String]) {
            let diagnostics = Diagnostics()
            let reader = try #require(MappingReader(.map(pairs), path: "layers[0].spatial_dropout2d", diagnostics: diagnostics))
            let config = LayerRegistry.builtIn.decodeConfig(type: "spatial_dropout2d", options: reader) as? SpatialDropout2D.Config
            return (config, diagnostics.errors.map(\.description))
        }
        #expect(try decode([]).0 == SpatialDropout2D.Config(rate: 0.5))
        #expect(try decode([("rate", .double(0.2))]).0?.encode()["rate"]?.scalarText == "0.2")
        let (_, errors) = try decode([("rate", .int(1))])
        #expect(errors.count == 1 && errors[0].hasPrefix("layers[0].spatial_dropout2d.rate: received 1"))
        let (_, unknown) = try decode([("rat", .double(0.2))])
        #expect(unknown.first?.contains(#"did you mean "rate""#) == true)
        var rng = RNG(seed: 1)
        #expect(throws: LayerError.self) { try SpatialDropout2D(name: "sd", rate: 0.5).build(inputShapes: [[10]], dtype: .float32, rng: &rng) }
    }
}
