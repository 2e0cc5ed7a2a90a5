import NNConfig
import NNTensor

/// Flattens each sample to one axis: [batch, d1, ..., dk] → [batch, d1·...·dk] (row-major, so
/// NHWC images flatten as Keras' `Flatten` does). Copies, so no other layer's buffer is reshaped. YAML: `flatten: {}`.
public final class Flatten: Layer {
    public let typeName = "flatten"
    public let name: String
    public private(set) var outputShape: [Int] = []
    private var inputShape: [Int] = []
    private var output = Tensor(zeros: [0])
    private var gradient = Tensor(zeros: [0])

    public init(name: String) { self.name = name }

    public convenience init(name: String, _ r: MappingReader) {
        r.finish()
        self.init(name: name)
    }

    public func configNode() -> ConfigNode { .map([]) }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        inputShape = try singleInput(inputShapes, typeName)
        outputShape = [inputShape.reduce(1, *)]
        output = Tensor(zeros: [0], dtype: dtype)
        gradient = Tensor(zeros: [0], dtype: dtype)
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        output.reshape([x.batch] + outputShape)
        output.copy(from: x)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return [nil] }
        gradient.reshape([outputGradient.batch] + inputShape)
        gradient.copy(from: outputGradient)
        return [gradient]
    }
}
