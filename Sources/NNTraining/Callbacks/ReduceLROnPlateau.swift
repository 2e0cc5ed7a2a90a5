import NNConfig
import NNModel

/// Keras' `ReduceLROnPlateau`: when `monitor` has not improved by more than `min_delta` for
/// `patience` epochs, multiplies the learning rate by `factor` (never below `min_lr`), then waits
/// `cooldown` epochs before counting again.
///
///     - reduce_lr_on_plateau: {monitor: val_loss, factor: 0.1, patience: 10, mode: auto,
///                              min_delta: 0.0001, cooldown: 0, min_lr: 0}      # Keras' defaults
public final class ReduceLROnPlateau: Callback {
    public let typeName = "reduce_lr_on_plateau"
    public let monitor: String
    public let factor: Double
    public let patience: Int
    public let mode: MonitorMode
    public let minDelta: Double
    public let cooldown: Int
    public let minLearningRate: Double
    private var wait = 0, cooldownCounter = 0
    private var best: Double

    init(_ r: MappingReader) {
        monitor = r.string("monitor", default: "val_loss")
        factor = r.double("factor", default: 0.1, in: 0...1, exclusiveMin: true, exclusiveMax: true)
        patience = r.int("patience", default: 10, in: 0...1_000_000)
        mode = MonitorMode.decode(r, monitor: monitor)
        minDelta = r.double("min_delta", default: 1e-4, in: 0...Double.greatestFiniteMagnitude)
        cooldown = r.int("cooldown", default: 0, in: 0...1_000_000)
        minLearningRate = r.double("min_lr", default: 0, in: 0...Double.greatestFiniteMagnitude)
        best = mode.worst
    }

    public var monitoredNames: [(key: String, name: String)] { [("monitor", monitor)] }

    public func encodeConfig() -> ConfigNode {
        .map([("monitor", .string(monitor)), ("factor", .double(factor)), ("patience", .int(patience)),
              ("mode", .string(mode.rawValue)), ("min_delta", .double(minDelta)), ("cooldown", .int(cooldown)),
              ("min_lr", .double(minLearningRate))])
    }

    public var banner: String? {
        "Reduce the learning rate on a plateau: \(monitor) (\(mode.rawValue)), patience \(patience), factor \(ConfigNode.formatNumber(factor)), min_lr \(ConfigNode.formatNumber(minLearningRate))"
    }

    public func epochEnded(_ epoch: Int, logs: [String: Double], _ run: CallbackContext) throws -> Bool {
        guard let current = logs[monitor] else { return false }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            wait = 0
        }
        if mode.improves(current, on: best, minDelta: minDelta) {
            best = current
            wait = 0
        } else if cooldownCounter == 0 {
            wait += 1
            if wait >= patience {
                let old = run.optimizer.learningRate
                if old > minLearningRate {
                    run.optimizer.learningRate = max(old * factor, minLearningRate)
                    run.log("Epoch \(epoch): ReduceLROnPlateau reducing learning rate to \(run.optimizer.learningRate).\n")
                    cooldownCounter = cooldown
                    wait = 0
                }
            }
        }
        return false
    }

    public func encodeState() -> ConfigNode {
        .map([("wait", .int(wait)), ("cooldown_counter", .int(cooldownCounter)), ("best", .double(best))])
    }

    public func restoreState(_ node: ConfigNode, folder: String, model: Model) throws {
        wait = node["wait"].flatMap(ConfigScalar.int) ?? 0
        cooldownCounter = node["cooldown_counter"].flatMap(ConfigScalar.int) ?? 0
        best = node["best"].flatMap(TrainingProgress.exactNumber) ?? mode.worst
    }
}
