import NNConfig
import NNLayers
import NNTensor

/// Updates parameters from their gradients, with Keras' update rules and defaults. Slot variables
/// (momenta, moments) are kept by position in the parameter list, which a model always passes in
/// the same order, so they can be saved and restored by that order.
public protocol Optimizer: AnyObject {
    var name: String { get }
    var learningRate: Double { get set }
    /// Updates applied so far (Keras' `optimizer.iterations`).
    var iterations: Int { get set }
    /// The slot variables (momenta, moments) by slot name, one entry per parameter position (nil
    /// where none was created yet): what `optimizer.safetensors` holds.
    var slots: [(name: String, tensors: [Tensor?])] { get }
    /// Puts a saved slot tensor back at parameter position `index`; false for an unknown slot name.
    func restoreSlot(_ name: String, index: Int, _ tensor: Tensor) -> Bool
    /// Applies one update to every trainable parameter.
    func step(_ parameters: [Parameter])
}

/// The `optimizer:` section of a run recipe: a name (`adam`) or a one-key mapping with options
/// (`{sgd: {learning_rate: 0.1, momentum: 0.9, nesterov: true}}`).
public enum OptimizerConfig: Equatable, Sendable {
    /// Keras' SGD: learning_rate 0.01, momentum 0, nesterov false.
    case sgd(learningRate: Double, momentum: Double, nesterov: Bool)
    /// Keras' Adam (Kingma and Ba 2015): learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7.
    case adam(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double)
    /// Keras' RMSprop (Hinton, lecture 6e): learning_rate 0.001, rho 0.9, momentum 0, epsilon 1e-7.
    case rmsprop(learningRate: Double, rho: Double, momentum: Double, epsilon: Double)
    /// Rosenblatt's perceptron rule for one `dense` layer with `heaviside` activation:
    /// w += learning_rate · (t − y) · x, b += learning_rate · (t − y). learning_rate 1.
    case perceptron(learningRate: Double)

    public static let names = ["sgd", "adam", "rmsprop", "perceptron"]

    public static func decode(_ node: ConfigNode?, path: String, diagnostics: Diagnostics) -> OptimizerConfig {
        let fallback = OptimizerConfig.adam(learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7)
        guard let node else { return fallback }
        guard let t = Tagged(node, path: path, known: names, what: "optimizer", diagnostics: diagnostics),
              let r = MappingReader(t.body, path: t.path, diagnostics: diagnostics) else { return fallback }
        defer { r.finish() }
        let positive = 0.0...Double.greatestFiniteMagnitude
        switch t.type {
        case "sgd":
            return .sgd(learningRate: r.double("learning_rate", default: 0.01, in: positive, exclusiveMin: true),
                        momentum: r.double("momentum", default: 0, in: 0...1), nesterov: r.bool("nesterov", default: false))
        case "rmsprop":
            return .rmsprop(learningRate: r.double("learning_rate", default: 0.001, in: positive, exclusiveMin: true),
                            rho: r.double("rho", default: 0.9, in: 0...1), momentum: r.double("momentum", default: 0, in: 0...1),
                            epsilon: r.double("epsilon", default: 1e-7, in: positive, exclusiveMin: true))
        case "perceptron":
            return .perceptron(learningRate: r.double("learning_rate", default: 1, in: positive, exclusiveMin: true))
        default:
            return .adam(learningRate: r.double("learning_rate", default: 0.001, in: positive, exclusiveMin: true),
                         beta1: r.double("beta_1", default: 0.9, in: 0...1, exclusiveMax: true), beta2: r.double("beta_2", default: 0.999, in: 0...1, exclusiveMax: true),
                         epsilon: r.double("epsilon", default: 1e-7, in: positive, exclusiveMin: true))
        }
    }

    public func encode() -> ConfigNode {
        switch self {
        case .sgd(let lr, let m, let n):
            return .map([("sgd", .map([("learning_rate", .double(lr)), ("momentum", .double(m)), ("nesterov", .bool(n))]))])
        case .adam(let lr, let b1, let b2, let e):
            return .map([("adam", .map([("learning_rate", .double(lr)), ("beta_1", .double(b1)), ("beta_2", .double(b2)), ("epsilon", .double(e))]))])
        case .rmsprop(let lr, let rho, let m, let e):
            return .map([("rmsprop", .map([("learning_rate", .double(lr)), ("rho", .double(rho)), ("momentum", .double(m)), ("epsilon", .double(e))]))])
        case .perceptron(let lr):
            return .map([("perceptron", .map([("learning_rate", .double(lr))]))])
        }
    }

    public var isPerceptron: Bool {
        if case .perceptron = self { return true }
        return false
    }

    /// A fresh optimizer with empty slots. The perceptron rule is SGD on one sample at a time with
    /// the gradient y − t at the step layer's logits (the trainer arranges both).
    public func make() -> any Optimizer {
        switch self {
        case .sgd(let lr, let m, let n): return SGD(learningRate: lr, momentum: m, nesterov: n)
        case .adam(let lr, let b1, let b2, let e): return Adam(learningRate: lr, beta1: b1, beta2: b2, epsilon: e)
        case .rmsprop(let lr, let rho, let m, let e): return RMSprop(learningRate: lr, rho: rho, momentum: m, epsilon: e)
        case .perceptron(let lr): return SGD(learningRate: lr)
        }
    }
}

/// One slot tensor per parameter position, created lazily (zeros) with the parameter's shape and
/// dtype.
struct Slots {
    let name: String
    private(set) var tensors: [Tensor?] = []

    init(_ name: String) { self.name = name }

    var named: (name: String, tensors: [Tensor?]) { (name, tensors) }

    mutating func set(_ index: Int, _ t: Tensor) {
        if index >= tensors.count { tensors += Array(repeating: nil, count: index + 1 - tensors.count) }
        tensors[index] = t
    }

    mutating func get(_ index: Int, _ p: Parameter) -> Tensor {
        if index >= tensors.count { tensors += Array(repeating: nil, count: index + 1 - tensors.count) }
        if let t = tensors[index], t.shape == p.value.shape, t.dtype == p.value.dtype { return t }
        let t = Tensor(zeros: p.value.shape, dtype: p.value.dtype)
        tensors[index] = t
        return t
    }
}
