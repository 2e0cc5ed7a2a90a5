import NNCheckpoint
import NNConfig
import NNData
import NNModel
import NNTensor

/// nnrun's version, recorded in every run folder.
public let nnrunVersion = "0.2.0"

/// Version of the run-folder format (model.json and its siblings).
public let runFormatVersion = 1

/// The files of a run folder, written as a whole (atomically, by `RunFolder.write`) at every
/// checkpoint and once more at the end:
/// - `model.json`: format and nnrun versions, the resolved recipe (every default filled in, the
///   model inline), its SHA-256 (`config_hash`), seed, label names, input scaling, shapes, the
///   folder relative data paths are read from, the fine-tuning base if any, `status`
///   (`training` until the test split is evaluated, then `complete`) and `training_state`: steps,
///   epochs, the unfinished epoch's running sums, the history, the optimizer's learning rate and
///   iterations, and how every random stream is derived;
/// - `weights.safetensors`, `optimizer.safetensors` (see `Checkpoint`);
/// - `history.csv`: one row per finished epoch (`epoch,accuracy,loss,val_accuracy,val_loss`);
/// - `split.json`: which rows of the data went to train, validation and test;
/// - `curves.svg`: the learning curves so far; callbacks' files (`best_weights.safetensors`);
/// - `metrics.json` and `report.html` (complete runs): `{"test": {"loss": .., "accuracy": ..},
///   "epochs_run": .., "seconds": ..}`; the self-contained report.
struct RunRecord {
    let recipe: Recipe
    let splits: DataSplits
    let scaling: InputScaling
    let trainer: Trainer
    let gemm: GEMM
    /// Absolute folder that relative data paths of the recipe are looked up in.
    let dataFolder: String
    /// `{from, freeze, load_report}` of a fine-tuned run.
    var finetune: ConfigNode?
    /// Set once training is over and the test split evaluated.
    var test: (loss: Double, accuracy: Double)?
    var seconds = 0.0
    /// `report.html`, made once training is over.
    var report: [UInt8]?

    func files() -> [(name: String, contents: [UInt8])] {
        var files = [("model.json", Array(modelJSON().utf8)),
                     (Checkpoint.weightsFile, Checkpoint.weights(of: trainer.model)),
                     (Checkpoint.optimizerFile, Checkpoint.optimizerState(trainer.optimizer, of: trainer.model)),
                     ("history.csv", Array(trainer.history.csv().utf8)),
                     ("split.json", Array(splitJSON().utf8)),
                     ("curves.svg", curvesSVG())]
        let context = CallbackContext(trainer: trainer, log: { _ in })
        files += trainer.callbacks.flatMap { $0.files(context) }
        if test != nil { files.append(("metrics.json", Array(metricsJSON().utf8))) }
        if let report { files.append(("report.html", report)) }
        return files
    }

    /// The resolved recipe as stored: data with its shape and classes filled in.
    var storedConfig: ConfigNode {
        recipe.resolved.setting("data", to: recipe.config.data.resolved(for: splits.train).encode())
    }

    /// SHA-256 of the stored recipe without its output folder: equal hashes, equal runs.
    static func configHash(_ config: ConfigNode) -> String {
        "sha256:" + SHA256.hex(config.setting("output", to: .null).jsonText())
    }

    func modelJSON() -> String {
        let config = storedConfig
        let model = trainer.model
        var entries: [(String, ConfigNode)] = [
            ("format_version", .int(runFormatVersion)),
            ("nnrun_version", .string(nnrunVersion)),
            ("name", .string(recipe.config.name)),
            ("seed", .int(recipe.config.seed)),
            ("config_hash", .string(Self.configHash(config))),
        ]
        if let file = recipe.config.modelFile { entries.append(("model_file", .string(file))) }
        if let finetune { entries.append(("finetune", finetune)) }
        entries += [
            ("config", config),
            ("data_folder", .string(dataFolder)),
            ("working_folder", .string(absolutePath("."))),
            ("labels", .strings(splits.train.labelNames)),
            ("input_scaling", scaling.encode()),
            ("input_shape", .ints(model.inputShape)),
            ("output_shape", .ints(model.outputShape)),
            ("parameters", .map(model.namedParameters.map { ($0.key, .ints($0.parameter.value.shape)) })),
            ("gemm_backend", .string(gemm.kind.rawValue)),
            ("status", .string(test == nil ? "training" : "complete")),
            ("training_state", trainingState()),
        ]
        return ConfigNode.map(entries).jsonText() + "\n"
    }

    func trainingState() -> ConfigNode {
        let progress = trainer.progress
        var entries = progress.encode().entries ?? []
        entries.append(ConfigNode.Entry(key: "optimizer", value: .map([
            ("name", .string(trainer.optimizer.name)), ("learning_rate", .double(trainer.optimizer.learningRate)),
            ("iterations", .int(trainer.optimizer.iterations))])))
        entries.append(ConfigNode.Entry(key: "callbacks", value: .list(trainer.callbacks.map {
            .map([("type", .string($0.typeName)), ("state", $0.encodeState())])
        })))
        if let stopped = trainer.stoppedEpoch { entries.append(ConfigNode.Entry(key: "stopped_epoch", value: .int(stopped))) }
        // No generator state needs saving: each stream is a pure function of the seed and a counter.
        entries.append(ConfigNode.Entry(key: "rng", value: .map([
            ("algorithm", .string("xoshiro256**")),
            ("shuffle", .string("stream \"shuffle\" of seed \(recipe.config.seed), indexed by epoch; next epoch \(progress.epochsRun + 1)")),
            ("dropout", .string("stream \"dropout\" of seed \(recipe.config.seed), indexed by step; next step \(progress.step + 1)")),
            ("augmentation", .string("stream \"augment\" of seed \(recipe.config.seed), indexed by step; next step \(progress.step + 1)")),
        ])))
        return ConfigNode(.mapping(entries))
    }

    func metricsJSON() -> String {
        ConfigNode.map([
            ("test", .map([("loss", finite(test?.loss ?? .nan)), ("accuracy", finite(test?.accuracy ?? .nan))])),
            ("epochs_run", .int(trainer.history.epochs.count)),
            ("seconds", .double((seconds * 1000).rounded() / 1000)),
        ]).jsonText() + "\n"
    }

    func splitJSON() -> String {
        ConfigNode.map([
            ("seed", .int(recipe.config.seed)),
            ("counts", .map([("train", .int(splits.trainRows.count)), ("validation", .int(splits.validationRows.count)),
                             ("test", .int(splits.testRows.count))])),
            ("train", .ints(splits.trainRows)),
            ("validation", .ints(splits.validationRows)),
            ("test", .ints(splits.testRows)),
        ]).jsonText() + "\n"
    }

    /// A number, or JSON null when it is NaN or infinite (JSON has no spelling for them).
    func finite(_ v: Double) -> ConfigNode { v.isFinite ? .double(v) : .null }
}
