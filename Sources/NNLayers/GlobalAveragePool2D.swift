import NNConfig
import NNTensor

/// Global average pooling over NHWC images: y[n, c] = (1 / (H·W)) Σ_{h, w} x[n, h, w, c].
///
/// Input [batch, height, width, channels], output [batch, channels] (or [batch, 1, 1, channels]
/// with `keepdims`). Backward: dx[n, h, w, c] = dy[n, c] / (H·W).
///
/// YAML (Keras' `GlobalAveragePooling2D`): `global_average_pool2d: {keepdims: false}`.
public final class GlobalAveragePool2D: Layer {
    public struct Config: LayerConfig, Equatable {
        public let typeName = "global_average_pool2d"
        public var keepdims = false

        public init(keepdims: Bool = false) { self.keepdims = keepdims }

        public init(_ r: MappingReader) {
            keepdims = r.bool("keepdims", default: false)
            r.finish()
        }

        public func encode() -> ConfigNode { .map([("keepdims", .bool(keepdims))]) }
        public func makeLayer(name: String) -> any Layer { GlobalAveragePool2D(name: name, config: self) }
    }

    public let name: String
    public let settings: Config
    public var config: any LayerConfig { settings }
    public let parameters: [Parameter] = []
    public private(set) var outputShape: [Int] = []
    private var inputShape: [Int] = []
    private var output = Tensor(zeros: [0])
    private var gradient = Tensor(zeros: [0])

    public init(name: String, config: Config) {
        self.name = name
        self.settings = config
    }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        inputShape = try singleInput(inputShapes, typeName)
        let image = try SpatialOption.image(inputShape, typeName)
        outputShape = settings.keepdims ? [1, 1, image.channels] : [image.channels]
        output = Tensor(zeros: [0], dtype: dtype)
        gradient = Tensor(zeros: [0], dtype: dtype)
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        output.reshape([x.batch] + outputShape)
        let (positions, c) = (inputShape[0] * inputShape[1], inputShape[2])
        switch x.dtype {
        case .float32: Self.forward(x.f32, output.f32, batch: x.batch, positions: positions, channels: c)
        case .float64: Self.forward(x.f64, output.f64, batch: x.batch, positions: positions, channels: c)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return [nil] }
        let n = outputGradient.batch
        gradient.reshape([n] + inputShape)
        let (positions, c) = (inputShape[0] * inputShape[1], inputShape[2])
        switch gradient.dtype {
        case .float32: Self.backward(outputGradient.f32, gradient.f32, batch: n, positions: positions, channels: c)
        case .float64: Self.backward(outputGradient.f64, gradient.f64, batch: n, positions: positions, channels: c)
        }
        return [gradient]
    }

    // MARK: Kernels

    static func forward<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>,
                                         batch: Int, positions: Int, channels c: Int) {
        let scale = 1 / T(positions)
        for n in 0..<batch {
            let xn = x + n * positions * c, yn = y + n * c
            for k in 0..<c { yn[k] = 0 }
            for p in 0..<positions {
                let xp = xn + p * c
                for k in 0..<c { yn[k] += xp[k] }
            }
            for k in 0..<c { yn[k] *= scale }
        }
    }

    static func backward<T: TensorScalar>(_ dy: UnsafeMutablePointer<T>, _ dx: UnsafeMutablePointer<T>,
                                          batch: Int, positions: Int, channels c: Int) {
        let scale = 1 / T(positions)
        for n in 0..<batch {
            let dyn = dy + n * c, dxn = dx + n * positions * c
            for p in 0..<positions {
                let dxp = dxn + p * c
                for k in 0..<c { dxp[k] = dyn[k] * scale }
            }
        }
    }
}
