import Testing
@testable import NNLayers
import NNTensor

/// Initialisers over a [200, 300] kernel (fan_in 200, fan_out 300; 60 000 draws): the sample mean
/// and variance match Keras' formulas, bounds hold, and a seed fixes the values.
///
/// Tolerances: for n = 60 000 draws the standard error of the mean is σ/√n ≈ 0.004σ and that of the
/// variance at most √(2/n) ≈ 0.0058 relative (normal; less for uniform and truncated normal), so
/// we allow 5 standard errors: |mean| < 5σ/√n and |s²/σ² − 1| < 0.03.
@Suite("Initializers")
struct InitializerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var initializer: Initializer
        var mean: Double
        var variance: Double
        /// Every value must lie in [−bound, bound] around the mean.
        var bound: Double?
        var testDescription: String { "\(initializer)" }
    }

    static let (fanIn, fanOut) = (200.0, 300.0)
    static let truncation = 0.87962566103423978

    static let cases: [Case] = [
        // U(−l, l): variance l²/3.
        Case(initializer: .glorotUniform, mean: 0, variance: 2 / (fanIn + fanOut), bound: (6 / (fanIn + fanOut)).squareRoot()),
        Case(initializer: .heUniform, mean: 0, variance: 2 / fanIn, bound: (6 / fanIn).squareRoot()),
        Case(initializer: .lecunUniform, mean: 0, variance: 1 / fanIn, bound: (3 / fanIn).squareRoot()),
        // Truncated normals: σ' = σ/0.8796 cut at 2σ' has variance σ² again.
        Case(initializer: .glorotNormal, mean: 0, variance: 2 / (fanIn + fanOut), bound: 2 * (2 / (fanIn + fanOut)).squareRoot() / truncation),
        Case(initializer: .heNormal, mean: 0, variance: 2 / fanIn, bound: 2 * (2 / fanIn).squareRoot() / truncation),
        Case(initializer: .lecunNormal, mean: 0, variance: 1 / fanIn, bound: 2 * (1 / fanIn).squareRoot() / truncation),
        Case(initializer: .randomNormal(mean: 0, stddev: 0.05), mean: 0, variance: 0.0025, bound: nil),
        Case(initializer: .randomNormal(mean: 1, stddev: 0.2), mean: 1, variance: 0.04, bound: nil),
        Case(initializer: .randomUniform(min: -0.05, max: 0.05), mean: 0, variance: 0.01 / 12, bound: 0.05),
    ]

    static func sample(_ initializer: Initializer, seed: UInt64, shape: [Int] = [200, 300]) -> [Double] {
        let t = Tensor(zeros: shape, dtype: .float64)
        var rng = RNG(seed: seed)
        initializer.fill(t, rng: &rng)
        return t.doubles
    }

    @Test("sample mean and variance match Keras' formula", arguments: cases)
    func moments(_ c: Case) {
        let v = Self.sample(c.initializer, seed: 2024)
        let n = Double(v.count)
        let mean = v.reduce(0, +) / n
        let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        let sigma = c.variance.squareRoot()
        #expect(abs(mean - c.mean) < 5 * sigma / n.squareRoot(), "mean \(mean), expected \(c.mean) ± \(5 * sigma / n.squareRoot())")
        #expect(abs(variance / c.variance - 1) < 0.03, "variance \(variance), expected \(c.variance)")
        if let bound = c.bound {
            let worst = v.map { abs($0 - c.mean) }.max() ?? 0
            #expect(worst <= bound, "a value \(worst) from the mean, bound \(bound)")
            // The bound is tight: the draws come close to it.
            #expect(worst > 0.95 * bound)
        }
    }

    @Test("the same seed gives identical values; another seed different ones", arguments: [Initializer.glorotUniform, .heNormal])
    func seeded(_ initializer: Initializer) {
        let a = Self.sample(initializer, seed: 5, shape: [20, 30])
        #expect(a == Self.sample(initializer, seed: 5, shape: [20, 30]))
        #expect(a != Self.sample(initializer, seed: 6, shape: [20, 30]))
    }

    @Test("zeros, ones and constant are exact")
    func constants() {
        #expect(Self.sample(.constant(0), seed: 1, shape: [7, 3]).allSatisfy { $0 == 0 })
        #expect(Self.sample(.constant(1), seed: 1, shape: [7, 3]).allSatisfy { $0 == 1 })
        #expect(Self.sample(.constant(0.3), seed: 1, shape: [5]).allSatisfy { $0 == 0.3 })
        let t = Tensor(zeros: [4, 4], dtype: .float32)
        var rng = RNG(seed: 1)
        Initializer.constant(1).fill(t, rng: &rng)
        #expect(t.floats.allSatisfy { $0 == 1 })
        #expect(Initializer.constant(0).encode() == .string("zeros"))
        #expect(Initializer.constant(1).encode() == .string("ones"))
    }

    /// A conv kernel [kh, kw, cin, cout] = [3, 3, 2, 4]: fan_in = 3·3·2 = 18, fan_out = 3·3·4 = 36.
    @Test("fans of a convolution kernel follow Keras (receptive field × channels)")
    func convolutionFans() {
        let v = Self.sample(.glorotUniform, seed: 9, shape: [3, 3, 2, 4])
        let limit = (6.0 / (18 + 36)).squareRoot()
        #expect(v.allSatisfy { abs($0) <= limit })
        #expect(v.contains { abs($0) > 0.8 * limit })
        let he = Self.sample(.heUniform, seed: 9, shape: [3, 3, 2, 4])
        #expect(he.allSatisfy { abs($0) <= (6.0 / 18).squareRoot() })
        #expect(he.contains { abs($0) > (6.0 / 36).squareRoot() })
    }

    @Test("Dense builds with glorot_uniform kernel and zero bias by default")
    func denseDefaults() throws {
        let layer = Dense(name: "dense", config: Dense.Config(units: 300))
        var rng = RNG(seed: 3)
        _ = try layer.build(inputShapes: [[200]], dtype: .float32, rng: &rng)
        let w = layer.kernel.value.doubles
        let limit = (6.0 / 500).squareRoot()
        #expect(layer.kernel.value.shape == [200, 300])
        #expect(w.allSatisfy { abs($0) <= limit * (1 + 1e-6) })
        let variance = w.reduce(0) { $0 + $1 * $1 } / Double(w.count)
        #expect(abs(variance / (2.0 / 500) - 1) < 0.03)
        let bias = try #require(layer.bias)
        #expect(bias.value.doubles.allSatisfy { $0 == 0 })
    }
}
