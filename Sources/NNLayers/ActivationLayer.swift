import NNConfig
import NNTensor

/// An activation as a layer of its own: `relu: {}`, `sigmoid: {}`, `tanh: {}`, `softmax: {}`,
/// `linear: {}`, `heaviside: {}`, `leaky_relu: {negative_slope: 0.3}` (Keras' `LeakyReLU` default),
/// or Keras' generic `activation: {activation: relu}`. Output shape = input shape; softmax
/// normalises over the last axis.
public final class ActivationLayer: ActivatedLayer {
    /// The YAML type names this layer answers to.
    public static let typeNames = ["activation", "relu", "sigmoid", "tanh", "softmax", "linear", "heaviside", "leaky_relu"]

    public struct Config: LayerConfig, Equatable {
        public let typeName: String
        public var activation: Activation

        public init(typeName: String, activation: Activation) {
            self.typeName = typeName
            self.activation = activation
        }

        /// Decodes the options of `typeName` (only `leaky_relu` and `activation` have any).
        public init(typeName: String, _ r: MappingReader) {
            self.typeName = typeName
            switch typeName {
            case "activation": activation = Activation.decode(r, "activation", default: .linear)
            case "leaky_relu": activation = .leakyReLU(slope: r.double("negative_slope", default: 0.3, in: 0...1e6))
            default: activation = Activation(name: typeName) ?? .linear
            }
            r.finish()
        }

        public func encode() -> ConfigNode {
            switch (typeName, activation) {
            case ("activation", _): return .map([("activation", activation.encode())])
            case (_, .leakyReLU(let s)): return .map([("negative_slope", .double(s))])
            default: return .map([])
            }
        }

        public func makeLayer(name: String) -> any Layer { ActivationLayer(name: name, config: self) }
        public var outputActivation: Activation? { activation }
    }

    public let name: String
    public let settings: Config
    public var config: any LayerConfig { settings }
    public var activation: Activation { settings.activation }
    public let parameters: [Parameter] = []
    public private(set) var outputShape: [Int] = []
    public private(set) var logits = Tensor(zeros: [0])
    private var output = Tensor(zeros: [0])
    private var gradient = Tensor(zeros: [0])

    public init(name: String, config: Config) {
        self.name = name
        self.settings = config
    }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        outputShape = try singleInput(inputShapes, typeName)
        output = Tensor(zeros: [0], dtype: dtype)
        gradient = Tensor(zeros: [0], dtype: dtype)
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        logits = inputs[0]
        output.reshape(logits.shape)
        activation.forward(logits, into: output, width: outputShape.last ?? 1)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return [nil] }
        gradient.reshape(outputGradient.shape)
        activation.backward(outputGradient: outputGradient, output: output, logits: logits, into: gradient,
                            width: outputShape.last ?? 1)
        return [gradient]
    }

    public func backward(logitsGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        [needsInputGradient ? logitsGradient : nil]
    }
}
