import NNConfig
import NNTensor

/// Elementwise (softmax: row-wise) activation functions, by their Keras names.
///
/// - `linear`: y = z
/// - `relu`: y = max(0, z)
/// - `leaky_relu`: y = z for z ≥ 0, else slope · z (slope 0.2 as Keras' `activations.leaky_relu`;
///   the `leaky_relu` layer defaults to 0.3 like Keras' `LeakyReLU`)
/// - `sigmoid`: y = 1 / (1 + e^(-z))
/// - `tanh`: y = tanh z
/// - `softmax`: y_i = e^(z_i - m) / Σ_j e^(z_j - m) over the last axis, m = max_j z_j
/// - `heaviside`: y = 1 for z ≥ 0, else 0 — the perceptron's step. Its derivative is zero almost
///   everywhere, so only `optimizer: perceptron` can train through it.
public enum Activation: Sendable, Equatable {
    case linear, relu, sigmoid, tanh, softmax, heaviside
    case leakyReLU(slope: Double)

    public static let names = ["linear", "relu", "sigmoid", "tanh", "softmax", "leaky_relu", "heaviside"]

    public init?(name: String) {
        switch name {
        case "linear": self = .linear
        case "relu": self = .relu
        case "sigmoid": self = .sigmoid
        case "tanh": self = .tanh
        case "softmax": self = .softmax
        case "heaviside": self = .heaviside
        case "leaky_relu": self = .leakyReLU(slope: 0.2)
        default: return nil
        }
    }

    /// True when the activation can overwrite its input (y = f(z) in z's buffer): its derivative
    /// needs only y, and no loss reads the logits behind it. Layers then keep one buffer, not two,
    /// and `logits` holds the activated values. (Softmax and sigmoid feed fused losses from their
    /// logits; the step layer's logits pick the perceptron's class.)
    public var runsInPlace: Bool {
        switch self {
        case .linear, .relu, .tanh: return true
        default: return false
        }
    }

    public var name: String {
        switch self {
        case .linear: return "linear"
        case .relu: return "relu"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .softmax: return "softmax"
        case .heaviside: return "heaviside"
        case .leakyReLU: return "leaky_relu"
        }
    }

    /// y = f(z) for `z` viewed as rows of `width` (softmax normalises each row).
    public func forward(_ z: Tensor, into y: Tensor, width: Int) {
        precondition(z.count == y.count)
        if self == .relu && z.dtype == .float32 {
            let (zp, yp) = (z.f32, y.f32)
            WorkerPool.shared.forRanges(count: z.count) { r in SIMDKernels.relu(zp + r.lowerBound, yp + r.lowerBound, r.count) }
            return
        }
        switch z.dtype {
        case .float32: forward(z.f32, y.f32, z.count, width)
        case .float64: forward(z.f64, y.f64, z.count, width)
        }
    }

    /// dz = f'(z) ⊙ dy, computed from the output y (and z for the leaky slope).
    public func backward(outputGradient dy: Tensor, output y: Tensor, logits z: Tensor, into dz: Tensor, width: Int) {
        if self == .relu && dy.dtype == .float32 {
            let (dyp, yp, dzp) = (dy.f32, y.f32, dz.f32)
            WorkerPool.shared.forRanges(count: dy.count) { r in
                SIMDKernels.reluBackward(dyp + r.lowerBound, yp + r.lowerBound, dzp + r.lowerBound, r.count)
            }
            return
        }
        switch dy.dtype {
        case .float32: backward(dy.f32, y.f32, z.f32, dz.f32, dy.count, width)
        case .float64: backward(dy.f64, y.f64, z.f64, dz.f64, dy.count, width)
        }
    }

    @inline(__always)
    private func forward<T: TensorScalar>(_ z: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ width: Int) {
        switch self {
        case .linear: if z != y { y.update(from: z, count: n) }
        case .relu: for i in 0..<n { y[i] = z[i] > 0 ? z[i] : 0 }
        case .leakyReLU(let s): let s = T(s); for i in 0..<n { y[i] = z[i] >= 0 ? z[i] : s * z[i] }
        case .sigmoid:
            for i in 0..<n {
                // Stable on both sides: never exponentiates a large positive number.
                if z[i] >= 0 { y[i] = 1 / (1 + T.exp(-z[i])) } else { let e = T.exp(z[i]); y[i] = e / (1 + e) }
            }
        case .tanh: for i in 0..<n { y[i] = T.tanh(z[i]) }
        case .heaviside: for i in 0..<n { y[i] = z[i] >= 0 ? 1 : 0 }
        case .softmax:
            for r in 0..<(n / width) {
                let zr = z + r * width, yr = y + r * width
                var m = zr[0]
                for j in 1..<width where zr[j] > m { m = zr[j] }
                var sum: T = 0
                for j in 0..<width { yr[j] = T.exp(zr[j] - m); sum += yr[j] }
                let inv = 1 / sum
                for j in 0..<width { yr[j] *= inv }
            }
        }
    }

    @inline(__always)
    private func backward<T: TensorScalar>(_ dy: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>,
                                           _ z: UnsafeMutablePointer<T>, _ dz: UnsafeMutablePointer<T>, _ n: Int, _ width: Int) {
        switch self {
        case .linear: if dz != dy { dz.update(from: dy, count: n) }
        case .relu: for i in 0..<n { dz[i] = y[i] > 0 ? dy[i] : 0 }
        case .leakyReLU(let s): let s = T(s); for i in 0..<n { dz[i] = z[i] >= 0 ? dy[i] : s * dy[i] }
        case .sigmoid: for i in 0..<n { dz[i] = dy[i] * y[i] * (1 - y[i]) }
        case .tanh: for i in 0..<n { dz[i] = dy[i] * (1 - y[i] * y[i]) }
        case .heaviside: for i in 0..<n { dz[i] = 0 }
        case .softmax:
            // dz_i = y_i (dy_i - Σ_j dy_j y_j): the softmax Jacobian times dy.
            for r in 0..<(n / width) {
                let o = r * width
                var dot: T = 0
                for j in 0..<width { dot += dy[o + j] * y[o + j] }
                for j in 0..<width { dz[o + j] = y[o + j] * (dy[o + j] - dot) }
            }
        }
    }
}

extension Activation {
    /// Reads an `activation:` key: one of `Activation.names`.
    static func decode(_ r: MappingReader, _ key: String, default def: Activation) -> Activation {
        Activation(name: r.choice(key, Activation.names, default: def.name)) ?? def
    }

    func encode() -> ConfigNode { .string(name) }
}
