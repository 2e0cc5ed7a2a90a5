import NNConfig
import NNLayers
import NNTensor
import Testing
@testable import NNModel

/// Whole-model gradient checks in double precision: the graph executor's backward pass (including
/// the sum at fan-out and the fused softmax + cross-entropy) against central differences of the loss.
struct ModelGradientTests {
    /// y = a + b, a test-only two-input layer to exercise fan-out (issue 3 ships the real `add`).
    final class TestAdd: Layer {
        struct Config: LayerConfig {
            let typeName = "test_add"
            func encode() -> ConfigNode { .map([]) }
            func makeLayer(name: String) -> any Layer { TestAdd(name: name) }
        }

        let name: String
        var config: any LayerConfig { Config() }
        let parameters: [Parameter] = []
        private(set) var outputShape: [Int] = []
        private var output = Tensor(zeros: [0], dtype: .float64)

        init(name: String) { self.name = name }

        func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
            outputShape = inputShapes[0]
            return outputShape
        }

        func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
            output.reshape(inputs[0].shape)
            for i in 0..<output.count { output[i] = inputs[0][i] + inputs[1][i] }
            return output
        }

        func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
            [outputGradient, outputGradient]
        }
    }

    static func model(_ yaml: String) throws -> Model {
        var registry = LayerRegistry.builtIn
        registry.register("test_add") { _, o in o.finish(); return TestAdd.Config() }
        let diagnostics = Diagnostics()
        let spec = try #require(ModelSpec.decode(try YAMLLoader.parse(yaml, file: "m.yaml"), path: "model",
                                                 registry: registry, diagnostics: diagnostics))
        try diagnostics.throwIfAny()
        var rng = RNG(seed: 3)
        return try Model(spec: spec, dtype: .float64, rng: &rng)
    }

    /// Compares d(loss)/d(parameter) from `model.backward` with central differences, for every
    /// parameter element; the loss is categorical cross-entropy fused with the softmax output, plus
    /// the layers' weight penalties (`regularizationLoss`, zero without regularisers), whose gradient
    /// `addRegularizationGradients` adds after backward.
    static func check(_ model: Model, batch: Int = 3) -> (checked: Int, worst: Double) {
        var rng = RNG(seed: 9)
        let width = model.inputShape.reduce(1, *), classes = model.outputShape.reduce(1, *)
        let x = Tensor(shape: [batch] + model.inputShape, doubles: (0..<(batch * width)).map { _ in rng.uniform(-1, 1) })
        let target = Tensor(zeros: [batch, classes], dtype: .float64)
        for n in 0..<batch { target[n * classes + n % classes] = 1 }
        let loss = CategoricalCrossentropy(sparse: false)
        let base = LayerContext(mode: .inference, rng: RNG(seed: 1), gemm: GEMM(kind: .builtin))
        func value() -> Double {
            var ctx = base
            _ = model.forward(x, &ctx)
            return loss.value(logits: (model.outputLayer as! any ActivatedLayer).logits, target: target)
                + model.regularizationLoss()
        }
        model.zeroGradients()
        var ctx = base
        _ = model.forward(x, &ctx)
        let logits = (model.outputLayer as! any ActivatedLayer).logits
        let g = Tensor(zeros: logits.shape, dtype: .float64)
        loss.gradient(logits: logits, target: target, into: g)
        model.backward(g, logits: true, &ctx)
        model.addRegularizationGradients()
        var checked = 0, worst = 0.0
        let h = 1e-6
        for p in model.parameters {
            let analytic = p.gradient.doubles
            for i in 0..<p.value.count {
                let saved = p.value[i]
                p.value[i] = saved + h
                let plus = value()
                p.value[i] = saved - h
                let minus = value()
                p.value[i] = saved
                let numeric = (plus - minus) / (2 * h)
                let scale = max(abs(numeric), abs(analytic[i]), 1e-7)
                worst = max(worst, abs(numeric - analytic[i]) / scale)
                checked += 1
            }
        }
        return (checked, worst)
    }

    @Test func sequentialModelWithFusedSoftmaxCrossEntropy() throws {
        let model = try Self.model("""
            input: [4]
            layers:
              - dense: {units: 5, activation: tanh}
              - dense: {units: 3, activation: softmax}
            """)
        let result = Self.check(model)
        #expect(result.checked == 4 * 5 + 5 + 5 * 3 + 3)
        #expect(result.worst < 1e-6)
    }

    @Test func weightPenaltiesArePartOfTheLossAndItsGradient() throws {
        let model = try Self.model("""
            input: [4, 4, 1]
            layers:
              - conv2d: {filters: 2, kernel_size: 3, activation: tanh, kernel_regularizer: {l1: 0.05}, bias_regularizer: l2,
                         bias_initializer: {random_uniform: {}}}
              - conv2d_transpose: {filters: 1, kernel_size: 2, kernel_regularizer: {l1_l2: {l1: 0.02, l2: 0.3}}}
              - flatten: {}
              - dense: {units: 3, activation: softmax, kernel_regularizer: {l2: 0.1}, bias_regularizer: {l1: {l1: 0.2}},
                        bias_initializer: {random_uniform: {}}}
            """)
        #expect(model.hasRegularization)
        let penalty = model.regularizationLoss()
        #expect(penalty > 0.05)
        let result = Self.check(model)
        #expect(result.checked == 18 + 2 + 8 + 1 + 9 * 3 + 3)
        #expect(result.worst < 1e-6)
        // Freezing a layer removes its penalty (Keras regularises trainable weights only).
        for p in model.nodes[0].layer.parameters { p.isTrainable = false }
        let conv = try #require(model.nodes[0].layer as? Conv2D)
        let frozenPenalty = 0.05 * conv.kernel.value.doubles.reduce(0) { $0 + abs($1) }
            + 0.01 * (conv.bias?.value.doubles ?? []).reduce(0) { $0 + $1 * $1 }
        #expect(abs(model.regularizationLoss() - (penalty - frozenPenalty)) < 1e-12)
    }

    @Test func fanOutSumsTheGradientsOfBothBranches() throws {
        // `h` feeds two branches that meet again: its gradient must be the sum of both.
        let model = try Self.model("""
            input: [4]
            layers:
              - dense: {units: 5, activation: tanh, name: h}
              - dense: {units: 5, activation: sigmoid, name: a}
              - dense: {units: 5, activation: tanh, name: b, inputs: [h]}
              - test_add: {inputs: [a, b]}
              - dense: {units: 3, activation: softmax}
            """)
        let result = Self.check(model)
        #expect(result.checked == 25 + 30 + 30 + 18)
        #expect(result.worst < 1e-6)
    }

    @Test func backwardAddsIntoParameterGradients() throws {
        let model = try Self.model("""
            input: [4]
            layers:
              - dense: {units: 3, activation: softmax}
            """)
        var rng = RNG(seed: 2)
        let x = Tensor(shape: [2, 4], doubles: (0..<8).map { _ in rng.uniform(-1, 1) })
        var ctx = LayerContext(mode: .training, rng: RNG(seed: 1), gemm: GEMM(kind: .builtin))
        let y = model.forward(x, &ctx)
        let g = Tensor(shape: y.shape, doubles: (0..<y.count).map { _ in rng.uniform(-1, 1) })
        model.zeroGradients()
        model.backward(g, logits: true, &ctx)
        let once = model.parameters.map(\.gradient.doubles)
        model.backward(g, logits: true, &ctx)
        let twice = model.parameters.map(\.gradient.doubles)
        for (a, b) in zip(once, twice) {
            #expect(zip(a, b).allSatisfy { abs($1 - 2 * $0) <= 1e-12 * max(1, abs($1)) })
        }
    }
}
