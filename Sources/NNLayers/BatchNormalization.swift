import NNConfig
import NNTensor

/// Batch normalization (Ioffe and Szegedy 2015) over the last axis, as Keras' `BatchNormalization`
/// with `axis=-1`: per channel c (the last axis; for images NHWC, the channels),
///
///     y = γ_c · (x − μ_c) / √(σ²_c + ε) + β_c
///
/// The input may have any rank >= 1 per sample: [features] after a dense layer, [H, W, C] after
/// a convolution. Statistics run over every axis but the last (N, or N·H·W positions: m values
/// per channel).
///
/// - Training mode: μ and σ² are the batch mean and the BIASED batch variance (divided by m), and
///   the moving statistics are updated with the same biased σ²:
///   moving = moving · momentum + batch · (1 − momentum). This is Keras 3's rule; PyTorch's
///   `BatchNorm2d` stores the unbiased variance (m / (m − 1) · σ²) in `running_var` instead, so
///   after the same step the two moving variances differ by that factor.
///   Backward is the full batch-norm gradient, with x̂ = (x − μ) / √(σ² + ε), over the m values
///   of a channel: dβ += Σ dy, dγ += Σ dy · x̂,
///   dx = γ / √(σ² + ε) · (dy − mean(dy) − x̂ · mean(dy · x̂)).
/// - Inference mode: μ and σ² are the moving statistics, so the layer is the affine map
///   y = γ · (x − μ) / √(σ² + ε) + β and backward is dx = γ / √(σ² + ε) · dy (dγ and dβ as above).
/// - Frozen layers: when any of its parameters is frozen (`isTrainable == false`), the layer runs
///   in inference mode even in a training context and leaves its moving statistics alone (Keras'
///   rule for `trainable = False` batch normalization, which fine-tuning relies on). A layer with
///   neither γ nor β follows the context.
///
/// Parameters (Keras' names and order): `gamma` [C] (when `scale`), `beta` [C] (when `center`);
/// `buffers` (non-trainable, saved with the weights): `moving_mean` [C], `moving_variance` [C].
/// Statistics are accumulated in Double for both dtypes.
///
/// YAML: `batch_normalization: {momentum: 0.99, epsilon: 0.001, center: true, scale: true,
/// beta_initializer: zeros, gamma_initializer: ones, moving_mean_initializer: zeros,
/// moving_variance_initializer: ones}` (all defaults, Keras').
public final class BatchNormalization: Layer {
    public struct Config: LayerConfig, Equatable {
        public let typeName = "batch_normalization"
        public var momentum = 0.99
        public var epsilon = 1e-3
        /// Whether there is a learned offset β.
        public var center = true
        /// Whether there is a learned scale γ.
        public var scale = true
        public var betaInitializer: Initializer = .constant(0)
        public var gammaInitializer: Initializer = .constant(1)
        public var movingMeanInitializer: Initializer = .constant(0)
        public var movingVarianceInitializer: Initializer = .constant(1)

        public init(momentum: Double = 0.99, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true) {
            self.momentum = momentum
            self.epsilon = epsilon
            self.center = center
            self.scale = scale
        }

        public init(_ r: MappingReader) {
            momentum = r.double("momentum", default: 0.99, in: 0...1)
            epsilon = r.double("epsilon", default: 1e-3, in: 0...Double.greatestFiniteMagnitude, exclusiveMin: true)
            center = r.bool("center", default: true)
            scale = r.bool("scale", default: true)
            betaInitializer = Initializer.decode(r, "beta_initializer", default: .constant(0))
            gammaInitializer = Initializer.decode(r, "gamma_initializer", default: .constant(1))
            movingMeanInitializer = Initializer.decode(r, "moving_mean_initializer", default: .constant(0))
            movingVarianceInitializer = Initializer.decode(r, "moving_variance_initializer", default: .constant(1))
            r.finish()
        }

        public func encode() -> ConfigNode {
            .map([("momentum", .double(momentum)), ("epsilon", .double(epsilon)), ("center", .bool(center)),
                  ("scale", .bool(scale)), ("beta_initializer", betaInitializer.encode()),
                  ("gamma_initializer", gammaInitializer.encode()),
                  ("moving_mean_initializer", movingMeanInitializer.encode()),
                  ("moving_variance_initializer", movingVarianceInitializer.encode())])
        }

        public func makeLayer(name: String) -> any Layer { BatchNormalization(name: name, config: self) }
    }

    public let name: String
    public let settings: Config
    public var config: any LayerConfig { settings }
    public private(set) var outputShape: [Int] = []
    public private(set) var gamma: Parameter?
    public private(set) var beta: Parameter?
    public private(set) var movingMean = Parameter(name: "moving_mean", value: Tensor(zeros: [0]))
    public private(set) var movingVariance = Parameter(name: "moving_variance", value: Tensor(zeros: [0]))
    /// Whether the last forward pass normalised with the batch statistics (training) rather than
    /// the moving ones.
    public private(set) var usedBatchStatistics = false

    private var output = Tensor(zeros: [0])
    private var gradient = Tensor(zeros: [0])
    private var input: Tensor?
    /// Per channel, for the last forward pass: the mean used, 1 / √(σ² + ε), and γ / √(σ² + ε).
    private var mean = Tensor(zeros: [0])
    private var inverseStd = Tensor(zeros: [0])
    private var scaleFactor = Tensor(zeros: [0])
    /// Backward scratch [2, C]: mean(dy) and mean(dy · x̂) per channel.
    private var gradientMeans = Tensor(zeros: [0])
    /// Per-channel Double accumulators.
    private var sums: [Double] = []
    private var squares: [Double] = []

    public init(name: String, config: Config) {
        self.name = name
        self.settings = config
    }

    public var parameters: [Parameter] { [gamma, beta].compactMap { $0 } }
    public var buffers: [Parameter] { [movingMean, movingVariance] }
    var channels: Int { outputShape.last ?? 0 }

    public func build(inputShapes: [[Int]], dtype: DType, rng: inout RNG) throws(LayerError) -> [Int] {
        let shape = try singleInput(inputShapes, typeName)
        guard let c = shape.last else {
            throw LayerError("batch_normalization needs at least one axis per sample (its last axis is normalised), got \(shapeText(shape))")
        }
        _ = try elementCount(shape, what: "batch_normalization's input")
        func vector(_ name: String, _ initializer: Initializer, trainable: Bool) -> Parameter {
            let t = Tensor(zeros: [c], dtype: dtype)
            initializer.fill(t, rng: &rng)
            let p = Parameter(name: name, value: t)
            p.isTrainable = trainable
            return p
        }
        gamma = settings.scale ? vector("gamma", settings.gammaInitializer, trainable: true) : nil
        beta = settings.center ? vector("beta", settings.betaInitializer, trainable: true) : nil
        movingMean = vector("moving_mean", settings.movingMeanInitializer, trainable: false)
        movingVariance = vector("moving_variance", settings.movingVarianceInitializer, trainable: false)
        output = Tensor(zeros: [0], dtype: dtype)
        gradient = Tensor(zeros: [0], dtype: dtype)
        mean = Tensor(zeros: [c], dtype: dtype)
        inverseStd = Tensor(zeros: [c], dtype: dtype)
        scaleFactor = Tensor(zeros: [c], dtype: dtype)
        gradientMeans = Tensor(zeros: [2, c], dtype: dtype)
        sums = [Double](repeating: 0, count: c)
        squares = [Double](repeating: 0, count: c)
        outputShape = shape
        return outputShape
    }

    public func forward(_ inputs: [Tensor], _ context: inout LayerContext) -> Tensor {
        let x = inputs[0]
        input = x
        usedBatchStatistics = context.mode == .training && parameters.allSatisfy(\.isTrainable)
        output.reshape(x.shape)
        switch x.dtype {
        case .float32: forward(Float.self, x)
        case .float64: forward(Double.self, x)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ context: inout LayerContext) -> [Tensor?] {
        guard let x = input else { return [nil] }
        if needsInputGradient { gradient.reshape(x.shape) }
        switch x.dtype {
        case .float32: backward(Float.self, x, outputGradient, needsInputGradient)
        case .float64: backward(Double.self, x, outputGradient, needsInputGradient)
        }
        return [needsInputGradient ? gradient : nil]
    }

    // MARK: Kernels

    private func forward<T: TensorScalar>(_: T.Type, _ input: Tensor) {
        let c = channels, m = input.count / max(c, 1)
        let x = input.typed(T.self), y = output.typed(T.self)
        let mu = mean.typed(T.self), inv = inverseStd.typed(T.self), a = scaleFactor.typed(T.self)
        let movingMu = movingMean.value.typed(T.self), movingVar = movingVariance.value.typed(T.self)
        let epsilon = settings.epsilon
        if usedBatchStatistics && m > 0 {
            let momentum = settings.momentum
            sums.withUnsafeMutableBufferPointer { s in
                squares.withUnsafeMutableBufferPointer { q in
                    for k in 0..<c { s[k] = 0; q[k] = 0 }
                    for r in 0..<m {
                        let xr = x + r * c
                        for k in 0..<c { s[k] += Double(xr[k]) }
                    }
                    for k in 0..<c { s[k] /= Double(m) }
                    for r in 0..<m {
                        let xr = x + r * c
                        for k in 0..<c {
                            let d = Double(xr[k]) - s[k]
                            q[k] += d * d
                        }
                    }
                    for k in 0..<c {
                        let variance = q[k] / Double(m)
                        mu[k] = T(s[k])
                        inv[k] = T(1 / (variance + epsilon).squareRoot())
                        movingMu[k] = T(Double(movingMu[k]) * momentum + s[k] * (1 - momentum))
                        movingVar[k] = T(Double(movingVar[k]) * momentum + variance * (1 - momentum))
                    }
                }
            }
        } else {
            for k in 0..<c {
                mu[k] = movingMu[k]
                inv[k] = T(1 / (Double(movingVar[k]) + epsilon).squareRoot())
            }
        }
        let g = gamma?.value.typed(T.self), b = beta?.value.typed(T.self)
        for k in 0..<c { a[k] = (g?[k] ?? 1) * inv[k] }
        for r in 0..<m {
            let xr = x + r * c, yr = y + r * c
            if let b {
                for k in 0..<c { yr[k] = (xr[k] - mu[k]) * a[k] + b[k] }
            } else {
                for k in 0..<c { yr[k] = (xr[k] - mu[k]) * a[k] }
            }
        }
    }

    private func backward<T: TensorScalar>(_: T.Type, _ input: Tensor, _ outputGradient: Tensor, _ needsInputGradient: Bool) {
        let c = channels, m = input.count / max(c, 1)
        let gammaTrainable = gamma?.isTrainable ?? false, betaTrainable = beta?.isTrainable ?? false
        let needSums = usedBatchStatistics || gammaTrainable || betaTrainable
        guard m > 0, needsInputGradient || needSums else { return }
        let x = input.typed(T.self), dy = outputGradient.typed(T.self)
        let mu = mean.typed(T.self), inv = inverseStd.typed(T.self), a = scaleFactor.typed(T.self)
        sums.withUnsafeMutableBufferPointer { s in
            squares.withUnsafeMutableBufferPointer { q in
                // s = Σ dy, q = Σ dy · x̂ per channel.
                if needSums {
                    for k in 0..<c { s[k] = 0; q[k] = 0 }
                    for r in 0..<m {
                        let xr = x + r * c, dyr = dy + r * c
                        for k in 0..<c {
                            let g = Double(dyr[k])
                            s[k] += g
                            q[k] += g * Double((xr[k] - mu[k]) * inv[k])
                        }
                    }
                    if gammaTrainable, let g = gamma?.gradient.typed(T.self) { for k in 0..<c { g[k] += T(q[k]) } }
                    if betaTrainable, let g = beta?.gradient.typed(T.self) { for k in 0..<c { g[k] += T(s[k]) } }
                }
                guard needsInputGradient else { return }
                let dx = gradient.typed(T.self)
                if usedBatchStatistics {
                    // dx = a · (dy − mean(dy) − x̂ · mean(dy · x̂)).
                    let meanDy = gradientMeans.typed(T.self), meanProjection = meanDy + c
                    for k in 0..<c {
                        meanDy[k] = T(s[k] / Double(m))
                        meanProjection[k] = T(q[k] / Double(m))
                    }
                    for r in 0..<m {
                        let xr = x + r * c, dyr = dy + r * c, dxr = dx + r * c
                        for k in 0..<c {
                            let xhat = (xr[k] - mu[k]) * inv[k]
                            dxr[k] = a[k] * (dyr[k] - meanDy[k] - xhat * meanProjection[k])
                        }
                    }
                } else {
                    for r in 0..<m {
                        let dyr = dy + r * c, dxr = dx + r * c
                        for k in 0..<c { dxr[k] = a[k] * dyr[k] }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// The storage as `T`, which must be the tensor's element type (Float for float32, Double for
    /// float64); lets a generic kernel reach every tensor after one dispatch on the dtype.
    fileprivate func typed<T: TensorScalar>(_: T.Type) -> UnsafeMutablePointer<T> {
        precondition(MemoryLayout<T>.size == dtype.byteCount, "\(T.self) access to a \(dtype) tensor")
        switch dtype {
        case .float32: return UnsafeMutableRawPointer(f32).assumingMemoryBound(to: T.self)
        case .float64: return UnsafeMutableRawPointer(f64).assumingMemoryBound(to: T.self)
        }
    }
}
