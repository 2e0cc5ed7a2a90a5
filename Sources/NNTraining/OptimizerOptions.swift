import NNConfig
import NNLayers
import NNTensor

/// The options every Keras 3 optimizer takes besides its own (`keras.optimizers.Optimizer`):
/// gradient clipping and decoupled weight decay, applied by `prepare` at the start of each step,
/// in Keras' order (`BaseOptimizer.apply`), to trainable parameters only:
///
/// 1. clipping (at most one of the three, as Keras requires):
///    - `clipnorm` c: each parameter's gradient g ← g · c / max(‖g‖₂, c) (per tensor);
///    - `global_clipnorm` c: every gradient g ← g · c / max(‖(g₁, g₂, …)‖₂, c), one norm over all;
///    - `clipvalue` v: g ← clip(g, −v, v) elementwise;
/// 2. weight decay wd (Loshchilov and Hutter 2019, "Decoupled weight decay regularization"):
///    w ← w − lr · wd · w, before the optimizer's own update (so with Adam this is AdamW).
///
/// Clipping rewrites `Parameter.gradient` in place (the trainer zeroes it before the next batch).
/// All four are off (nil) by default; `adamw` defaults `weight_decay` to 0.004, as Keras' AdamW.
public struct OptimizerOptions: Equatable, Sendable {
    public var weightDecay: Double?
    public var clipnorm: Double?
    public var clipvalue: Double?
    public var globalClipnorm: Double?

    public init(weightDecay: Double? = nil, clipnorm: Double? = nil, clipvalue: Double? = nil, globalClipnorm: Double? = nil) {
        self.weightDecay = weightDecay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.globalClipnorm = globalClipnorm
    }

    /// Reads `weight_decay` (≥ 0; default `weightDecay`), `clipnorm`, `clipvalue` and
    /// `global_clipnorm` (each > 0, at most one of them) from an optimizer's options.
    public init(_ r: MappingReader, weightDecay def: Double? = nil) {
        let positive = 0.0...Double.greatestFiniteMagnitude
        func optional(_ key: String, exclusiveMin: Bool) -> Double? {
            guard r.value(key) != nil else { r.allow(key); return nil }
            return r.double(key, in: positive, exclusiveMin: exclusiveMin)
        }
        weightDecay = optional("weight_decay", exclusiveMin: false) ?? def
        clipnorm = optional("clipnorm", exclusiveMin: true)
        clipvalue = optional("clipvalue", exclusiveMin: true)
        globalClipnorm = optional("global_clipnorm", exclusiveMin: true)
        let clips = [("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", globalClipnorm)].filter { $0.1 != nil }
        if clips.count > 1 {
            r.report(clips[1].0, "received \(clips.map { "\($0.0) \(r.value($0.0)?.scalarText ?? "")" }.joined(separator: " and ")); "
                     + "only one of clipnorm, clipvalue and global_clipnorm can be set (as in Keras): remove all but one")
        }
    }

    /// The options that are set, as YAML entries (none when all are off).
    public func encode() -> [(String, ConfigNode)] {
        [("weight_decay", weightDecay), ("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", globalClipnorm)]
            .compactMap { key, value in value.map { (key, ConfigNode.double($0)) } }
    }

    /// Clips the trainable parameters' gradients, then decays their weights by lr · wd.
    public func prepare(_ parameters: [Parameter], learningRate: Double) {
        let trainable = parameters.filter(\.isTrainable)
        if let c = clipnorm {
            for p in trainable { Self.scale(p.gradient, by: c / max(Self.norm(p.gradient), c)) }
        } else if let c = globalClipnorm {
            let total = trainable.reduce(0.0) { $0 + Self.squaredNorm($1.gradient) }.squareRoot()
            for p in trainable { Self.scale(p.gradient, by: c / max(total, c)) }
        } else if let v = clipvalue {
            for p in trainable {
                switch p.gradient.dtype {
                case .float32: Self.clip(p.gradient.f32, p.gradient.count, Float(v))
                case .float64: Self.clip(p.gradient.f64, p.gradient.count, v)
                }
            }
        }
        if let wd = weightDecay, wd > 0 {
            for p in trainable { Self.decay(p.value, by: learningRate * wd) }
        }
    }

    static func squaredNorm(_ t: Tensor) -> Double {
        switch t.dtype {
        case .float32: return (0..<t.count).reduce(0.0) { $0 + Double(t.f32[$1]) * Double(t.f32[$1]) }
        case .float64: return (0..<t.count).reduce(0.0) { $0 + t.f64[$1] * t.f64[$1] }
        }
    }

    static func norm(_ t: Tensor) -> Double { squaredNorm(t).squareRoot() }

    /// t ← t · factor.
    static func scale(_ t: Tensor, by factor: Double) {
        guard factor != 1 else { return }
        switch t.dtype {
        case .float32: let f = Float(factor); for i in 0..<t.count { t.f32[i] *= f }
        case .float64: for i in 0..<t.count { t.f64[i] *= factor }
        }
    }

    /// w ← w − w · d (Keras' `variable - variable * wd * lr`, d = lr · wd).
    static func decay(_ t: Tensor, by d: Double) {
        switch t.dtype {
        case .float32: let f = Float(d); for i in 0..<t.count { t.f32[i] -= t.f32[i] * f }
        case .float64: for i in 0..<t.count { t.f64[i] -= t.f64[i] * d }
        }
    }

    private static func clip<T: TensorScalar>(_ g: UnsafeMutablePointer<T>, _ n: Int, _ v: T) {
        for i in 0..<n { g[i] = min(max(g[i], -v), v) }
    }
}
