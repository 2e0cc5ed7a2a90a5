import Testing
import NNConfig
@testable import NNLayers
import NNTensor

/// Finite-difference checks (GradientChecker, float64, central differences with h = 1e-6) of every
/// layer's backward pass and every loss's gradient (DESIGN.md §2: "every layer and loss passes a
/// finite-difference gradient check in Double").
///
/// Tolerance: the checker fails an element when |a − n| > 1e-9 + 1e-6 · max(|a|, |n|). With h = 1e-6
/// in Double the truncation error is O(h²) ≈ 1e-12 and the rounding error about 1e-16 · |L| / h ≈ 1e-10
/// for our O(1) objectives; measured: 1.6e-10 to 4.5e-8 over all checks below (heaviside: 0). We also
/// assert the largest relative error (over elements with |gradient| > 1e-7) is below 1e-6.
@Suite("Gradient checks (float64 finite differences)")
struct GradientCheckTests {
    /// Inputs at least 0.05 away from 0, so no element sits on the ReLU/leaky/heaviside kink.
    static func awayFromKink(_ rng: inout RNG) -> Double {
        let v = rng.uniform(0.05, 1)
        return rng.nextDouble() < 0.5 ? -v : v
    }

    static let denseActivations: [Activation] = [.linear, .relu, .sigmoid, .tanh, .softmax, .leakyReLU(slope: 0.2)]

    func expectPassed(_ result: GradientChecker.Result, maxRelativeError bound: Double = 1e-6, _ what: String,
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(result.passed, "\(what): \(result)", sourceLocation: sourceLocation)
        #expect(result.maxRelativeError < bound, "\(what): \(result)", sourceLocation: sourceLocation)
    }

    @Test("dense with each activation", arguments: denseActivations)
    func dense(activation: Activation) throws {
        var config = Dense.Config(units: 5, activation: activation)
        // A non-zero bias, so the bias actually shifts the logits in the check.
        config.biasInitializer = .randomUniform(min: -0.5, max: 0.5)
        let layer = Dense(name: "dense", config: config)
        let result = try GradientChecker.check(layer: layer, inputShapes: [[4]], batch: 3, input: Self.awayFromKink)
        // kernel 4x5 + bias 5 + input 3x4
        #expect(result.checked == 20 + 5 + 12)
        expectPassed(result, "dense \(activation.name)")
        // The kink of relu/leaky_relu is at the logits, not the inputs: make sure none is near it.
        // (relu runs in place, so its layer's logits are activated values: positive ones are the
        // logits themselves, zeros hide the negative logits, which the check would catch by failing.)
        let values = layer.logits.doubles.map(abs).filter { !(activation.runsInPlace && $0 == 0) }
        let minAbsLogit = values.min() ?? 1
        #expect(minAbsLogit > 1e-3, "a logit at \(minAbsLogit) is too close to the kink for a meaningful check")
    }

    @Test("dense without bias", arguments: [Activation.linear, .relu, .tanh])
    func denseWithoutBias(activation: Activation) throws {
        var config = Dense.Config(units: 4, activation: activation)
        config.useBias = false
        let layer = Dense(name: "dense", config: config)
        let result = try GradientChecker.check(layer: layer, inputShapes: [[5]], batch: 3, input: Self.awayFromKink)
        #expect(layer.parameters.map(\.name) == ["kernel"])
        #expect(result.checked == 20 + 15)
        expectPassed(result, "dense use_bias false \(activation.name)")
    }

    /// (YAML type, activation) for every standalone activation layer.
    static let activationLayers: [(String, Activation)] = [
        ("relu", .relu), ("sigmoid", .sigmoid), ("tanh", .tanh), ("softmax", .softmax), ("linear", .linear),
        ("leaky_relu", .leakyReLU(slope: 0.3)), ("heaviside", .heaviside),
        ("activation", .tanh), ("activation", .softmax),
    ]

    @Test("activation layers", arguments: activationLayers)
    func activationLayer(type: String, activation: Activation) throws {
        let layer = ActivationLayer(name: type, config: .init(typeName: type, activation: activation))
        let result = try GradientChecker.check(layer: layer, inputShapes: [[5]], batch: 3, input: Self.awayFromKink)
        #expect(result.checked == 15)
        expectPassed(result, "\(type) (\(activation))")
    }

    @Test("activation layer on a 3-D input (softmax over the last axis)")
    func softmaxOnImage() throws {
        let layer = ActivationLayer(name: "softmax", config: .init(typeName: "softmax", activation: .softmax))
        let result = try GradientChecker.check(layer: layer, inputShapes: [[2, 2, 3]], batch: 2)
        #expect(result.checked == 24)
        expectPassed(result, "softmax [2, 2, 3]")
    }

    @Test("dropout in training mode (fixed mask, rate 0.5)")
    func dropoutTraining() throws {
        let layer = Dropout(name: "dropout", rate: 0.5)
        let result = try GradientChecker.check(layer: layer, inputShapes: [[4]], batch: 3, mode: .training)
        expectPassed(result, "dropout training")
        // The mask was really applied: with rate 0.5, each output is 0 or 2·x.
        var ctx = makeContext(.training, seed: 11)
        let x = Tensor(shape: [3, 4], doubles: randomValues(12, seed: 3, awayFromZero: 0.1))
        let y = layer.forward([x], &ctx).doubles
        let dropped = (0..<12).filter { y[$0] == 0 }.count
        #expect(dropped > 0 && dropped < 12)
        for i in 0..<12 where y[i] != 0 { #expect(y[i] == 2 * x[i]) }
    }

    @Test("dropout in inference mode is the identity")
    func dropoutInference() throws {
        let layer = Dropout(name: "dropout", rate: 0.5)
        let result = try GradientChecker.check(layer: layer, inputShapes: [[4]], batch: 3, mode: .inference)
        expectPassed(result, "dropout inference")
        var ctx = makeContext(.inference)
        let x = Tensor(shape: [3, 4], doubles: randomValues(12, seed: 3))
        #expect(layer.forward([x], &ctx).doubles == x.doubles)
    }

    @Test("flatten of a [2, 2, 3] input")
    func flatten() throws {
        let layer = Flatten(name: "flatten")
        let result = try GradientChecker.check(layer: layer, inputShapes: [[2, 2, 3]], batch: 3)
        #expect(layer.outputShape == [12])
        #expect(result.checked == 36)
        expectPassed(result, "flatten")
    }

    // MARK: Losses

    /// Rows of `width` positive probabilities that sum to 1 (a softmax of random logits).
    static func probabilities(rows: Int, width: Int, seed: UInt64) -> Tensor {
        let z = randomValues(rows * width, seed: seed, -2, 2)
        var p = [Double]()
        for r in 0..<rows {
            let e = z[(r * width)..<((r + 1) * width)].map { Double.exp($0) }
            let s = e.reduce(0, +)
            p += e.map { $0 / s }
        }
        return Tensor(shape: [rows, width], doubles: p)
    }

    static func oneHot(_ labels: [Int], width: Int) -> Tensor {
        Tensor(shape: [labels.count, width], doubles: labels.flatMap { l in (0..<width).map { $0 == l ? 1.0 : 0.0 } })
    }

    @Test("mean squared error")
    func meanSquaredError() {
        let y = Tensor(shape: [3, 4], doubles: randomValues(12, seed: 21, -2, 2))
        let t = Tensor(shape: [3, 4], doubles: randomValues(12, seed: 22, -2, 2))
        expectPassed(GradientChecker.check(loss: MeanSquaredError(), output: y, target: t, logits: false), "mse")
    }

    @Test("categorical crossentropy from probabilities and from logits")
    func categoricalCrossentropy() {
        let loss = CategoricalCrossentropy(sparse: false)
        let t = Self.oneHot([2, 0, 3], width: 4)
        let p = Self.probabilities(rows: 3, width: 4, seed: 31)
        expectPassed(GradientChecker.check(loss: loss, output: p, target: t, logits: false), "cce from probabilities")
        let z = Tensor(shape: [3, 4], doubles: randomValues(12, seed: 32, -3, 3))
        expectPassed(GradientChecker.check(loss: loss, output: z, target: t, logits: true), "cce from logits")
    }

    @Test("categorical crossentropy with soft (label-smoothed) targets from logits")
    func categoricalCrossentropySoftTargets() {
        let loss = CategoricalCrossentropy(sparse: false)
        let t = Tensor(shape: [2, 3], doubles: [0.1, 0.8, 0.1, 0.6, 0.2, 0.2])
        let z = Tensor(shape: [2, 3], doubles: randomValues(6, seed: 33, -3, 3))
        expectPassed(GradientChecker.check(loss: loss, output: z, target: t, logits: true), "cce soft targets")
    }

    @Test("sparse categorical crossentropy (class indices) from probabilities and from logits")
    func sparseCategoricalCrossentropy() {
        let loss = CategoricalCrossentropy(sparse: true)
        let t = Tensor(shape: [3], doubles: [1, 3, 0])
        let p = Self.probabilities(rows: 3, width: 4, seed: 41)
        expectPassed(GradientChecker.check(loss: loss, output: p, target: t, logits: false), "scce from probabilities")
        let z = Tensor(shape: [3, 4], doubles: randomValues(12, seed: 42, -3, 3))
        expectPassed(GradientChecker.check(loss: loss, output: z, target: t, logits: true), "scce from logits")
    }

    @Test("binary crossentropy from probabilities in (0.05, 0.95) and from logits")
    func binaryCrossentropy() {
        let loss = BinaryCrossentropy()
        let t = Tensor(shape: [3, 4], doubles: [1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0])
        let p = Tensor(shape: [3, 4], doubles: randomValues(12, seed: 51, 0.05, 0.95))
        expectPassed(GradientChecker.check(loss: loss, output: p, target: t, logits: false), "bce from probabilities")
        let z = Tensor(shape: [3, 4], doubles: randomValues(12, seed: 52, -4, 4))
        expectPassed(GradientChecker.check(loss: loss, output: z, target: t, logits: true), "bce from logits")
        // Soft targets (Keras accepts them too).
        let soft = Tensor(shape: [3, 4], doubles: randomValues(12, seed: 53, 0, 1))
        expectPassed(GradientChecker.check(loss: loss, output: z, target: soft, logits: true), "bce soft targets")
    }

    /// The checker itself must catch a wrong gradient, or every check above proves nothing.
    @Test("the checker reports a wrong backward pass")
    func checkerCatchesBugs() throws {
        let result = try GradientChecker.check(layer: WrongGradientLayer(), inputShapes: [[4]], batch: 2)
        #expect(!result.passed)
        #expect(result.failures.count == 8)
        #expect(result.maxRelativeError > 0.1)
    }
}

/// y = x², with a backward pass that forgets the factor 2.
private final class WrongGradientLayer: Layer {
    let name = "wrong"
    var config: any LayerConfig { Flatten.Config() }
    let parameters: [Parameter] = []
    private(set) var outputShape: [Int] = []
    private var input = Tensor(zeros: [0], dtype: .float64)
    private var output = Tensor(zeros: [0], dtype: .float64)
    private var gradient = Tensor(zeros: [0], dtype: .float64)

    func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        outputShape = inputShapes[0]
        return outputShape
    }

    func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        input = inputs[0]
        output.reshape(input.shape)
        for i in 0..<input.count { output[i] = input[i] * input[i] }
        return output
    }

    func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        gradient.reshape(input.shape)
        for i in 0..<input.count { gradient[i] = outputGradient[i] * input[i] }
        return [gradient]
    }

}
