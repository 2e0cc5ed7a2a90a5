import Testing
@testable import NNLayers
import NNTensor

/// Loss values and gradients against Keras 3 (`Fixtures/reference.json`): MeanSquaredError,
/// CategoricalCrossentropy (probabilities, zero probability, unnormalised rows, logits),
/// SparseCategoricalCrossentropy (probabilities, logits), BinaryCrossentropy (probabilities with soft
/// labels, logits), and the extreme logits of reliability.md §4.
@Suite("Losses against Keras")
struct LossTests {
    static let caseNames: [String] = {
        guard let reference = try? Reference.load() else { return ["fixture missing"] }
        return reference.losses.map(\.name)
    }()

    static func evaluate(_ c: Reference.LossCase, dtype: DType) throws -> (value: Double, gradient: [Double]) {
        let loss = try #require(Losses.make(c.loss), "unknown loss \(c.loss)")
        let output = c.output.tensor(dtype), target = c.target.tensor(dtype)
        let g = Tensor(zeros: output.shape, dtype: dtype)
        if c.from_logits {
            #expect(loss.fusedActivation != nil, "\(c.loss) has no logits path")
            loss.gradient(logits: output, target: target, into: g)
            return (loss.value(logits: output, target: target), g.doubles)
        }
        loss.gradient(output: output, target: target, into: g)
        return (loss.value(output: output, target: target), g.doubles)
    }

    @Test("float64 value and gradient match Keras to 1e-9", arguments: caseNames)
    func float64(name: String) throws {
        let reference = try Reference.load()
        let c = try #require(reference.losses.first { $0.name == name })
        let got = try Self.evaluate(c, dtype: .float64)
        #expect(got.value.isFinite)
        expectClose(got.value, c.value, rtol: 1e-9, "\(name) value")
        expectClose(got.gradient, c.gradient.data, rtol: 1e-9, atol: 1e-15, "\(name) gradient")
    }

    @Test("float32 value and gradient match Keras to 1e-5", arguments: caseNames)
    func float32(name: String) throws {
        let reference = try Reference.load()
        let c = try #require(reference.losses.first { $0.name == name })
        let got = try Self.evaluate(c, dtype: .float32)
        expectClose(got.value, c.value, rtol: 1e-5, "\(name) value")
        expectClose(got.gradient, c.gradient.data, rtol: 1e-5, atol: 1e-7, "\(name) gradient")
    }

    @Test("the fixture covers every loss, from outputs and from logits")
    func coverage() throws {
        let reference = try Reference.load()
        for name in Losses.names {
            #expect(reference.losses.contains { $0.loss == name && !$0.from_logits }, "\(name) from outputs")
            if name != "mean_squared_error" {
                #expect(reference.losses.contains { $0.loss == name && $0.from_logits }, "\(name) from logits")
            }
        }
    }

    /// reliability.md §4: CE(logits = [1000, −1000], y = 1) == 2000 through a stable logsumexp.
    @Test("crossentropy of logits [1000, -1000] with label 1 is exactly 2000", arguments: [DType.float64, .float32])
    func extremeLogits(dtype: DType) {
        let z = Tensor(shape: [1, 2], doubles: [1000, -1000], dtype: dtype)
        let categorical = CategoricalCrossentropy(sparse: false)
        let sparse = CategoricalCrossentropy(sparse: true)
        #expect(categorical.value(logits: z, target: Tensor(shape: [1, 2], doubles: [0, 1], dtype: dtype)) == 2000)
        #expect(sparse.value(logits: z, target: Tensor(shape: [1], doubles: [1], dtype: dtype)) == 2000)
        let g = Tensor(zeros: [1, 2], dtype: dtype)
        sparse.gradient(logits: z, target: Tensor(shape: [1], doubles: [1], dtype: dtype), into: g)
        #expect(g.doubles == [1, -1])
        // Binary CE from logits: max(z, 0) − z·t + log1p(e^−|z|).
        let bce = BinaryCrossentropy().value(logits: z, target: Tensor(shape: [1, 2], doubles: [0, 1], dtype: dtype))
        #expect(bce == 1000)
    }

    @Test("crossentropy with a zero probability at the label is finite (clipped to 1e-7)")
    func zeroProbability() {
        let y = Tensor(shape: [1, 3], doubles: [0, 0.4, 0.6])
        let value = CategoricalCrossentropy(sparse: true).value(output: y, target: Tensor(shape: [1], doubles: [0]))
        #expect(abs(value - -Double.log(1e-7)) < 1e-12)
        let b = BinaryCrossentropy().value(output: Tensor(shape: [1, 2], doubles: [0, 1]), target: Tensor(shape: [1, 2], doubles: [1, 0]))
        expectClose(b, -Double.log(1e-7), rtol: 1e-9, "binary CE at p = 0 and 1 with the wrong labels")
    }

    /// The fused path (d loss / d logits) equals the chain through the activation
    /// (d loss / d output, then the activation's backward) when no probability is clipped.
    @Test("fused softmax + crossentropy equals the unfused chain", arguments: [false, true])
    func fusedSoftmax(sparse: Bool) {
        let loss = CategoricalCrossentropy(sparse: sparse)
        let z = Tensor(shape: [3, 4], doubles: randomValues(12, seed: 71, -2, 2))
        let target = sparse ? Tensor(shape: [3], doubles: [3, 0, 1])
                            : Tensor(shape: [3, 4], doubles: [0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0])
        let p = Tensor(zeros: [3, 4], dtype: .float64)
        Activation.softmax.forward(z, into: p, width: 4)
        let fused = Tensor(zeros: [3, 4], dtype: .float64)
        loss.gradient(logits: z, target: target, into: fused)
        let dp = Tensor(zeros: [3, 4], dtype: .float64), chained = Tensor(zeros: [3, 4], dtype: .float64)
        loss.gradient(output: p, target: target, into: dp)
        Activation.softmax.backward(outputGradient: dp, output: p, logits: z, into: chained, width: 4)
        expectClose(fused.doubles, chained.doubles, rtol: 1e-10, atol: 1e-15, "fused vs chained")
        expectClose(loss.value(logits: z, target: target), loss.value(output: p, target: target), rtol: 1e-12, "values")
    }

    @Test("fused sigmoid + binary crossentropy equals the unfused chain")
    func fusedSigmoid() {
        let loss = BinaryCrossentropy()
        let z = Tensor(shape: [3, 2], doubles: randomValues(6, seed: 72, -3, 3))
        let target = Tensor(shape: [3, 2], doubles: [1, 0, 0, 1, 0.3, 0.8])
        let p = Tensor(zeros: [3, 2], dtype: .float64)
        Activation.sigmoid.forward(z, into: p, width: 2)
        let fused = Tensor(zeros: [3, 2], dtype: .float64)
        loss.gradient(logits: z, target: target, into: fused)
        let dp = Tensor(zeros: [3, 2], dtype: .float64), chained = Tensor(zeros: [3, 2], dtype: .float64)
        loss.gradient(output: p, target: target, into: dp)
        Activation.sigmoid.backward(outputGradient: dp, output: p, logits: z, into: chained, width: 2)
        expectClose(fused.doubles, chained.doubles, rtol: 1e-10, atol: 1e-15, "fused vs chained")
        expectClose(loss.value(logits: z, target: target), loss.value(output: p, target: target), rtol: 1e-12, "values")
    }

    @Test("losses by name, with Keras' aliases and target encodings")
    func registry() throws {
        #expect(Losses.make("mse")?.name == "mean_squared_error")
        for name in Losses.names { #expect(Losses.make(name)?.name == name) }
        #expect(Losses.make("hinge") == nil)
        let sparse = try #require(Losses.make("sparse_categorical_crossentropy"))
        let categorical = try #require(Losses.make("categorical_crossentropy"))
        let binary = try #require(Losses.make("binary_crossentropy"))
        let mse = try #require(Losses.make("mean_squared_error"))
        #expect(sparse.targetEncoding == .indices && categorical.targetEncoding == .oneHot)
        #expect(categorical.fusedActivation == .softmax && sparse.fusedActivation == .softmax)
        #expect(binary.fusedActivation == .sigmoid)
        #expect(mse.fusedActivation == nil)
    }
}
