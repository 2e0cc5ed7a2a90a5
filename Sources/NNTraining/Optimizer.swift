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
    /// The slot variables (momenta, moments), one `Slots` per slot name: what
    /// `optimizer.safetensors` holds.
    var slots: [Slots] { get }
    /// Clipping and weight decay, applied at the start of every step (`OptimizerOptions.prepare`).
    var options: OptimizerOptions { get set }
    /// Applies one update to every trainable parameter.
    func step(_ parameters: [Parameter])
}

/// The `optimizer:` section of a run recipe: a name (`adam`) or a one-key mapping with options
/// (`{sgd: {learning_rate: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.0001, clipnorm: 1}}`):
/// the update rule and the options all Keras 3 optimizers share (`OptimizerOptions`).
public struct OptimizerConfig: Equatable, Sendable {
    public enum Rule: Equatable, Sendable {
        /// Keras' SGD: learning_rate 0.01, momentum 0, nesterov false.
        case sgd(learningRate: Double, momentum: Double, nesterov: Bool)
        /// Keras' Adam (Kingma and Ba 2015): learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7.
        case adam(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double)
        /// Keras' AdamW (Loshchilov and Hutter 2019): Adam with weight_decay defaulting to 0.004.
        case adamw(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double)
        /// Keras' RMSprop (Hinton, lecture 6e): learning_rate 0.001, rho 0.9, momentum 0, epsilon 1e-7.
        case rmsprop(learningRate: Double, rho: Double, momentum: Double, epsilon: Double)
        /// Rosenblatt's perceptron rule for one `dense` layer with `heaviside` activation:
        /// w += learning_rate · (t − y) · x, b += learning_rate · (t − y). learning_rate 1. Takes no
        /// clipping or weight decay.
        case perceptron(learningRate: Double)
    }

    public var rule: Rule
    public var options: OptimizerOptions

    public init(_ rule: Rule, options: OptimizerOptions = OptimizerOptions()) {
        self.rule = rule
        self.options = options
    }

    public static func sgd(learningRate: Double, momentum: Double, nesterov: Bool) -> OptimizerConfig {
        OptimizerConfig(.sgd(learningRate: learningRate, momentum: momentum, nesterov: nesterov))
    }
    public static func adam(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double) -> OptimizerConfig {
        OptimizerConfig(.adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon))
    }
    public static func rmsprop(learningRate: Double, rho: Double, momentum: Double, epsilon: Double) -> OptimizerConfig {
        OptimizerConfig(.rmsprop(learningRate: learningRate, rho: rho, momentum: momentum, epsilon: epsilon))
    }
    public static func perceptron(learningRate: Double) -> OptimizerConfig { OptimizerConfig(.perceptron(learningRate: learningRate)) }

    public static let names = ["sgd", "adam", "adamw", "rmsprop", "perceptron"]

    /// The configured learning rate (where schedules start by default).
    public var learningRate: Double {
        switch rule {
        case .sgd(let lr, _, _), .adam(let lr, _, _, _), .adamw(let lr, _, _, _), .rmsprop(let lr, _, _, _), .perceptron(let lr): return lr
        }
    }

    public static func decode(_ node: ConfigNode?, path: String, diagnostics: Diagnostics) -> OptimizerConfig {
        let fallback = OptimizerConfig.adam(learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7)
        guard let node else { return fallback }
        guard let t = Tagged(node, path: path, known: names, what: "optimizer", diagnostics: diagnostics),
              let r = MappingReader(t.body, path: t.path, diagnostics: diagnostics) else { return fallback }
        defer { r.finish() }
        let positive = 0.0...Double.greatestFiniteMagnitude
        func lr(_ def: Double) -> Double { r.double("learning_rate", default: def, in: positive, exclusiveMin: true) }
        switch t.type {
        case "perceptron":
            return .perceptron(learningRate: lr(1))
        case "sgd":
            return OptimizerConfig(.sgd(learningRate: lr(0.01), momentum: r.double("momentum", default: 0, in: 0...1),
                                        nesterov: r.bool("nesterov", default: false)), options: OptimizerOptions(r))
        case "rmsprop":
            return OptimizerConfig(.rmsprop(learningRate: lr(0.001), rho: r.double("rho", default: 0.9, in: 0...1),
                                            momentum: r.double("momentum", default: 0, in: 0...1),
                                            epsilon: r.double("epsilon", default: 1e-7, in: positive, exclusiveMin: true)),
                                   options: OptimizerOptions(r))
        default:
            let (rate, b1, b2, eps) = (lr(0.001), r.double("beta_1", default: 0.9, in: 0...1, exclusiveMax: true),
                                       r.double("beta_2", default: 0.999, in: 0...1, exclusiveMax: true),
                                       r.double("epsilon", default: 1e-7, in: positive, exclusiveMin: true))
            if t.type == "adamw" {
                return OptimizerConfig(.adamw(learningRate: rate, beta1: b1, beta2: b2, epsilon: eps),
                                       options: OptimizerOptions(r, weightDecay: 0.004))
            }
            return OptimizerConfig(.adam(learningRate: rate, beta1: b1, beta2: b2, epsilon: eps), options: OptimizerOptions(r))
        }
    }

    /// The YAML name of the rule (`adam`, `adamw`, ...).
    public var name: String {
        switch rule {
        case .sgd: return "sgd"
        case .adam: return "adam"
        case .adamw: return "adamw"
        case .rmsprop: return "rmsprop"
        case .perceptron: return "perceptron"
        }
    }

    public func encode() -> ConfigNode {
        let entries: [(String, ConfigNode)]
        switch rule {
        case .sgd(let lr, let m, let n):
            entries = [("learning_rate", .double(lr)), ("momentum", .double(m)), ("nesterov", .bool(n))]
        case .adam(let lr, let b1, let b2, let e), .adamw(let lr, let b1, let b2, let e):
            entries = [("learning_rate", .double(lr)), ("beta_1", .double(b1)), ("beta_2", .double(b2)), ("epsilon", .double(e))]
        case .rmsprop(let lr, let rho, let m, let e):
            entries = [("learning_rate", .double(lr)), ("rho", .double(rho)), ("momentum", .double(m)), ("epsilon", .double(e))]
        case .perceptron(let lr):
            entries = [("learning_rate", .double(lr))]
        }
        return .map([(name, .map(entries + options.encode()))])
    }

    public var isPerceptron: Bool {
        if case .perceptron = rule { return true }
        return false
    }

    /// A fresh optimizer with empty slots. The perceptron rule is SGD on one sample at a time with
    /// the gradient y − t at the step layer's logits (the trainer arranges both).
    public func make() -> any Optimizer {
        let optimizer: any Optimizer
        switch rule {
        case .sgd(let lr, let m, let n): optimizer = SGD(learningRate: lr, momentum: m, nesterov: n)
        case .adam(let lr, let b1, let b2, let e): optimizer = Adam(learningRate: lr, beta1: b1, beta2: b2, epsilon: e)
        case .adamw(let lr, let b1, let b2, let e):
            optimizer = Adam(name: "adamw", learningRate: lr, beta1: b1, beta2: b2, epsilon: e)
        case .rmsprop(let lr, let rho, let m, let e): optimizer = RMSprop(learningRate: lr, rho: rho, momentum: m, epsilon: e)
        case .perceptron(let lr): optimizer = SGD(learningRate: lr)
        }
        optimizer.options = options
        return optimizer
    }
}

extension Optimizer {
    /// Puts a saved slot tensor back at parameter position `index`; false for an unknown slot name.
    public func restoreSlot(_ name: String, index: Int, _ tensor: Tensor) -> Bool {
        guard let slot = slots.first(where: { $0.name == name }) else { return false }
        slot.set(index, tensor)
        return true
    }
}

/// One slot tensor per parameter position (nil where none was created yet), created lazily
/// (zeros) with the parameter's shape and dtype.
public final class Slots {
    public let name: String
    public private(set) var tensors: [Tensor?] = []

    init(_ name: String) { self.name = name }

    func set(_ index: Int, _ t: Tensor) {
        if index >= tensors.count { tensors += Array(repeating: nil, count: index + 1 - tensors.count) }
        tensors[index] = t
    }

    func get(_ index: Int, _ p: Parameter) -> Tensor {
        if index >= tensors.count { tensors += Array(repeating: nil, count: index + 1 - tensors.count) }
        if let t = tensors[index], t.shape == p.value.shape, t.dtype == p.value.dtype { return t }
        let t = Tensor(zeros: p.value.shape, dtype: p.value.dtype)
        tensors[index] = t
        return t
    }
}
