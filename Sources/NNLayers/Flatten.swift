import NNConfig
import NNTensor

/// Flattens each sample to one axis: [batch, d1, ..., dk] → [batch, d1·...·dk] (row-major, so
/// NHWC images flatten as Keras' `Flatten` does). No copy: the output is a view of the input's
/// buffer (`Tensor.view`), and backward views the gradient in the input's shape. YAML: `flatten: {}`.
public final class Flatten: Layer {
    public struct Config: LayerConfig, Equatable {
        public let typeName = "flatten"
        public init() {}
        public init(_ r: MappingReader) { r.finish() }
        public func encode() -> ConfigNode { .map([]) }
        public func makeLayer(name: String) -> any Layer { Flatten(name: name) }
    }

    public let name: String
    public var config: any LayerConfig { Config() }
    public let parameters: [Parameter] = []
    public private(set) var outputShape: [Int] = []
    private var inputShape: [Int] = []
    private var output = Tensor(zeros: [0])
    private var gradient = Tensor(zeros: [0])

    public init(name: String) { self.name = name }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        inputShape = try singleInput(inputShapes, typeName)
        outputShape = [try elementCount(inputShape, what: "flatten's output")]
        output = Tensor(zeros: [0], dtype: dtype)
        gradient = Tensor(zeros: [0], dtype: dtype)
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        output.view(x, as: [x.batch] + outputShape)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return [nil] }
        gradient.view(outputGradient, as: [outputGradient.batch] + inputShape)
        return [gradient]
    }
}
