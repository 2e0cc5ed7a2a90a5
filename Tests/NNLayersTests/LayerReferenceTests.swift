import Testing
@testable import NNLayers
import NNTensor

/// Dense forward and backward against Keras 3 (`Fixtures/reference.json`, from `Fixtures/generate.py`):
/// fixed x [3, 4], kernel [4, 5], bias [5], upstream gradient dL/dy [3, 5]; for each activation the
/// output y and the gradients of Σ upstream ⊙ y with respect to x, the kernel and the bias.
@Suite("Dense against Keras")
struct LayerReferenceTests {
    /// Every fixture case, named for the test report.
    static let caseNames: [String] = {
        guard let reference = try? Reference.load() else { return ["fixture missing"] }
        return reference.dense.cases.map { $0.activation + ($0.use_bias ? "" : " (no bias)") }
    }()

    static func activation(named name: String) throws -> Activation {
        try #require(Activation(name: name), "unknown activation \(name)")
    }

    /// Runs the fixture case in `dtype` with `gemm`; returns (output, dx, dkernel, dbias).
    static func run(_ c: Reference.DenseCase, _ d: Reference.DenseFixture, dtype: DType,
                    gemm: GEMM = GEMM(kind: .builtin)) throws -> (y: [Double], dx: [Double], dw: [Double], db: [Double]?) {
        let layer = try makeDense(units: 5, inputs: 4, activation: try activation(named: c.activation), useBias: c.use_bias,
                                  kernel: d.kernel.data, bias: d.bias.data, dtype: dtype)
        var ctx = makeContext(.training, gemm: gemm)
        let y = layer.forward([d.input.tensor(dtype)], &ctx).doubles
        let dx = try #require(layer.backward(d.upstream.tensor(dtype), needsInputGradient: true, &ctx).first ?? nil)
        return (y, dx.doubles, layer.kernel.gradient.doubles, layer.bias?.gradient.doubles)
    }

    @Test("float64 forward and backward match Keras to 1e-9", arguments: caseNames.indices)
    func float64(index: Int) throws {
        let reference = try Reference.load()
        let c = reference.dense.cases[index]
        let got = try Self.run(c, reference.dense, dtype: .float64)
        let what = "dense \(Self.caseNames[index]) float64"
        expectClose(got.y, c.output.data, rtol: 1e-9, atol: 1e-15, what + " output")
        expectClose(got.dx, c.grad_input.data, rtol: 1e-9, atol: 1e-15, what + " d input")
        expectClose(got.dw, c.grad_kernel.data, rtol: 1e-9, atol: 1e-15, what + " d kernel")
        #expect((got.db == nil) == (c.grad_bias == nil))
        if let db = got.db, let expected = c.grad_bias { expectClose(db, expected.data, rtol: 1e-9, atol: 1e-15, what + " d bias") }
    }

    @Test("float32 forward and backward match Keras to 1e-5", arguments: caseNames.indices)
    func float32(index: Int) throws {
        let reference = try Reference.load()
        let c = reference.dense.cases[index]
        let got = try Self.run(c, reference.dense, dtype: .float32)
        let what = "dense \(Self.caseNames[index]) float32"
        // Sums of a few O(1) float32 products: absolute rounding ~1e-7, hence the small atol.
        expectClose(got.y, c.output.data, rtol: 1e-5, atol: 1e-6, what + " output")
        expectClose(got.dx, c.grad_input.data, rtol: 1e-5, atol: 1e-6, what + " d input")
        expectClose(got.dw, c.grad_kernel.data, rtol: 1e-5, atol: 1e-6, what + " d kernel")
        if let db = got.db, let expected = c.grad_bias { expectClose(db, expected.data, rtol: 1e-5, atol: 1e-6, what + " d bias") }
    }

    @Test("the fixture covers every dense activation, with and without bias")
    func coverage() throws {
        let reference = try Reference.load()
        #expect(Set(reference.dense.cases.filter(\.use_bias).map(\.activation))
            == ["linear", "relu", "sigmoid", "tanh", "softmax", "leaky_relu"])
        #expect(reference.dense.cases.contains { !$0.use_bias })
        #expect(reference.versions["keras"] == "3.15.1")
    }

    @Test("backward adds into the parameter gradients (two passes give twice the gradient)")
    func gradientsAccumulate() throws {
        let reference = try Reference.load()
        let d = reference.dense
        let c = try #require(reference.dense.cases.first { $0.activation == "tanh" && $0.use_bias })
        let layer = try makeDense(units: 5, inputs: 4, activation: .tanh, kernel: d.kernel.data, bias: d.bias.data, dtype: .float64)
        var ctx = makeContext()
        for _ in 0..<2 {
            _ = layer.forward([d.input.tensor()], &ctx)
            _ = layer.backward(d.upstream.tensor(), needsInputGradient: false, &ctx)
        }
        expectClose(layer.kernel.gradient.doubles, c.grad_kernel.data.map { 2 * $0 }, rtol: 1e-9, "2 × d kernel")
        let bias = try #require(layer.bias), expectedBias = try #require(c.grad_bias)
        expectClose(bias.gradient.doubles, expectedBias.data.map { 2 * $0 }, rtol: 1e-9, "2 × d bias")
    }

    @Test("a frozen kernel gets no gradient, and the input gradient is unchanged")
    func frozenKernel() throws {
        let reference = try Reference.load()
        let d = reference.dense
        let c = try #require(reference.dense.cases.first { $0.activation == "relu" && $0.use_bias })
        let layer = try makeDense(units: 5, inputs: 4, activation: .relu, kernel: d.kernel.data, bias: d.bias.data, dtype: .float64)
        layer.kernel.isTrainable = false
        let bias = try #require(layer.bias)
        bias.isTrainable = false
        var ctx = makeContext()
        _ = layer.forward([d.input.tensor()], &ctx)
        let dx = try #require(layer.backward(d.upstream.tensor(), needsInputGradient: true, &ctx).first ?? nil)
        #expect(layer.kernel.gradient.doubles.allSatisfy { $0 == 0 })
        #expect(bias.gradient.doubles.allSatisfy { $0 == 0 })
        expectClose(dx.doubles, c.grad_input.data, rtol: 1e-9, atol: 1e-15, "d input")
    }

    // MARK: GEMM backends

    static let openBLASAvailable = (try? GEMM.fromEnvironment(["NNRUN_GEMM": "openblas"])) != nil

    /// Dense float32 forward and backward on the built-in GEMM and on OpenBLAS agree to 1e-5,
    /// on shapes that are not multiples of any kernel tile.
    @Test("dense float32 gives the same result with the built-in GEMM and OpenBLAS",
          .enabled(if: openBLASAvailable, "libopenblas.so.0 not loadable"),
          arguments: [Activation.linear, .relu, .softmax])
    func gemmBackendsAgree(activation: Activation) throws {
        let (batch, inputs, units) = (7, 33, 17)
        let kernel = randomValues(inputs * units, seed: 61, -0.3, 0.3)
        let bias = randomValues(units, seed: 62, -0.1, 0.1)
        let x = Tensor(shape: [batch, inputs], doubles: randomValues(batch * inputs, seed: 63), dtype: .float32)
        let dy = Tensor(shape: [batch, units], doubles: randomValues(batch * units, seed: 64), dtype: .float32)
        var results: [[[Double]]] = []
        for kind in [GEMMBackendKind.builtin, .openblas] {
            let layer = try makeDense(units: units, inputs: inputs, activation: activation, kernel: kernel, bias: bias, dtype: .float32)
            var ctx = makeContext(.training, gemm: GEMM(kind: kind))
            let y = layer.forward([x], &ctx).doubles
            let dx = try #require(layer.backward(dy, needsInputGradient: true, &ctx).first ?? nil).doubles
            results.append([y, dx, layer.kernel.gradient.doubles, try #require(layer.bias).gradient.doubles])
        }
        for (i, part) in ["output", "d input", "d kernel", "d bias"].enumerated() {
            expectClose(results[1][i], results[0][i], rtol: 1e-5, atol: 1e-5, "openblas vs builtin \(activation.name) \(part)")
        }
    }
}
