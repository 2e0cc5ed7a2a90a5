import NNConfig
import NNTensor

/// 2-D max pooling over NHWC images: y[n, oh, ow, c] = max over the window of x[n, h, w, c].
///
/// Input [batch, height, width, channels], output [batch, out_h, out_w, channels]; the windows are
/// described in `PoolingGeometry` (with `same` padding the padded positions never win). Forward
/// records, for every output element, the position of its maximum (the first one in row-major
/// window order when several are equal, as PyTorch; a NaN wins, so it propagates). Backward routes
/// each output gradient to that position: dx[argmax] += dy (overlapping windows add up). In
/// inference mode nothing is recorded (float32 with channels in multiples of 8 then takes the
/// maxima eight channels at a time).
///
/// YAML (Keras' `MaxPooling2D`): `max_pool2d: {pool_size: 2, strides: 2, padding: valid}`; every
/// option has that default except `strides`, which defaults to `pool_size`.
public final class MaxPool2D: Layer, PoolLayerKind {
    public typealias Config = PoolConfig<MaxPool2D>
    public static let typeName = "max_pool2d"

    public let name: String
    public let settings: Config
    public var config: any LayerConfig { settings }
    public let parameters: [Parameter] = []
    public private(set) var outputShape: [Int] = []
    public private(set) var geometry = PoolingGeometry()

    private var output = Tensor(zeros: [0])
    private var gradient = Tensor(zeros: [0])
    /// For each output element of the last forward pass, the flat index of its maximum within its
    /// sample (< 2^30, see `maxTensorElements`). Grows, never shrinks.
    private var argmax: [Int32] = []

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
        let n = x.batch
        output.reshape([n] + outputShape)
        let g = geometry, (inItem, outItem) = (g.height * g.width * g.channels, g.outHeight * g.outWidth * g.channels)
        let minimum = max(1, (1 << 15) / max(outItem, 1))
        if context.mode == .inference && x.dtype == .float32 && g.channels % 8 == 0 {
            WorkerPool.shared.forRanges(count: n, minimum: minimum) { r in
                Self.maxima8(g, batch: r.count, x.f32 + r.lowerBound * inItem, output.f32 + r.lowerBound * outItem)
            }
            return output
        }
        if argmax.count < output.count { argmax = [Int32](repeating: 0, count: output.count) }
        argmax.withUnsafeMutableBufferPointer { indices in
            guard let a = indices.baseAddress else { return }
            // Images are independent: each thread takes a contiguous run of them.
            WorkerPool.shared.forRanges(count: n, minimum: minimum) { r in
                switch x.dtype {
                case .float32 where g.channels % 4 == 0:
                    Self.forward4(g, batch: r.count, x.f32 + r.lowerBound * inItem, output.f32 + r.lowerBound * outItem,
                                  a + r.lowerBound * outItem)
                case .float32: Self.forward(g, batch: r.count, x.f32 + r.lowerBound * inItem, output.f32 + r.lowerBound * outItem,
                                            a + r.lowerBound * outItem)
                case .float64: Self.forward(g, batch: r.count, x.f64 + r.lowerBound * inItem, output.f64 + r.lowerBound * outItem,
                                            a + r.lowerBound * outItem)
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard needsInputGradient else { return [nil] }
        let n = outputGradient.batch
        gradient.reshape([n] + geometry.inputShape)
        gradient.zero()
        let (inItem, outItem) = (geometry.inputShape.reduce(1, *), outputShape.reduce(1, *))
        argmax.withUnsafeBufferPointer { indices in
            guard let a = indices.baseAddress else { return }
            switch gradient.dtype {
            case .float32: Self.scatter(outputGradient.f32, a, into: gradient.f32, batch: n, inItem: inItem, outItem: outItem)
            case .float64: Self.scatter(outputGradient.f64, a, into: gradient.f64, batch: n, inItem: inItem, outItem: outItem)
            }
        }
        return [gradient]
    }

    // MARK: Kernels

    /// Max over each window of `batch` images; `argmax` gets each maximum's offset within its image.
    static func forward<T: TensorScalar>(_ g: PoolingGeometry, batch: Int, _ x: UnsafeMutablePointer<T>,
                                         _ y: UnsafeMutablePointer<T>, _ argmax: UnsafeMutablePointer<Int32>) {
        let c = g.channels, inItem = g.height * g.width * c, outItem = g.outHeight * g.outWidth * c
        for n in 0..<batch {
            let xn = x + n * inItem
            for oh in 0..<g.outHeight {
                let rows = g.rows(oh)
                for ow in 0..<g.outWidth {
                    let columns = g.columns(ow)
                    let o = n * outItem + (oh * g.outWidth + ow) * c
                    let yo = y + o, ao = argmax + o
                    let first = (rows.lowerBound * g.width + columns.lowerBound) * c
                    for k in 0..<c {
                        yo[k] = xn[first + k]
                        ao[k] = Int32(truncatingIfNeeded: first + k)
                    }
                    for h in rows {
                        for w in columns {
                            let p = (h * g.width + w) * c
                            if p == first { continue }
                            for k in 0..<c {
                                let v = xn[p + k]
                                if v > yo[k] || v.isNaN {
                                    yo[k] = v
                                    ao[k] = Int32(truncatingIfNeeded: p + k)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `forward` for float32 with channels in multiples of 4: four channels per SSE vector, the
    /// running maximum and its offset kept in registers. Ties keep the first maximum, as `forward`;
    /// unlike it, a NaN does not win the window (comparisons with NaN are false).
    static func forward4(_ g: PoolingGeometry, batch: Int, _ x: UnsafeMutablePointer<Float>,
                         _ y: UnsafeMutablePointer<Float>, _ argmax: UnsafeMutablePointer<Int32>) {
        let c = g.channels, inItem = g.height * g.width * c, outItem = g.outHeight * g.outWidth * c
        let lanes = SIMD4<Int32>(0, 1, 2, 3)
        for n in 0..<batch {
            let xn = UnsafeRawPointer(x + n * inItem)
            for oh in 0..<g.outHeight {
                let rows = g.rows(oh)
                for ow in 0..<g.outWidth {
                    let columns = g.columns(ow)
                    let o = n * outItem + (oh * g.outWidth + ow) * c
                    let first = (rows.lowerBound * g.width + columns.lowerBound) * c
                    var k = 0
                    while k < c {
                        var best = xn.loadUnaligned(fromByteOffset: (first + k) * 4, as: SIMD4<Float>.self)
                        var index = lanes &+ Int32(truncatingIfNeeded: first + k)
                        for h in rows {
                            for w in columns {
                                let p = (h * g.width + w) * c + k
                                let v = xn.loadUnaligned(fromByteOffset: p * 4, as: SIMD4<Float>.self)
                                let better = v .> best
                                best.replace(with: v, where: better)
                                index.replace(with: lanes &+ Int32(truncatingIfNeeded: p), where: better)
                            }
                        }
                        UnsafeMutableRawPointer(y + o + k).storeBytes(of: best, as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(argmax + o + k).storeBytes(of: index, as: SIMD4<Int32>.self)
                        k += 4
                    }
                }
            }
        }
    }

    /// The maxima of `forward4` without their positions (inference), eight channels at a time.
    static func maxima8(_ g: PoolingGeometry, batch: Int, _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        let c = g.channels, inItem = g.height * g.width * c
        var out = UnsafeMutableRawPointer(y)
        for n in 0..<batch {
            let xn = UnsafeRawPointer(x + n * inItem)
            for oh in 0..<g.outHeight {
                let rows = g.rows(oh)
                for ow in 0..<g.outWidth {
                    let columns = g.columns(ow)
                    let first = (rows.lowerBound * g.width + columns.lowerBound) * c
                    for k in stride(from: 0, to: c, by: 8) {
                        var best = xn.loadUnaligned(fromByteOffset: (first + k) * 4, as: SIMD8<Float>.self)
                        for h in rows {
                            for w in columns {
                                let v = xn.loadUnaligned(fromByteOffset: ((h * g.width + w) * c + k) * 4, as: SIMD8<Float>.self)
                                best.replace(with: v, where: v .> best)
                            }
                        }
                        out.storeBytes(of: best, as: SIMD8<Float>.self)
                        out += 32
                    }
                }
            }
        }
    }

    static func scatter<T: TensorScalar>(_ dy: UnsafeMutablePointer<T>, _ argmax: UnsafePointer<Int32>,
                                         into dx: UnsafeMutablePointer<T>, batch: Int, inItem: Int, outItem: Int) {
        for n in 0..<batch {
            let dxn = dx + n * inItem
            for o in (n * outItem)..<((n + 1) * outItem) {
                dxn[Int(argmax[o])] += dy[o]
            }
        }
    }
}
