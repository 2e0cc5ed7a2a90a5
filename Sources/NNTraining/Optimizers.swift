import Glibc
import NNLayers
import NNTensor

/// Keras' SGD: with momentum μ, m ← μ·m − lr·g, then w ← w + m (or, Nesterov, w ← w + μ·m − lr·g);
/// without momentum, w ← w − lr·g.
public final class SGD: Optimizer {
    public let name = "sgd"
    public var learningRate: Double
    public var options = OptimizerOptions()
    public let momentum: Double
    public let nesterov: Bool
    public var iterations = 0
    private let velocity = Slots("momentum")

    public init(learningRate: Double = 0.01, momentum: Double = 0, nesterov: Bool = false) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
    }

    public var slots: [Slots] { [velocity] }

    public func step(_ parameters: [Parameter]) {
        iterations += 1
        options.prepare(parameters, learningRate: learningRate)
        for (i, p) in parameters.enumerated() where p.isTrainable {
            let m = momentum > 0 ? velocity.get(i, p) : nil
            switch p.value.dtype {
            case .float32: update(p.value.f32, p.gradient.f32, m?.f32, p.value.count)
            case .float64: update(p.value.f64, p.gradient.f64, m?.f64, p.value.count)
            }
        }
    }

    private func update<T: TensorScalar>(_ w: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ m: UnsafeMutablePointer<T>?, _ n: Int) {
        let lr = T(learningRate), mu = T(momentum)
        guard let m else {
            for i in 0..<n { w[i] -= lr * g[i] }
            return
        }
        for i in 0..<n {
            m[i] = mu * m[i] - lr * g[i]
            w[i] += nesterov ? mu * m[i] - lr * g[i] : m[i]
        }
    }
}

/// Keras' Adam (Kingma and Ba 2015, "Adam: A method for stochastic optimization"), step t = 1, 2, ...:
/// m ← m + (1 − β₁)(g − m), v ← v + (1 − β₂)(g² − v),
/// w ← w − α_t · m / (√v + ε) with α_t = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ).
public final class Adam: Optimizer {
    /// `adam`, or `adamw` (the same rule; only the default weight decay differs).
    public let name: String
    public var learningRate: Double
    public var options = OptimizerOptions()
    public let beta1, beta2, epsilon: Double
    /// Number of updates applied so far.
    public var iterations = 0
    private let moments = Slots("m"), velocities = Slots("v")

    public init(name: String = "adam", learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-7) {
        self.name = name
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public var slots: [Slots] { [moments, velocities] }

    public func step(_ parameters: [Parameter]) {
        options.prepare(parameters, learningRate: learningRate)
        iterations += 1
        let t = Double(iterations)
        let alpha = learningRate * (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t))
        for (i, p) in parameters.enumerated() where p.isTrainable {
            let m = moments.get(i, p), v = velocities.get(i, p)
            switch p.value.dtype {
            case .float32:
                SIMDKernels.adam(p.value.f32, p.gradient.f32, m.f32, v.f32, p.value.count, b1: Float(1 - beta1),
                                 b2: Float(1 - beta2), alpha: Float(alpha), eps: Float(epsilon))
            case .float64: update(p.value.f64, p.gradient.f64, m.f64, v.f64, p.value.count, alpha)
            }
        }
    }

    private func update<T: TensorScalar>(_ w: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ m: UnsafeMutablePointer<T>,
                                         _ v: UnsafeMutablePointer<T>, _ n: Int, _ alpha: Double) {
        let b1 = T(1 - beta1), b2 = T(1 - beta2), a = T(alpha), eps = T(epsilon)
        for i in 0..<n {
            m[i] += (g[i] - m[i]) * b1
            v[i] += (g[i] * g[i] - v[i]) * b2
            w[i] -= a * m[i] / (v[i].squareRoot() + eps)
        }
    }
}

/// Keras' RMSprop: s ← ρ·s + (1 − ρ)·g², Δ = lr · g / √(s + ε); with momentum μ,
/// m ← μ·m + Δ and w ← w − m, else w ← w − Δ.
public final class RMSprop: Optimizer {
    public let name = "rmsprop"
    public var learningRate: Double
    public var options = OptimizerOptions()
    public let rho, momentum, epsilon: Double
    public var iterations = 0
    private let squares = Slots("rms"), velocity = Slots("momentum")

    public init(learningRate: Double = 0.001, rho: Double = 0.9, momentum: Double = 0, epsilon: Double = 1e-7) {
        self.learningRate = learningRate
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public var slots: [Slots] { [squares, velocity] }

    public func step(_ parameters: [Parameter]) {
        iterations += 1
        options.prepare(parameters, learningRate: learningRate)
        for (i, p) in parameters.enumerated() where p.isTrainable {
            let s = squares.get(i, p), m = momentum > 0 ? velocity.get(i, p) : nil
            switch p.value.dtype {
            case .float32:
                SIMDKernels.rmsprop(p.value.f32, p.gradient.f32, s.f32, m?.f32, p.value.count, rho: Float(rho),
                                    lr: Float(learningRate), eps: Float(epsilon), mu: Float(momentum))
            case .float64: update(p.value.f64, p.gradient.f64, s.f64, m?.f64, p.value.count)
            }
        }
    }

    private func update<T: TensorScalar>(_ w: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ s: UnsafeMutablePointer<T>,
                                         _ m: UnsafeMutablePointer<T>?, _ n: Int) {
        let r = T(rho), lr = T(learningRate), eps = T(epsilon), mu = T(momentum)
        for i in 0..<n {
            s[i] = r * s[i] + (1 - r) * g[i] * g[i]
            let delta = lr * g[i] / (s[i] + eps).squareRoot()
            if let m {
                m[i] = mu * m[i] + delta
                w[i] -= m[i]
            } else {
                w[i] -= delta
            }
        }
    }
}
