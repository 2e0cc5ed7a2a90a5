import NNCheckpoint
import NNConfig
import NNData
import NNModel
import NNTensor

/// nnrun's version, recorded in every run folder.
public let nnrunVersion = "0.1.0"

/// Version of the run-folder format (model.json and its siblings).
public let runFormatVersion = 1

/// The files of a finished run:
/// - `model.json`: format and nnrun versions, the resolved recipe (every default filled in, the
///   model inline), its SHA-256 (`config_hash`), seed, label names, input scaling, shapes, the GEMM
///   backend, and the training state (epochs run, optimizer steps).
/// - `history.csv`: one row per epoch (`epoch,accuracy,loss,val_accuracy,val_loss`).
/// - `metrics.json`: `{"test": {"loss": .., "accuracy": ..}, "epochs_run": .., "seconds": ..}`.
/// - `split.json`: which rows of the data went to train, validation and test.
struct RunRecord {
    let recipe: Recipe
    let splits: DataSplits
    let scaling: InputScaling
    let result: FitJob.Result
    let gemm: GEMM

    func files() -> [(name: String, contents: [UInt8])] {
        [("model.json", modelJSON()), ("history.csv", result.history.csv()), ("metrics.json", metricsJSON()),
         ("split.json", splitJSON())].map { ($0.0, Array($0.1.utf8)) }
    }

    func modelJSON() -> String {
        let config = recipe.resolved.setting("data", to: recipe.config.data.resolved(for: splits.train).encode())
        let model = result.trainer.model
        var entries: [(String, ConfigNode)] = [
            ("format_version", .int(runFormatVersion)),
            ("nnrun_version", .string(nnrunVersion)),
            ("name", .string(recipe.config.name)),
            ("seed", .int(recipe.config.seed)),
            ("config_hash", .string("sha256:" + SHA256.hex(config.setting("output", to: .null).jsonText()))),
        ]
        if let file = recipe.config.modelFile { entries.append(("model_file", .string(file))) }
        entries += [
            ("config", config),
            ("labels", .strings(splits.train.labelNames)),
            ("input_scaling", scaling.encode()),
            ("input_shape", .ints(model.inputShape)),
            ("output_shape", .ints(model.outputShape)),
            ("parameters", .map(model.namedParameters.map { ($0.key, .ints($0.parameter.value.shape)) })),
            ("gemm_backend", .string(gemm.kind.rawValue)),
            ("training_state", .map([("epochs_run", .int(result.history.epochs.count)), ("step", .int(result.trainer.step))])),
        ]
        return ConfigNode.map(entries).jsonText() + "\n"
    }

    func metricsJSON() -> String {
        ConfigNode.map([
            ("test", .map([("loss", finite(result.testLoss)), ("accuracy", finite(result.testAccuracy))])),
            ("epochs_run", .int(result.history.epochs.count)),
            ("seconds", .double((result.seconds * 1000).rounded() / 1000)),
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
