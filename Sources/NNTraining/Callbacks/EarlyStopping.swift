import NNCheckpoint
import NNConfig
import NNModel
import NNTensor

/// Keras' `EarlyStopping`: stops training when `monitor` has not improved by more than
/// `min_delta` for `patience` epochs (counting from `start_from_epoch`), optionally not before it
/// beats `baseline`; with `restore_best_weights`, the model ends with the weights of its best
/// epoch, whatever ended training (patience, the last epoch, or another callback).
///
///     - early_stopping: {monitor: val_loss, min_delta: 0, patience: 0, mode: auto, baseline: null,
///                        restore_best_weights: false, start_from_epoch: 0}      # Keras' defaults
///
/// Prints `Epoch 8: early stopping` and `Restoring model weights from the end of the best epoch: 5.`
/// The state (wait, best value and epoch, the best weights as `best_weights.safetensors` in the
/// run folder) is saved with every checkpoint, so a resumed run stops where the uninterrupted one
/// would have.
public final class EarlyStopping: Callback {
    public let typeName = "early_stopping"
    public let monitor: String
    public let minDelta: Double
    public let patience: Int
    public let mode: MonitorMode
    public let baseline: Double?
    public let restoreBestWeights: Bool
    public let startFromEpoch: Int

    public private(set) var wait = 0
    public private(set) var best: Double
    public private(set) var bestEpoch = 0
    public private(set) var stoppedEpoch = 0
    private var bestWeights: [Tensor]?

    public static let bestWeightsFile = "best_weights.safetensors"

    init(_ r: MappingReader) {
        monitor = r.string("monitor", default: "val_loss")
        minDelta = abs(r.double("min_delta", default: 0))
        patience = r.int("patience", default: 0, in: 0...1_000_000)
        mode = MonitorMode.decode(r, monitor: monitor)
        baseline = r.value("baseline") != nil ? r.double("baseline") : nil
        restoreBestWeights = r.bool("restore_best_weights", default: false)
        startFromEpoch = r.int("start_from_epoch", default: 0, in: 0...1_000_000)
        best = mode.worst
    }

    public var monitoredNames: [(key: String, name: String)] { [("monitor", monitor)] }

    public func encodeConfig() -> ConfigNode {
        .map([("monitor", .string(monitor)), ("min_delta", .double(minDelta)), ("patience", .int(patience)),
              ("mode", .string(mode.rawValue)), ("baseline", baseline.map { .double($0) } ?? .null),
              ("restore_best_weights", .bool(restoreBestWeights)), ("start_from_epoch", .int(startFromEpoch))])
    }

    public var banner: String? {
        "Early stopping: monitor \(monitor) (\(mode.rawValue)), patience \(patience), min_delta \(ConfigNode.formatNumber(minDelta))"
            + (baseline.map { ", baseline \(ConfigNode.formatNumber($0))" } ?? "")
            + (startFromEpoch > 0 ? ", from epoch \(startFromEpoch + 1)" : "")
            + (restoreBestWeights ? ", restoring the best weights at the end" : "")
    }

    public func epochEnded(_ epoch: Int, logs: [String: Double], _ run: CallbackContext) throws -> Bool {
        // Keras counts epochs from 0 here; nnrun's epochs are 1-based.
        guard let current = logs[monitor], epoch - 1 >= startFromEpoch else { return false }
        if restoreBestWeights && bestWeights == nil { bestWeights = snapshot(run.model) }
        wait += 1
        if mode.improves(current, on: best, minDelta: minDelta) {
            best = current
            bestEpoch = epoch
            if restoreBestWeights { bestWeights = snapshot(run.model) }
            // Only a value that beats the baseline too restarts the wait (Keras' rule).
            if baseline == nil || mode.improves(current, on: baseline ?? 0, minDelta: minDelta) { wait = 0 }
            return false
        }
        if wait >= patience && epoch > 1 {
            stoppedEpoch = epoch
            return true
        }
        return false
    }

    public func trainingEnded(_ run: CallbackContext) throws {
        if stoppedEpoch > 0 { run.log("Epoch \(stoppedEpoch): early stopping\n") }
        if restoreBestWeights, let bestWeights, bestEpoch > 0 {
            run.log("Restoring model weights from the end of the best epoch: \(bestEpoch).\n")
            for (p, saved) in zip(run.model.namedParameters.map(\.parameter), bestWeights) { p.value.copy(from: saved) }
        }
    }

    private func snapshot(_ model: Model) -> [Tensor] { model.namedParameters.map { $0.parameter.value.clone() } }

    public func encodeState() -> ConfigNode {
        .map([("wait", .int(wait)), ("best", .double(best)), ("best_epoch", .int(bestEpoch)),
              ("stopped_epoch", .int(stoppedEpoch)), ("has_best_weights", .bool(bestWeights != nil))])
    }

    public func restoreState(_ node: ConfigNode, folder: String, model: Model) throws {
        wait = node["wait"].flatMap(ConfigScalar.int) ?? 0
        best = node["best"].flatMap(TrainingProgress.exactNumber) ?? mode.worst
        bestEpoch = node["best_epoch"].flatMap(ConfigScalar.int) ?? 0
        stoppedEpoch = node["stopped_epoch"].flatMap(ConfigScalar.int) ?? 0
        guard node["has_best_weights"].flatMap(ConfigScalar.bool) == true else { return }
        let archive = try TrainedRun.readWeights("\(folder)/\(Self.bestWeightsFile)")
        bestWeights = try model.namedParameters.map { key, p in
            guard let e = archive.entry(key), e.shape == p.value.shape else {
                throw CheckpointError(archive.file, "tensor \"\(key)\" is missing or has another shape than the model's \(p.value.shape)")
            }
            let t = Tensor(zeros: p.value.shape, dtype: p.value.dtype)
            archive.copy(e, into: t)
            return t
        }
    }

    public func files(_ run: CallbackContext) -> [(name: String, contents: [UInt8])] {
        guard let bestWeights else { return [] }
        let keys = run.model.namedParameters.map(\.key)
        return [(Self.bestWeightsFile, SafeTensorsArchive.encode(Array(zip(keys, bestWeights)).map { ($0.0, $0.1) }))]
    }
}
