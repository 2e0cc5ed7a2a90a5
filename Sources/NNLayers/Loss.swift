import NNTensor

/// How a loss wants the class labels of a batch.
public enum TargetEncoding: Sendable {
    /// [batch, classes], 1 at the label (or [batch, 1] holding the 0/1 label for a one-unit output).
    case oneHot
    /// [batch], the class index.
    case indices
}

/// A loss function with Keras' name and reduction: the mean over the batch of a per-sample loss.
/// `output` is the network's output [batch, width]. Losses that pair with an output activation
/// (cross-entropy with softmax, binary cross-entropy with sigmoid) also compute from the logits,
/// which the trainer prefers whenever the last layer has that activation.
public protocol Loss: Sendable {
    var name: String { get }
    var targetEncoding: TargetEncoding { get }
    /// The output activation this loss fuses with, if any.
    var fusedActivation: Activation? { get }

    /// Mean loss of the batch.
    func value(output: Tensor, target: Tensor) -> Double
    /// d(mean loss)/d(output), written into `gradient` (same shape as `output`).
    func gradient(output: Tensor, target: Tensor, into gradient: Tensor)
    /// Mean loss computed from the logits z of the fused activation.
    func value(logits: Tensor, target: Tensor) -> Double
    /// d(mean loss)/d(logits).
    func gradient(logits: Tensor, target: Tensor, into gradient: Tensor)
}

extension Loss {
    public var fusedActivation: Activation? { nil }
    public func value(logits: Tensor, target: Tensor) -> Double { value(output: logits, target: target) }
    public func gradient(logits: Tensor, target: Tensor, into g: Tensor) { gradient(output: logits, target: target, into: g) }
}

/// The losses by name.
public enum Losses {
    public static let names = ["mean_squared_error", "categorical_crossentropy", "sparse_categorical_crossentropy",
                               "binary_crossentropy"]

    /// Keras' short names, accepted and written out in full.
    public static let aliases = ["mse": "mean_squared_error"]

    public static func canonicalName(_ name: String) -> String { aliases[name] ?? name }

    public static func make(_ name: String) -> (any Loss)? {
        switch canonicalName(name) {
        case "mean_squared_error": return MeanSquaredError()
        case "categorical_crossentropy": return CategoricalCrossentropy(sparse: false)
        case "sparse_categorical_crossentropy": return CategoricalCrossentropy(sparse: true)
        case "binary_crossentropy": return BinaryCrossentropy()
        default: return nil
        }
    }
}

/// Keras' probability clipping for cross-entropies: `epsilon()` = 1e-7.
let probabilityEpsilon = 1e-7

/// `mean_squared_error` — the course's cost function: L = 1/(N·C) Σ (y − t)² over the batch N and
/// the C outputs (Keras: mean over the last axis, then over the batch). dL/dy = 2 (y − t) / (N·C).
public struct MeanSquaredError: Loss {
    public init() {}
    public let name = "mean_squared_error"
    public let targetEncoding = TargetEncoding.oneHot

    public func value(output y: Tensor, target t: Tensor) -> Double {
        var s = 0.0
        for i in 0..<y.count { let d = y[i] - t[i]; s += d * d }
        return s / Double(max(y.count, 1))
    }

    public func gradient(output y: Tensor, target t: Tensor, into g: Tensor) {
        let scale = 2 / Double(max(y.count, 1))
        for i in 0..<y.count { g[i] = scale * (y[i] - t[i]) }
    }
}
