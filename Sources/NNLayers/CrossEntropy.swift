import NNTensor

/// `categorical_crossentropy` (one-hot targets) and `sparse_categorical_crossentropy` (class
/// indices): L = −1/N Σ_n Σ_c t_nc log p_nc.
///
/// From logits z (softmax output layer, the fused path): log p_c = z_c − logsumexp(z) with
/// logsumexp(z) = m + log Σ_c e^(z_c − m), m = max z, so L stays finite for any logits, and
/// dL/dz = (softmax(z) · Σ_c t_c − t) / N.
///
/// From probabilities y (any other output), as Keras does: p = y / Σ_c y_c, clipped to
/// [1e-7, 1 − 1e-7]; the gradient goes through the normalisation and is zero where clipped.
public struct CategoricalCrossentropy: Loss {
    public let sparse: Bool

    public init(sparse: Bool) { self.sparse = sparse }

    public var name: String { sparse ? "sparse_categorical_crossentropy" : "categorical_crossentropy" }
    public var targetEncoding: TargetEncoding { sparse ? .indices : .oneHot }
    public var fusedActivation: Activation? { .softmax }

    /// t_nc for sample n, class c.
    @inline(__always) private func t(_ target: Tensor, _ n: Int, _ c: Int, _ width: Int) -> Double {
        sparse ? (Int(target[n]) == c ? 1 : 0) : target[n * width + c]
    }

    public func value(logits z: Tensor, target: Tensor) -> Double {
        let (rows, width) = (z.batch, z.itemCount)
        var total = 0.0
        for n in 0..<rows {
            let lse = logSumExp(z, row: n, width: width)
            for c in 0..<width {
                let tc = t(target, n, c, width)
                if tc != 0 { total += tc * (lse - z[n * width + c]) }
            }
        }
        return total / Double(max(rows, 1))
    }

    public func gradient(logits z: Tensor, target: Tensor, into g: Tensor) {
        let (rows, width) = (z.batch, z.itemCount)
        let inv = 1 / Double(max(rows, 1))
        for n in 0..<rows {
            let lse = logSumExp(z, row: n, width: width)
            var tSum = 0.0
            for c in 0..<width { tSum += t(target, n, c, width) }
            for c in 0..<width {
                let p = Double.exp(z[n * width + c] - lse)
                g[n * width + c] = (p * tSum - t(target, n, c, width)) * inv
            }
        }
    }

    public func value(output y: Tensor, target: Tensor) -> Double {
        let (rows, width) = (y.batch, y.itemCount)
        var total = 0.0
        for n in 0..<rows {
            let s = rowSum(y, n, width)
            for c in 0..<width {
                let tc = t(target, n, c, width)
                if tc != 0 { total -= tc * Double.log(clip(y[n * width + c] / s)) }
            }
        }
        return total / Double(max(rows, 1))
    }

    public func gradient(output y: Tensor, target: Tensor, into g: Tensor) {
        let (rows, width) = (y.batch, y.itemCount)
        let inv = 1 / Double(max(rows, 1))
        for n in 0..<rows {
            let s = rowSum(y, n, width)
            // dL/dy_j = (1/S) (−t_j/p_j [p_j unclipped]) + (1/S²) Σ_i t_i y_i / p_i [p_i unclipped]
            var cross = 0.0
            var direct = [Double](repeating: 0, count: width)
            for i in 0..<width {
                let p = y[n * width + i] / s
                guard p > probabilityEpsilon && p < 1 - probabilityEpsilon else { continue }
                let ti = t(target, n, i, width)
                direct[i] = -ti / p
                cross += ti * y[n * width + i] / p
            }
            for j in 0..<width { g[n * width + j] = (direct[j] / s + cross / (s * s)) * inv }
        }
    }

    private func rowSum(_ y: Tensor, _ n: Int, _ width: Int) -> Double {
        var s = 0.0
        for c in 0..<width { s += y[n * width + c] }
        return s
    }
}

/// `binary_crossentropy`: L = −1/(N·C) Σ [t log p + (1 − t) log(1 − p)] over the batch and the C
/// outputs (Keras: mean over the last axis, then the batch).
///
/// From logits z (sigmoid output layer, fused): per element max(z, 0) − z·t + log(1 + e^(−|z|)),
/// dL/dz = (σ(z) − t) / (N·C). From probabilities: p clipped to [1e-7, 1 − 1e-7] as in Keras.
public struct BinaryCrossentropy: Loss {
    public init() {}
    public let name = "binary_crossentropy"
    public let targetEncoding = TargetEncoding.oneHot
    public var fusedActivation: Activation? { .sigmoid }

    public func value(logits z: Tensor, target t: Tensor) -> Double {
        var s = 0.0
        for i in 0..<z.count { s += max(z[i], 0) - z[i] * t[i] + Double.log1p(Double.exp(-abs(z[i]))) }
        return s / Double(max(z.count, 1))
    }

    public func gradient(logits z: Tensor, target t: Tensor, into g: Tensor) {
        let inv = 1 / Double(max(z.count, 1))
        for i in 0..<z.count {
            let sig = z[i] >= 0 ? 1 / (1 + Double.exp(-z[i])) : Double.exp(z[i]) / (1 + Double.exp(z[i]))
            g[i] = (sig - t[i]) * inv
        }
    }

    public func value(output y: Tensor, target t: Tensor) -> Double {
        var s = 0.0
        for i in 0..<y.count {
            let p = clip(y[i])
            s -= t[i] * Double.log(p) + (1 - t[i]) * Double.log(1 - p)
        }
        return s / Double(max(y.count, 1))
    }

    public func gradient(output y: Tensor, target t: Tensor, into g: Tensor) {
        let inv = 1 / Double(max(y.count, 1))
        for i in 0..<y.count {
            let p = y[i]
            g[i] = p > probabilityEpsilon && p < 1 - probabilityEpsilon ? (-t[i] / p + (1 - t[i]) / (1 - p)) * inv : 0
        }
    }
}

@inline(__always) func clip(_ p: Double) -> Double { min(max(p, probabilityEpsilon), 1 - probabilityEpsilon) }

/// log Σ_c e^(z_c) over one row, shifted by the row maximum.
func logSumExp(_ z: Tensor, row n: Int, width: Int) -> Double {
    var m = -Double.infinity
    for c in 0..<width { m = max(m, z[n * width + c]) }
    var s = 0.0
    for c in 0..<width { s += Double.exp(z[n * width + c] - m) }
    return m + Double.log(s)
}
