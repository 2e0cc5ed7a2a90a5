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
        switch x.dtype {
        case .float32: drawMask(mask.f32, x.count, &context.rng)
        case .float64: drawMask(mask.f64, x.count, &context.rng)
        }
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

    /// mask_i = 1/(1 − rate) with probability 1 − rate, else 0. One 64-bit draw gives two 32-bit
    /// uniforms, compared as integers (the same stream for float32 and float64).
    private func drawMask<T: TensorScalar>(_ m: UnsafeMutablePointer<T>, _ n: Int, _ rng: inout RNG) {
        let threshold = UInt64((1 - rate) * 4_294_967_296.0)
        let scale = T(1 / (1 - rate))
        var i = 0
        while i < n {
            let r = rng.next()
            m[i] = r & 0xffff_ffff < threshold ? scale : 0
            if i + 1 < n { m[i + 1] = r >> 32 < threshold ? scale : 0 }
            i += 2
        }
    }

    private func multiply(_ a: Tensor, _ b: Tensor, into c: Tensor) {
        switch a.dtype {
        case .float32: let (x, y, z) = (a.f32, b.f32, c.f32); for i in 0..<a.count { z[i] = x[i] * y[i] }
        case .float64: let (x, y, z) = (a.f64, b.f64, c.f64); for i in 0..<a.count { z[i] = x[i] * y[i] }
        }
    }
}
