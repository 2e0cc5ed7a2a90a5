import Testing
@testable import NNLayers
import NNTensor

/// Activation functions against `keras.activations.*` (`Fixtures/reference.json`), on z [3, 5] with
/// saturating values (±8, ±30) for sigmoid, tanh and softmax.
@Suite("Activations against Keras")
struct ActivationTests {
    static let names = ["linear", "relu", "sigmoid", "tanh", "softmax", "leaky_relu"]

    static func apply(_ activation: Activation, _ z: FixtureTensor, dtype: DType) -> [Double] {
        let x = z.tensor(dtype)
        let y = Tensor(zeros: x.shape, dtype: dtype)
        activation.forward(x, into: y, width: z.shape.last ?? 1)
        return y.doubles
    }

    @Test("float64 matches keras.activations to 1e-12", arguments: names)
    func float64(name: String) throws {
        let reference = try Reference.load()
        let expected = try #require(reference.activations.outputs[name])
        let activation = try #require(Activation(name: name))
        let got = Self.apply(activation, reference.activations.input, dtype: .float64)
        expectClose(got, expected.data, rtol: 1e-12, atol: 1e-300, "\(name) float64")
    }

    @Test("float32 matches keras.activations to 1e-5", arguments: names)
    func float32(name: String) throws {
        let reference = try Reference.load()
        let expected = try #require(reference.activations.outputs[name])
        let activation = try #require(Activation(name: name))
        let got = Self.apply(activation, reference.activations.input, dtype: .float32)
        // Relative 1e-5 holds even for sigmoid(−30) ≈ 9.4e-14, thanks to the two-sided formula.
        expectClose(got, expected.data, rtol: 1e-5, atol: 1e-30, "\(name) float32")
    }

    @Test("the leaky_relu function's slope is 0.2 and the leaky_relu layer's default is 0.3, as in Keras")
    func leakySlopes() throws {
        let reference = try Reference.load()
        #expect(Activation(name: "leaky_relu") == .leakyReLU(slope: 0.2))
        let layer = try makeLayerWithDefaults("leaky_relu")
        let activationLayer = try #require(layer as? ActivationLayer)
        #expect(activationLayer.activation == .leakyReLU(slope: reference.activations.leaky_relu_layer_slope))
        var rng = RNG(seed: 1)
        let z = reference.activations.input
        _ = try layer.build(inputShapes: [Array(z.shape.dropFirst())], dtype: .float64, rng: &rng)
        var ctx = makeContext()
        let y = layer.forward([z.tensor()], &ctx)
        expectClose(y.doubles, reference.activations.leaky_relu_layer.data, rtol: 1e-12, "LeakyReLU layer")
    }

    @Test("each activation layer type computes its function", arguments: ["relu", "sigmoid", "tanh", "softmax", "linear"])
    func activationLayerTypes(type: String) throws {
        let reference = try Reference.load()
        let layer = try makeLayerWithDefaults(type)
        var rng = RNG(seed: 1)
        let z = reference.activations.input
        _ = try layer.build(inputShapes: [[5]], dtype: .float64, rng: &rng)
        var ctx = makeContext()
        let y = layer.forward([z.tensor()], &ctx)
        expectClose(y.doubles, try #require(reference.activations.outputs[type]).data, rtol: 1e-12, atol: 1e-300, "\(type) layer")
    }

    @Test("softmax of [1000, 0, -1000] is finite and sums to 1", arguments: [DType.float64, .float32])
    func softmaxExtreme(dtype: DType) throws {
        let reference = try Reference.load()
        let got = Self.apply(.softmax, reference.softmax_extreme.input, dtype: dtype)
        #expect(got.allSatisfy { $0.isFinite })
        #expect(abs(got.reduce(0, +) - 1) < 1e-12)
        expectClose(got, reference.softmax_extreme.output.data, rtol: 1e-12, atol: 1e-300, "softmax extreme \(dtype)")
    }

    @Test("sigmoid and tanh saturate without overflow in float32 and float64", arguments: [DType.float64, .float32])
    func saturation(dtype: DType) {
        let z = FixtureTensor(shape: [1, 4], data: [-1000, -100, 100, 1000])
        let s = Self.apply(.sigmoid, z, dtype: dtype)
        #expect(s.allSatisfy { $0.isFinite })
        #expect(s[0] == 0 && s[3] == 1)
        #expect(Self.apply(.tanh, z, dtype: dtype) == [-1, -1, 1, 1])
    }

    @Test("heaviside is the perceptron's step: 1 for z ≥ 0, else 0; zero derivative")
    func heaviside() {
        let z = Tensor(shape: [1, 5], doubles: [-2, -1e-12, 0, 1e-12, 3])
        let y = Tensor(zeros: [1, 5], dtype: .float64)
        Activation.heaviside.forward(z, into: y, width: 5)
        #expect(y.doubles == [0, 0, 1, 1, 1])
        let dz = Tensor(zeros: [1, 5], dtype: .float64)
        Activation.heaviside.backward(outputGradient: Tensor(shape: [1, 5], doubles: [1, 2, 3, 4, 5]), output: y, logits: z,
                                      into: dz, width: 5)
        #expect(dz.doubles == [0, 0, 0, 0, 0])
    }

    @Test("activation names round-trip")
    func nameRoundTrip() {
        for name in Activation.names {
            #expect(Activation(name: name)?.name == name)
        }
        #expect(Activation(name: "gelu") == nil)
    }
}
