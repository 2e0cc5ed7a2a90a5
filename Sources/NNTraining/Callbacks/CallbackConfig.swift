import NNConfig

/// One entry of `training.callbacks:`, a one-key mapping like Keras' `EarlyStopping(patience=5)`:
///
///     training:
///       callbacks:
///         - early_stopping: {monitor: val_loss, patience: 5, restore_best_weights: true}
///         - reduce_lr_on_plateau: {factor: 0.5, patience: 3}
///         - cosine_decay: {decay_steps: 1000, warmup_steps: 100, warmup_target: 0.002}
///
/// Decoded with every default filled in (`options` is the resolved mapping); `make()` builds a
/// fresh callback. A monitor the run will never produce is an error that lists what it produces.
public struct CallbackConfig: Equatable, Sendable {
    public var type: String
    public var options: ConfigNode

    public static let types = ["early_stopping", "model_checkpoint", "csv_logger", "reduce_lr_on_plateau", "terminate_on_nan",
                               "step_decay", "exponential_decay", "cosine_decay"]

    /// Decodes the list at `path`; `produced` are the log names the run writes (`loss`,
    /// `val_accuracy`, ...), `learningRate` the optimizer's (the schedules' default start).
    static func decodeList(_ node: ConfigNode, path: String, produced: [String], learningRate: Double,
                           diagnostics: Diagnostics) -> [CallbackConfig] {
        guard let items = node.items else {
            diagnostics.report(node, path, "received \(node.brief), expected a list of callbacks, e.g. - early_stopping: {patience: 5}")
            return []
        }
        var out: [CallbackConfig] = []
        for (i, item) in items.enumerated() {
            guard let t = Tagged(item, path: "\(path)[\(i)]", known: types, what: "callback", diagnostics: diagnostics),
                  let r = MappingReader(t.body, path: t.path, diagnostics: diagnostics) else { continue }
            let callback = make(type: t.type, r, learningRate: learningRate)
            r.finish()
            for (key, name) in callback.monitoredNames where !produced.contains(name) {
                let node = r.node[key]
                diagnostics.report(node ?? t.body, r.childPath(key),
                    "received \"\(name)\", but this run produces only: \(produced.joined(separator: ", "))\(key == "filepath" ? " (and epoch)" : "")",
                    suggestion: didYouMean(name, among: produced))
            }
            out.append(CallbackConfig(type: t.type, options: callback.encodeConfig()))
        }
        return out
    }

    /// A fresh callback with these options (resolved when decoded, so they read back without
    /// problems; nil only if `options` is not a mapping).
    public func make() -> (any Callback)? {
        guard let r = MappingReader(options, path: type, diagnostics: Diagnostics()) else { return nil }
        return Self.make(type: type, r, learningRate: 0.001)
    }

    public func encode() -> ConfigNode { .map([(type, options)]) }

    static func make(type: String, _ r: MappingReader, learningRate: Double) -> any Callback {
        switch type {
        case "early_stopping": return EarlyStopping(r)
        case "model_checkpoint": return ModelCheckpoint(r)
        case "csv_logger": return CSVLogger(r)
        case "reduce_lr_on_plateau": return ReduceLROnPlateau(r)
        case "terminate_on_nan": return TerminateOnNaN(r)
        default: return LearningRateSchedule(type: type, r, defaultLearningRate: learningRate)
        }
    }
}
