import NNConfig
import NNTensor

/// Inverted dropout (Srivastava et al. 2014): in training, each element is kept with probability
/// 1 − rate and scaled by 1 / (1 − rate), so inference is the identity. The mask is drawn from the
/// context's seeded generator, so the same seed gives the same masks.
///
/// YAML (Keras' `Dropout`): `dropout: {rate: 0.5}`; rate in [0, 1).
public final class Dropout: DropoutLayerKind {
    public typealias Config = DropoutConfig<Dropout>
    public static let typeName = "dropout"

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
        // Blocks of 2^16 elements, each from its own stream of one seed drawn here: the mask depends
        // on the seed and the step only, not on how many threads draw it.
        let seed = context.rng.next(), block = 1 << 16, count = x.count
        let blocks = (count + block - 1) / block
        WorkerPool.shared.run(count: blocks) { b in
            var rng = RNG(seed: seed, stream: "dropout-block", index: UInt64(b))
            let start = b * block, n = min(block, count - start)
            switch x.dtype {
            case .float32:
                Self.drawMask(mask.f32 + start, n, rate: rate, &rng)
                multiply(x.f32 + start, mask.f32 + start, output.f32 + start, n)
            case .float64:
                Self.drawMask(mask.f64 + start, n, rate: rate, &rng)
                multiply(x.f64 + start, mask.f64 + start, output.f64 + start, n)
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return [nil] }
        guard wasTraining else { return [outputGradient] }
        gradient.reshape(outputGradient.shape)
        let (dy, count) = (outputGradient, outputGradient.count)
        WorkerPool.shared.forRanges(count: count) { r in
            switch dy.dtype {
            case .float32: multiply(dy.f32 + r.lowerBound, mask.f32 + r.lowerBound, gradient.f32 + r.lowerBound, r.count)
            case .float64: multiply(dy.f64 + r.lowerBound, mask.f64 + r.lowerBound, gradient.f64 + r.lowerBound, r.count)
            }
        }
        return [gradient]
    }

    /// mask_i = 1/(1 − rate) with probability 1 − rate, else 0. One 64-bit draw gives two 32-bit
    /// uniforms, compared as integers (the same stream for float32 and float64). Shared with
    /// `SpatialDropout2D`, whose mask has one entry per (sample, channel).
    static func drawMask<T: TensorScalar>(_ m: UnsafeMutablePointer<T>, _ n: Int, rate: Double, _ rng: inout RNG) {
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

    private func multiply<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>,
                                           _ z: UnsafeMutablePointer<T>, _ n: Int) {
        for i in 0..<n { z[i] = x[i] * y[i] }
    }
}

/// A dropout layer type whose options are `DropoutConfig`'s (dropout, spatial_dropout2d).
public protocol DropoutLayerKind: Layer {
    static var typeName: String { get }
    init(name: String, rate: Double)
}

/// The options of `dropout` and `spatial_dropout2d`: `rate`, the probability of dropping, in
/// [0, 1), default 0.5.
public struct DropoutConfig<Kind: DropoutLayerKind>: LayerConfig, Equatable {
    public var typeName: String { Kind.typeName }
    public var rate: Double

    public init(rate: Double) { self.rate = rate }

    public init(_ r: MappingReader) {
        rate = r.double("rate", default: 0.5, in: 0...1, exclusiveMax: true)
        r.finish()
    }

    public func encode() -> ConfigNode { .map([("rate", .double(rate))]) }
    public func makeLayer(name: String) -> any Layer { Kind(name: name, rate: rate) }
}
