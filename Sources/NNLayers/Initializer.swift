import NNConfig
import NNTensor

/// Weight initialisers with Keras' names and formulas (keras.initializers). For a kernel of shape
/// [..., fan_in_axis, fan_out_axis], fan_in = product of all axes but the last and fan_out = product
/// of all axes but the second-to-last (dense [in, out]: fan_in = in, fan_out = out; conv
/// [kh, kw, cin, cout]: fan_in = kh·kw·cin, fan_out = kh·kw·cout).
///
/// - `glorot_uniform` (Glorot and Bengio 2010): U(-l, l), l = √(6 / (fan_in + fan_out))
/// - `glorot_normal`: truncated N(0, σ²), σ = √(2 / (fan_in + fan_out)) / 0.8796
/// - `he_uniform` (He et al. 2015): l = √(6 / fan_in); `he_normal`: σ = √(2 / fan_in) / 0.8796
/// - `lecun_uniform`: l = √(3 / fan_in); `lecun_normal`: σ = √(1 / fan_in) / 0.8796
/// - `random_normal` {mean 0, stddev 0.05}, `random_uniform` {minval -0.05, maxval 0.05},
///   `zeros`, `ones`, `constant` {value 0}
///
/// The truncated normals redraw beyond two standard deviations; 0.8796 (= the standard deviation
/// of a unit normal truncated at ±2) restores the intended variance, as Keras does.
public enum Initializer: Sendable, Equatable {
    case glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal
    case randomNormal(mean: Double, stddev: Double)
    case randomUniform(min: Double, max: Double)
    case constant(Double)

    public static let names = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
                               "lecun_normal", "random_normal", "random_uniform", "zeros", "ones", "constant"]

    /// Reads a scalar name (`he_normal`) or a one-key mapping with options (`{random_normal: {stddev: 0.1}}`).
    public static func decode(_ reader: MappingReader, _ key: String, default def: Initializer) -> Initializer {
        guard let node = reader.value(key) else { return def }
        let path = reader.childPath(key)
        guard let t = Tagged(node, path: path, known: names, what: "initializer", diagnostics: reader.diagnostics),
              let body = MappingReader(t.body, path: t.path, diagnostics: reader.diagnostics) else { return def }
        defer { body.finish() }
        switch t.type {
        case "glorot_uniform": return .glorotUniform
        case "glorot_normal": return .glorotNormal
        case "he_uniform": return .heUniform
        case "he_normal": return .heNormal
        case "lecun_uniform": return .lecunUniform
        case "lecun_normal": return .lecunNormal
        case "random_normal":
            return .randomNormal(mean: body.double("mean", default: 0), stddev: body.double("stddev", default: 0.05, in: 0...1e6))
        case "random_uniform":
            return .randomUniform(min: body.double("minval", default: -0.05), max: body.double("maxval", default: 0.05))
        case "zeros": return .constant(0)
        case "ones": return .constant(1)
        default: return .constant(body.double("value", default: 0))
        }
    }

    public func encode() -> ConfigNode {
        switch self {
        case .glorotUniform: return .string("glorot_uniform")
        case .glorotNormal: return .string("glorot_normal")
        case .heUniform: return .string("he_uniform")
        case .heNormal: return .string("he_normal")
        case .lecunUniform: return .string("lecun_uniform")
        case .lecunNormal: return .string("lecun_normal")
        case .randomNormal(let m, let s): return .map([("random_normal", .map([("mean", .double(m)), ("stddev", .double(s))]))])
        case .randomUniform(let lo, let hi): return .map([("random_uniform", .map([("minval", .double(lo)), ("maxval", .double(hi))]))])
        case .constant(0): return .string("zeros")
        case .constant(1): return .string("ones")
        case .constant(let v): return .map([("constant", .map([("value", .double(v))]))])
        }
    }

    /// Fills `t` (shape [..., in, out]) with initial values drawn from `rng`.
    public func fill(_ t: Tensor, rng: inout RNG) {
        let shape = t.shape
        let fanIn = shape.count >= 2 ? shape.dropLast().reduce(1, *) : shape.first ?? 1
        let fanOut = shape.count >= 2 ? shape.reduce(1, *) / shape[shape.count - 2] : shape.first ?? 1
        let truncationCorrection = 0.87962566103423978
        for i in 0..<t.count {
            let v: Double
            switch self {
            case .glorotUniform: let l = (6.0 / Double(fanIn + fanOut)).squareRoot(); v = rng.uniform(-l, l)
            case .glorotNormal: v = rng.truncatedNormal() * (2.0 / Double(fanIn + fanOut)).squareRoot() / truncationCorrection
            case .heUniform: let l = (6.0 / Double(fanIn)).squareRoot(); v = rng.uniform(-l, l)
            case .heNormal: v = rng.truncatedNormal() * (2.0 / Double(fanIn)).squareRoot() / truncationCorrection
            case .lecunUniform: let l = (3.0 / Double(fanIn)).squareRoot(); v = rng.uniform(-l, l)
            case .lecunNormal: v = rng.truncatedNormal() * (1.0 / Double(fanIn)).squareRoot() / truncationCorrection
            case .randomNormal(let m, let s): v = m + s * rng.normal()
            case .randomUniform(let lo, let hi): v = rng.uniform(lo, hi)
            case .constant(let c): v = c
            }
            t[i] = v
        }
    }
}

/// A layer's `kernel` of `kernelShape` and, when `useBias`, its `bias` of `units` values, filled by
/// their initialisers from `rng` in that order (dense and the convolutions).
func makeKernelAndBias(kernelShape: [Int], units: Int, useBias: Bool, kernelInitializer: Initializer,
                       biasInitializer: Initializer, dtype: DType, rng: inout RNG) -> (kernel: Parameter, bias: Parameter?) {
    let w = Tensor(zeros: kernelShape, dtype: dtype)
    kernelInitializer.fill(w, rng: &rng)
    guard useBias else { return (Parameter(name: "kernel", value: w), nil) }
    let b = Tensor(zeros: [units], dtype: dtype)
    biasInitializer.fill(b, rng: &rng)
    return (Parameter(name: "kernel", value: w), Parameter(name: "bias", value: b))
}
