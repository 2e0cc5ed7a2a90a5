import NNConfig
import NNTensor

/// Nearest-neighbour up-sampling of NHWC images: each pixel becomes a size_h × size_w block,
/// [batch, H, W, C] → [batch, H·size_h, W·size_w, C] with y[n, h, w, c] = x[n, ⌊h / size_h⌋,
/// ⌊w / size_w⌋, c]. Backward sums each block: dx[n, h, w, c] = Σ_{i, j} dy[n, h·size_h + i,
/// w·size_w + j, c].
///
/// YAML (Keras' `UpSampling2D`): `up_sampling2d: {size: 2, interpolation: nearest}`; `size` is a
/// whole number or [height, width], each >= 1. Keras' other interpolations (bilinear, ...) are not
/// supported yet and are config errors.
public final class UpSampling2D: Layer {
    public struct Config: LayerConfig, Equatable {
        public let typeName = "up_sampling2d"
        /// [height, width] factors.
        public var size: [Int] = [2, 2]

        public init(size: [Int] = [2, 2]) { self.size = size }

        /// Keras' interpolations other than `nearest`: recognised, but not implemented yet.
        static let unsupportedInterpolations = ["bilinear", "bicubic", "lanczos3", "lanczos5", "area"]

        public init(_ r: MappingReader) {
            size = SpatialOption.pair(r, "size", default: [2, 2], in: 1...SpatialOption.maxSize)
            if let v = r.value("interpolation") {
                let text = v.scalarText ?? ""
                if Self.unsupportedInterpolations.contains(text) {
                    r.report("interpolation", "interpolation \"\(text)\" is not supported yet; only nearest is")
                } else if text != "nearest" {
                    r.report("interpolation", "received \(v.brief), expected nearest",
                             suggestion: didYouMean(text, among: ["nearest"] + Self.unsupportedInterpolations))
                }
            }
            r.finish()
        }

        public func encode() -> ConfigNode {
            .map([("size", .ints(size)), ("interpolation", .string("nearest"))])
        }

        public func makeLayer(name: String) -> any Layer { UpSampling2D(name: name, config: self) }
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
        _ = try elementCount(inputShape, times: settings.size[0] * settings.size[1], what: "up_sampling2d's output")
        outputShape = [image.height * settings.size[0], image.width * settings.size[1], image.channels]
        output = Tensor(zeros: [0], dtype: dtype)
        gradient = Tensor(zeros: [0], dtype: dtype)
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        output.reshape([x.batch] + outputShape)
        switch x.dtype {
        case .float32: Self.forward(x.f32, output.f32, batch: x.batch, inputShape, settings.size)
        case .float64: Self.forward(x.f64, output.f64, batch: x.batch, inputShape, settings.size)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return [nil] }
        let n = outputGradient.batch
        gradient.reshape([n] + inputShape)
        switch gradient.dtype {
        case .float32: Self.backward(outputGradient.f32, gradient.f32, batch: n, inputShape, settings.size)
        case .float64: Self.backward(outputGradient.f64, gradient.f64, batch: n, inputShape, settings.size)
        }
        return [gradient]
    }

    // MARK: Kernels

    static func forward<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, batch: Int,
                                         _ shape: [Int], _ size: [Int]) {
        let (h, w, c, sh, sw) = (shape[0], shape[1], shape[2], size[0], size[1])
        let outWidth = w * sw
        for n in 0..<batch {
            for row in 0..<h {
                // Build the first output row of the block, then copy it sh − 1 times.
                let xr = x + (n * h + row) * w * c
                let yr = y + (n * h * sh + row * sh) * outWidth * c
                for col in 0..<w {
                    for j in 0..<sw { (yr + (col * sw + j) * c).update(from: xr + col * c, count: c) }
                }
                for i in 1..<max(sh, 1) { (yr + i * outWidth * c).update(from: yr, count: outWidth * c) }
            }
        }
    }

    static func backward<T: TensorScalar>(_ dy: UnsafeMutablePointer<T>, _ dx: UnsafeMutablePointer<T>, batch: Int,
                                          _ shape: [Int], _ size: [Int]) {
        let (h, w, c, sh, sw) = (shape[0], shape[1], shape[2], size[0], size[1])
        let outWidth = w * sw
        for n in 0..<batch {
            for row in 0..<h {
                let dxr = dx + (n * h + row) * w * c
                for k in 0..<(w * c) { dxr[k] = 0 }
                for i in 0..<sh {
                    let dyr = dy + (n * h * sh + row * sh + i) * outWidth * c
                    for col in 0..<w {
                        let dxp = dxr + col * c
                        for j in 0..<sw {
                            let dyp = dyr + (col * sw + j) * c
                            for k in 0..<c { dxp[k] += dyp[k] }
                        }
                    }
                }
            }
        }
    }
}
