import NNConfig
import NNLayers
import NNModel
import NNTensor
import Testing
@testable import NNTraining

/// `weight_decay`, `clipnorm`, `clipvalue`, `global_clipnorm` and `adamw`: decoding (Keras 3's names
/// and defaults, errors) and the parts the single-tensor Keras trajectories (OptimizerTests) cannot
/// show: global against per-tensor clipping, frozen parameters.
struct OptimizerOptionsTests {
    static func decode(_ yaml: String) throws -> (OptimizerConfig, [String]) {
        let diagnostics = Diagnostics()
        let node = try YAMLLoader.parse(yaml, file: "run.yaml")
        let config = OptimizerConfig.decode(node["optimizer"], path: "optimizer", diagnostics: diagnostics)
        return (config, diagnostics.errors.map(\.description))
    }

    @Test func adamwDefaultsToKerasWeightDecayAndEncodesIt() throws {
        let (config, errors) = try Self.decode("optimizer: adamw\n")
        #expect(errors.isEmpty)
        #expect(config.rule == .adamw(learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7))
        #expect(config.options == OptimizerOptions(weightDecay: 0.004))
        #expect(config.encode()["adamw"]?["weight_decay"]?.scalarText == "0.004")
        #expect(config.encode()["adamw"]?.entries?.map(\.key) == ["learning_rate", "beta_1", "beta_2", "epsilon", "weight_decay"])
        #expect(config.make().name == "adamw")
        #expect(config.make().options.weightDecay == 0.004)
    }

    @Test func optionsDecodeAndRoundTrip() throws {
        let (config, errors) = try Self.decode("optimizer: {sgd: {learning_rate: 0.1, weight_decay: 0.01, clipnorm: 1}}\n")
        #expect(errors.isEmpty)
        #expect(config.options == OptimizerOptions(weightDecay: 0.01, clipnorm: 1))
        let (again, errors2) = try Self.decode("optimizer: " + config.encode().jsonText() + "\n")
        #expect(errors2.isEmpty && again == config)
        // Without options nothing is added (recipes and model.json of earlier runs stay the same).
        let (plain, _) = try Self.decode("optimizer: rmsprop\n")
        #expect(plain.options == OptimizerOptions())
        #expect(!plain.encode().jsonText().contains("clip") && !plain.encode().jsonText().contains("decay"))
    }

    @Test func badOptionsAreOneLineErrors() throws {
        let cases = [
            ("optimizer: {adam: {clipnorm: 1, clipvalue: 0.5}}\n",
             "run.yaml:1:44: optimizer.adam.clipvalue: received clipnorm 1 and clipvalue 0.5; only one of clipnorm, clipvalue and global_clipnorm can be set (as in Keras): remove all but one"),
            ("optimizer: {sgd: {weight_decay: -0.1}}\n",
             "run.yaml:1:33: optimizer.sgd.weight_decay: received -0.1, expected a number >= 0"),
            ("optimizer: {rmsprop: {clipnorm: 0}}\n", "run.yaml:1:33: optimizer.rmsprop.clipnorm: received 0, expected a number > 0"),
            ("optimizer: {perceptron: {weight_decay: 0.1}}\n", #"unknown key "weight_decay""#),
            ("optimizer: {adam: {clip_norm: 1}}\n", #"(did you mean "clipnorm"?)"#),
            ("optimizer: adamW\n", #"(did you mean "adamw"?)"#),
        ]
        for (yaml, expected) in cases {
            let (_, errors) = try Self.decode(yaml)
            #expect(errors.count == 1, "\(yaml): \(errors)")
            #expect(errors.first?.contains(expected) == true, "\(errors.first ?? "no error") should contain \(expected)")
        }
    }

    /// Two parameters with gradients (3, 4) and (0, 12): norms 5 and 12, global norm 13.
    static func pair(_ dtype: DType) -> (Parameter, Parameter) {
        let a = Parameter(name: "a", value: Tensor(shape: [2], doubles: [1, 1], dtype: dtype))
        let b = Parameter(name: "b", value: Tensor(shape: [2], doubles: [1, 1], dtype: dtype))
        a.gradient[0] = 3; a.gradient[1] = 4; b.gradient[1] = 12
        return (a, b)
    }

    @Test(arguments: [DType.float32, .float64])
    func clipnormIsPerTensorAndGlobalClipnormOverAll(dtype: DType) {
        var (a, b) = Self.pair(dtype)
        OptimizerOptions(clipnorm: 6.5).prepare([a, b], learningRate: 1)
        #expect(a.gradient.doubles == [3, 4])                       // norm 5 ≤ 6.5: unchanged
        #expect(abs(b.gradient[1] - 6.5) < 1e-6 && b.gradient[0] == 0)
        (a, b) = Self.pair(dtype)
        OptimizerOptions(globalClipnorm: 6.5).prepare([a, b], learningRate: 1)
        // Everything halved: 6.5 / 13.
        #expect(zip(a.gradient.doubles + b.gradient.doubles, [1.5, 2, 0, 6]).allSatisfy { abs($0 - $1) < 1e-6 })
        (a, b) = Self.pair(dtype)
        OptimizerOptions(clipvalue: 3.5).prepare([a, b], learningRate: 1)
        #expect(a.gradient.doubles + b.gradient.doubles == [3, 3.5, 0, 3.5])
    }

    @Test func frozenParametersAreNeitherDecayedNorCountedInTheGlobalNorm() {
        let (a, b) = Self.pair(.float64)
        b.isTrainable = false
        OptimizerOptions(weightDecay: 0.5, globalClipnorm: 2.5).prepare([a, b], learningRate: 0.1)
        #expect(a.value.doubles == [0.95, 0.95])
        #expect(b.value.doubles == [1, 1])
        #expect(zip(a.gradient.doubles, [1.5, 2]).allSatisfy { abs($0 - $1) < 1e-12 })   // 2.5 / 5, not 2.5 / 13
        #expect(b.gradient.doubles == [0, 12])
    }
}
