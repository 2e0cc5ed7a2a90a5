import NNConfig
import NNTensor

/// A weight penalty added to the training loss (Keras' `keras.regularizers`):
///
///     penalty(w) = l1 · Σ|wᵢ| + l2 · Σwᵢ²        (no 1/2 on the l2 term, as in Keras)
///     ∂penalty/∂wᵢ = l1 · sign(wᵢ) + 2 · l2 · wᵢ  (sign(0) = 0)
///
/// YAML, with Keras 3's defaults: `l1` (l1 0.01), `l2` (l2 0.01), `{l1: 0.001}`, `{l2: 0.0001}`,
/// `{l1_l2: {l1: 0.01, l2: 0.01}}` (missing keys 0, as `L1L2()`). As in Keras, the bare name `l1_l2`
/// is rejected (Keras' `regularizers.get("l1_l2")` fails): it would be a penalty of zero.
public struct Regularizer: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case l1, l2, l1_l2
    }

    public var kind: Kind
    public var l1: Double
    public var l2: Double

    public init(l1: Double = 0, l2: Double = 0) {
        self.kind = l1 != 0 && l2 != 0 ? .l1_l2 : (l1 != 0 ? .l1 : .l2)
        self.l1 = l1
        self.l2 = l2
    }

    init(kind: Kind, l1: Double, l2: Double) {
        self.kind = kind
        self.l1 = l1
        self.l2 = l2
    }

    /// Reads the optional regulariser under `key`; nil when absent or invalid (problems go to the
    /// reader's diagnostics).
    public static func decode(_ reader: MappingReader, _ key: String) -> Regularizer? {
        guard let node = reader.value(key) else { return nil }
        let path = reader.childPath(key)
        if case .null = node.kind { return nil }
        let names = Kind.allCases.map(\.rawValue)
        guard let t = Tagged(node, path: path, known: names, what: "regularizer", diagnostics: reader.diagnostics),
              let kind = Kind(rawValue: t.type) else { return nil }
        let d = reader.diagnostics
        let expected = "a number >= 0 (the penalty factor)"
        func factor(_ v: ConfigNode, _ at: String) -> Double? {
            guard let x = ConfigScalar.double(v), x >= 0 else {
                d.report(v, at, "received \(v.brief), expected \(expected)")
                return nil
            }
            return x
        }
        // `{l2: 0.0001}`: the factor itself (l1, l2 only).
        if case .scalar = t.body.kind, kind != .l1_l2 {
            guard let x = factor(t.body, t.path) else { return nil }
            return Regularizer(kind: kind, l1: kind == .l1 ? x : 0, l2: kind == .l2 ? x : 0)
        }
        if case .scalar = node.kind, kind == .l1_l2 {
            d.report(node, path, "received \"l1_l2\" without factors, expected {l1_l2: {l1: 0.01, l2: 0.01}} "
                     + "(Keras has no bare l1_l2: its factors default to 0)")
            return nil
        }
        guard let body = MappingReader(t.body, path: t.path, diagnostics: d) else { return nil }
        defer { body.finish() }
        let range = 0.0...Double.greatestFiniteMagnitude
        switch kind {
        case .l1: return Regularizer(kind: .l1, l1: body.double("l1", default: 0.01, in: range), l2: 0)
        case .l2: return Regularizer(kind: .l2, l1: 0, l2: body.double("l2", default: 0.01, in: range))
        case .l1_l2:
            return Regularizer(kind: .l1_l2, l1: body.double("l1", default: 0, in: range), l2: body.double("l2", default: 0, in: range))
        }
    }

    /// `{l1: 0.01}`, `{l2: 0.01}` or `{l1_l2: {l1: 0.01, l2: 0.01}}`; decodes back to an equal value.
    public func encode() -> ConfigNode {
        switch kind {
        case .l1: return .map([("l1", .double(l1))])
        case .l2: return .map([("l2", .double(l2))])
        case .l1_l2: return .map([("l1_l2", .map([("l1", .double(l1)), ("l2", .double(l2))]))])
        }
    }

    /// l1 · Σ|wᵢ| + l2 · Σwᵢ², summed in Double.
    public func penalty(_ w: Tensor) -> Double {
        switch w.dtype {
        case .float32: return penalty(w.f32, w.count)
        case .float64: return penalty(w.f64, w.count)
        }
    }

    /// gradient += l1 · sign(w) + 2 · l2 · w.
    public func addGradient(of w: Tensor, into gradient: Tensor) {
        switch w.dtype {
        case .float32: addGradient(w.f32, gradient.f32, w.count)
        case .float64: addGradient(w.f64, gradient.f64, w.count)
        }
    }

    private func penalty<T: TensorScalar>(_ w: UnsafeMutablePointer<T>, _ n: Int) -> Double {
        var absSum = 0.0, squareSum = 0.0
        for i in 0..<n {
            let x = Double(w[i])
            absSum += abs(x)
            squareSum += x * x
        }
        return l1 * absSum + l2 * squareSum
    }

    private func addGradient<T: TensorScalar>(_ w: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ n: Int) {
        let a = T(l1), b = T(2 * l2)
        for i in 0..<n {
            let sign: T = w[i] > 0 ? 1 : (w[i] < 0 ? -1 : 0)
            g[i] += a * sign + b * w[i]
        }
    }
}

/// Optional `kernel_regularizer` / `bias_regularizer` entries for a layer's encoded options.
func regularizerEntries(kernel: Regularizer?, bias: Regularizer?) -> [(String, ConfigNode)] {
    (kernel.map { [("kernel_regularizer", $0.encode())] } ?? []) + (bias.map { [("bias_regularizer", $0.encode())] } ?? [])
}
