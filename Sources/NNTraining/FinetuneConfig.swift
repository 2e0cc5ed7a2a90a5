import NNConfig
import NNModel

/// The `finetune:` section of a transfer-learning recipe (`nnrun finetune`):
///
///     finetune:
///       from: runs/digits-0to4     # the trained run to start from (--from overrides)
///       drop: 1                    # the base's last layers to drop (default 1: its classifier)
///       head:                      # layers appended after the kept ones (default: none)
///         - dense: {units: 5, activation: softmax}
///       freeze: 3                  # freeze the first N layers (--freeze overrides; default 0)
///       unfreeze_at: {epoch: 6, learning_rate: 0.0001}   # optional: gradual unfreezing
///       strict: false              # fail unless every kept layer loads (--strict)
///
/// The model is the base's layers without the last `drop`, then `head`; the kept layers start
/// from the base's weights (by layer name), the head from fresh initial values. Frozen layers keep
/// their weights bit for bit, and a frozen batch normalization runs in inference mode (Keras'
/// rule). From epoch `unfreeze_at.epoch` on, every layer trains, at `learning_rate` when given.
public struct FinetuneConfig: Equatable, Sendable {
    public var from: String
    public var drop = 1
    public var head: ConfigNode = .list([])
    public var freeze = 0
    public var unfreezeEpoch: Int?
    public var unfreezeLearningRate: Double?
    public var strict = false

    public static func decode(_ r: MappingReader) -> FinetuneConfig {
        defer { r.finish() }
        var c = FinetuneConfig(from: r.string("from"))
        c.drop = r.int("drop", default: 1, in: 0...1_000_000)
        if let head = r.value("head") {
            if head.items == nil { r.report("head", "received \(head.brief), expected a list of layers, like the model's layers:") }
            c.head = head
        }
        c.freeze = r.int("freeze", default: 0, in: 0...1_000_000)
        if let u = r.mapping("unfreeze_at") {
            c.unfreezeEpoch = u.int("epoch", in: 1...1_000_000)
            c.unfreezeLearningRate = u.value("learning_rate") != nil
                ? u.double("learning_rate", in: 0...Double.greatestFiniteMagnitude, exclusiveMin: true) : nil
            u.finish()
        }
        c.strict = r.bool("strict", default: false)
        return c
    }

    /// Decodes a `finetune:` node on its own; nil when it has problems (the full decode reports them).
    static func decode(_ node: ConfigNode, path: String) -> FinetuneConfig? {
        let diagnostics = Diagnostics()
        guard let r = MappingReader(node, path: path, diagnostics: diagnostics) else { return nil }
        let c = decode(r)
        return diagnostics.errors.isEmpty ? c : nil
    }

    public func encode() -> ConfigNode {
        var unfreeze: ConfigNode = .null
        if let unfreezeEpoch {
            unfreeze = .map([("epoch", .int(unfreezeEpoch)), ("learning_rate", unfreezeLearningRate.map { .double($0) } ?? .null)])
        }
        return .map([("from", .string(from)), ("drop", .int(drop)), ("head", head.withoutLocations), ("freeze", .int(freeze)),
                     ("unfreeze_at", unfreeze), ("strict", .bool(strict))])
    }

    /// Whether the first `freeze` layers are frozen during epoch `epoch` (1-based).
    public func isFrozen(atEpoch epoch: Int) -> Bool {
        freeze > 0 && (unfreezeEpoch.map { epoch < $0 } ?? true)
    }

    /// The model mapping of a fine-tuning recipe: `base` (a run's stored model: `input` and
    /// `layers`, each layer named) without its last `drop` layers, then `head`. Errors point at
    /// `finetune.drop` in the recipe.
    func model(base: ConfigNode, section: ConfigNode?) throws -> ConfigNode {
        let layers = base["layers"]?.items ?? []
        guard drop < layers.count else {
            throw ConfigErrors([ConfigError(location: section?["drop"]?.location ?? section?.location, path: "finetune.drop",
                message: "received \(drop), but the base \(from) has \(layers.count) layer\(layers.count == 1 ? "" : "s"); keep at least one")])
        }
        return base.setting("layers", to: .list(Array(layers.prefix(layers.count - drop)) + (head.items ?? [])))
    }
}
