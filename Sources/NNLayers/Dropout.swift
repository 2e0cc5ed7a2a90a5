import NNConfig
import NNTensor

/// Inverted dropout (Srivastava et al. 2014): in training, each element is kept with probability
/// 1 − rate and scaled by 1 / (1 − rate), so inference is the identity. The mask is drawn from the
/// context's seeded generator, so the same seed gives the same masks.
///
/// YAML (Keras' `Dropout`): `dropout: {rate: 0.5}`; rate in [0, 1).
public final class Dropout: Layer {
    public struct Config: LayerConfig, Equatable {
        public let typeName = "dropout"
        public var rate: Double

        public init(rate: Double) { self.rate = rate }

        public init(_ r: MappingReader) {
            rate = r.double("rate", default: 0.5, in: 0...1, exclusiveMax: true)
            r.finish()
        }

        public func encode() -> ConfigNode { .map([("rate", .double(rate))]) }
        public func makeLayer(name: String) -> any Layer { Dropout(name: name, rate: rate) }
    }

    public let name: String
    public let rate: Double
    public var config: any LayerConfig { Config(rate: rate) }
    public let parameters: [Parameter] = []
    public private(set) var outputShape: [Int] = []
    private var mask = Tensor(zeros: [0])
    private var output = Tensor(zeros: [0])
    private var gradient = Tensor(zeros: [0])
    private var wasTraining = false

    public init(name: String, rate: Double) {
        self.name = name
        self.rate = rate
    }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        outputShape = try singleInput(inputShapes, typeName)
        mask = Tensor(zeros: [0], dtype: dtype)
        output = Tensor(zeros: [0], dtype: dtype)
        gradient = Tensor(zeros: [0], dtype: dtype)
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        wasTraining = context.mode == .training && rate > 0
        guard wasTraining else { return x }
        mask.reshape(x.shape)
        output.reshape(x.shape)
        let keep = 1 - rate, scale = 1 / keep
        for i in 0..<x.count { mask[i] = context.rng.nextDouble() < keep ? scale : 0 }
        multiply(x, mask, into: output)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return [nil] }
        guard wasTraining else { return [outputGradient] }
        gradient.reshape(outputGradient.shape)
        multiply(outputGradient, mask, into: gradient)
        return [gradient]
    }

    private func multiply(_ a: Tensor, _ b: Tensor, into c: Tensor) {
        switch a.dtype {
        case .float32: let (x, y, z) = (a.f32, b.f32, c.f32); for i in 0..<a.count { z[i] = x[i] * y[i] }
        case .float64: let (x, y, z) = (a.f64, b.f64, c.f64); for i in 0..<a.count { z[i] = x[i] * y[i] }
        }
    }
}
