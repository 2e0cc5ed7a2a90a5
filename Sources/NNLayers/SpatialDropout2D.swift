import NNConfig
import NNTensor

/// Spatial dropout (Tompson et al. 2015, "Efficient object localization using convolutional
/// networks"; Keras' `SpatialDropout2D`): in training, each feature map is dropped as a whole.
///
/// Input and output [batch, H, W, C] (NHWC). For every sample n and channel c, one draw keeps the
/// channel with probability 1 − rate:
///
///     y[n, h, w, c] = x[n, h, w, c] · m[n, c],   m[n, c] = 1/(1 − rate) (kept) or 0 (dropped)
///
/// and backward is dx = dy · m. Adjacent pixels of a feature map are strongly correlated, so
/// dropping single pixels (plain `dropout`) barely regularises a convolution; dropping whole maps
/// does. Inference is the identity. The mask is drawn from the context's seeded generator (one seed
/// per forward pass, as `Dropout`), so the same seed gives the same masks.
///
/// YAML: `spatial_dropout2d: {rate: 0.5}`; rate in [0, 1), default 0.5 as nnrun's `dropout`.
public final class SpatialDropout2D: DropoutLayerKind {
    public typealias Config = DropoutConfig<SpatialDropout2D>
    public static let typeName = "spatial_dropout2d"

    public let name: String
    public let rate: Double
    public var config: any LayerConfig { Config(rate: rate) }
    public let parameters: [Parameter] = []
    public private(set) var outputShape: [Int] = []
    /// [batch, C]: the per-(sample, channel) factors of the last training pass.
    private var mask = Tensor(zeros: [0])
    private var output = Tensor(zeros: [0])
    private var gradient = Tensor(zeros: [0])
    private var wasTraining = false

    public init(name: String, rate: Double) {
        self.name = name
        self.rate = rate
    }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        let shape = try singleInput(inputShapes, typeName)
        guard shape.count == 3 else {
            throw LayerError("spatial_dropout2d expects images [height, width, channels] per sample, got shape \(shapeText(shape)); use dropout for other inputs")
        }
        outputShape = shape
        mask = Tensor(zeros: [0], dtype: dtype)
        output = Tensor(zeros: [0], dtype: dtype)
        gradient = Tensor(zeros: [0], dtype: dtype)
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        wasTraining = context.mode == .training && rate > 0
        guard wasTraining else { return x }
        let channels = outputShape[2]
        mask.reshape([x.batch, channels])
        output.reshape(x.shape)
        var rng = RNG(seed: context.rng.next(), stream: "spatial-dropout", index: 0)
        switch x.dtype {
        case .float32:
            Dropout.drawMask(mask.f32, mask.count, rate: rate, &rng)
            scale(x.f32, mask.f32, output.f32, x.count, channels, itemCount: x.itemCount)
        case .float64:
            Dropout.drawMask(mask.f64, mask.count, rate: rate, &rng)
            scale(x.f64, mask.f64, output.f64, x.count, channels, itemCount: x.itemCount)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return [nil] }
        guard wasTraining else { return [outputGradient] }
        let dy = outputGradient, channels = outputShape[2]
        gradient.reshape(dy.shape)
        switch dy.dtype {
        case .float32: scale(dy.f32, mask.f32, gradient.f32, dy.count, channels, itemCount: dy.itemCount)
        case .float64: scale(dy.f64, mask.f64, gradient.f64, dy.count, channels, itemCount: dy.itemCount)
        }
        return [gradient]
    }

    /// z[i] = x[i] · m[n, c] with n = i / itemCount and c = i mod channels (NHWC).
    private func scale<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ m: UnsafeMutablePointer<T>,
                                        _ z: UnsafeMutablePointer<T>, _ count: Int, _ channels: Int, itemCount: Int) {
        for i in 0..<count { z[i] = x[i] * m[(i / itemCount) * channels + i % channels] }
    }
}
