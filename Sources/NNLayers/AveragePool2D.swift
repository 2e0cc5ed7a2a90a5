import NNConfig
import NNTensor

/// 2-D average pooling over NHWC images: y[n, oh, ow, c] = (1 / |W|) Σ_{(h, w) ∈ W} x[n, h, w, c],
/// where W is the window of (oh, ow) clipped to the image (`PoolingGeometry`). With `valid`
/// padding |W| = pool_h · pool_w; with `same` padding the padded positions are left out of the
/// count, as TensorFlow and Keras do (PyTorch's `count_include_pad=False`).
///
/// Input [batch, height, width, channels], output [batch, out_h, out_w, channels].
/// Backward: dx[n, h, w, c] += dy[n, oh, ow, c] / |W(oh, ow)| for every window holding (h, w).
///
/// YAML (Keras' `AveragePooling2D`): `average_pool2d: {pool_size: 2, strides: 2, padding: valid}`;
/// every option has that default except `strides`, which defaults to `pool_size`.
public final class AveragePool2D: Layer, PoolLayerKind {
    public typealias Config = PoolConfig<AveragePool2D>
    public static let typeName = "average_pool2d"

    public let name: String
    public let settings: Config
    public var config: any LayerConfig { settings }
    public let parameters: [Parameter] = []
    public private(set) var outputShape: [Int] = []
    public private(set) var geometry = PoolingGeometry()

    private var output = Tensor(zeros: [0])
    private var gradient = Tensor(zeros: [0])

    public init(name: String, config: Config) {
        self.name = name
        self.settings = config
    }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        geometry = try settings.window.geometry(input: try singleInput(inputShapes, typeName), layer: typeName)
        output = Tensor(zeros: [0], dtype: dtype)
        gradient = Tensor(zeros: [0], dtype: dtype)
        outputShape = geometry.outputShape
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        output.reshape([x.batch] + outputShape)
        switch x.dtype {
        case .float32: Self.forward(geometry, batch: x.batch, x.f32, output.f32)
        case .float64: Self.forward(geometry, batch: x.batch, x.f64, output.f64)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return [nil] }
        let n = outputGradient.batch
        gradient.reshape([n] + geometry.inputShape)
        gradient.zero()
        switch gradient.dtype {
        case .float32: Self.backward(geometry, batch: n, outputGradient.f32, gradient.f32)
        case .float64: Self.backward(geometry, batch: n, outputGradient.f64, gradient.f64)
        }
        return [gradient]
    }

    // MARK: Kernels

    static func forward<T: TensorScalar>(_ g: PoolingGeometry, batch: Int, _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>) {
        let c = g.channels, inItem = g.height * g.width * c, outItem = g.outHeight * g.outWidth * c
        for n in 0..<batch {
            let xn = x + n * inItem
            for oh in 0..<g.outHeight {
                let rows = g.rows(oh)
                for ow in 0..<g.outWidth {
                    let columns = g.columns(ow)
                    let yo = y + n * outItem + (oh * g.outWidth + ow) * c
                    for k in 0..<c { yo[k] = 0 }
                    for h in rows {
                        for w in columns {
                            let xp = xn + (h * g.width + w) * c
                            for k in 0..<c { yo[k] += xp[k] }
                        }
                    }
                    let scale = 1 / T(rows.count * columns.count)
                    for k in 0..<c { yo[k] *= scale }
                }
            }
        }
    }

    /// dx (zeroed by the caller) += the spread of dy over each window.
    static func backward<T: TensorScalar>(_ g: PoolingGeometry, batch: Int, _ dy: UnsafeMutablePointer<T>, _ dx: UnsafeMutablePointer<T>) {
        let c = g.channels, inItem = g.height * g.width * c, outItem = g.outHeight * g.outWidth * c
        for n in 0..<batch {
            let dxn = dx + n * inItem
            for oh in 0..<g.outHeight {
                let rows = g.rows(oh)
                for ow in 0..<g.outWidth {
                    let columns = g.columns(ow)
                    let dyo = dy + n * outItem + (oh * g.outWidth + ow) * c
                    let scale = 1 / T(rows.count * columns.count)
                    for h in rows {
                        for w in columns {
                            let dxp = dxn + (h * g.width + w) * c
                            for k in 0..<c { dxp[k] += dyo[k] * scale }
                        }
                    }
                }
            }
        }
    }
}
