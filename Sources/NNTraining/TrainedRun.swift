import Foundation
import NNCheckpoint
import NNConfig
import NNData
import NNLayers
import NNModel
import NNTensor

/// A run folder read back: its recipe, label names, input scaling and model with the saved
/// weights, and where training stood. Everything is validated before anything is used: a folder
/// that is not a run, a model.json that does not parse or describes another format, weights that
/// do not fit the model it describes are each a one-line `CheckpointError`.
public struct TrainedRun {
    public let folder: String
    public let recipe: Recipe
    /// model.json, parsed.
    public let record: ConfigNode
    public let labels: [String]
    public let scaling: InputScaling
    /// The recipe's folder, and the folder `fit` ran in: relative data paths were found in one.
    public let dataFolder: String?
    public let workingFolder: String?
    public let model: Model
    public let progress: TrainingProgress
    public let complete: Bool
    public let learningRate: Double?

    /// Largest model.json accepted (it holds the history, so it grows with the epochs).
    public static let maxRecordBytes = 64 << 20

    public init(folder: String, registry: LayerRegistry = .builtIn) throws {
        self.folder = folder
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CheckpointError(folder, "no such run folder")
        }
        let recordPath = "\(folder)/model.json"
        guard FileManager.default.fileExists(atPath: recordPath) else {
            throw CheckpointError(folder, "not a run folder (no model.json); give the folder `nnrun fit` wrote, e.g. runs/digits-cnn")
        }
        let record = try Self.readJSON(recordPath)
        self.record = record
        let diagnostics = Diagnostics()
        guard let version = record["format_version"].flatMap(ConfigScalar.int) else {
            throw CheckpointError(recordPath, "no format_version: not a model.json written by nnrun")
        }
        guard version == runFormatVersion else {
            throw CheckpointError(recordPath, "format_version \(version); this nnrun (\(nnrunVersion)) reads format \(runFormatVersion)")
        }
        guard let config = record["config"] else { throw CheckpointError(recordPath, "no config") }
        if let method = config["method"]?.entries?.first?.key ?? config["method"]?.scalarText {
            throw CheckpointError(folder, "is an unsupervised run (method: \(method)); this command needs the run of a trained network")
        }
        do {
            recipe = try Recipe.decode(config, file: recordPath, registry: registry)
        } catch let errors as ConfigErrors {
            throw CheckpointError(recordPath, "its config does not decode: \(errors.errors.first?.description ?? "")")
        }
        labels = (record["labels"]?.items ?? []).compactMap(\.scalarText)
        scaling = record["input_scaling"].flatMap { InputScaling.decode($0, path: "input_scaling", diagnostics: diagnostics) } ?? InputScaling()
        dataFolder = record["data_folder"]?.scalarText
        workingFolder = record["working_folder"]?.scalarText
        complete = record["status"]?.scalarText == "complete"
        let state = record["training_state"]
        progress = state.flatMap { TrainingProgress.decode($0, path: "training_state", diagnostics: diagnostics) } ?? TrainingProgress()
        learningRate = state?["optimizer"]?["learning_rate"].flatMap(ConfigScalar.double)
        // Keys a newer writer may add are not errors here; only what is read must be right.
        if let first = diagnostics.errors.first(where: { !$0.message.hasPrefix("unknown key") }) {
            throw CheckpointError(recordPath, first.description)
        }
        var rng = RNG(seed: UInt64(recipe.config.seed), stream: "init")
        model = try Model(spec: recipe.spec, rng: &rng)
        recipe.applyFreeze(to: model, epoch: progress.epochsRun + 1)
        try Checkpoint.load(try Self.readWeights("\(folder)/\(Checkpoint.weightsFile)"), into: model, expectAll: true)
        let width = model.outputShape.reduce(1, *)
        if recipe.config.data.target == .labels && labels.count != width && !(width == 1 && labels.count == 2) {
            throw CheckpointError(recordPath, "labels has \(labels.count) names, but the model has \(width) outputs")
        }
    }

    /// Reads and validates a safetensors file (at most 16 GiB).
    public static func readWeights(_ path: String) throws -> SafeTensorsArchive {
        try SafeTensorsArchive(contents: try readFile(path, limit: 16 << 30), file: path)
    }

    static func readJSON(_ path: String, missing: String? = nil) throws -> ConfigNode {
        if let missing, !FileManager.default.fileExists(atPath: path) { throw CheckpointError(path, missing) }
        let bytes = try readFile(path, limit: maxRecordBytes)
        do {
            return try JSONReader.parse(bytes, file: path)
        } catch {
            throw CheckpointError("\(path):\(error.line):\(error.column)", "invalid JSON: \(error.message)")
        }
    }

    static func readFile(_ path: String, limit: Int) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CheckpointError(path, "missing or unreadable") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: limit + 1)) ?? Data()
        guard data.count <= limit else { throw CheckpointError(path, "larger than \(limit >> 20) MiB") }
        return [UInt8](data)
    }

    /// Loads the data the run was trained on, split and scaled exactly as then (`--data` aside,
    /// evaluate and predict use this).
    public func loadSplits() throws -> DataSplits {
        let seed = UInt64(recipe.config.seed)
        do {
            return try loadData(recipe.config.data, seed: seed, baseDirectory: dataFolder).splits
        } catch let error as ConfigErrors where workingFolder != nil && error.errors.first?.message.contains("cannot read") == true {
            // A relative path fit found from the folder it ran in.
            return try loadData(recipe.config.data, seed: seed, baseDirectory: workingFolder).splits
        }
    }

    /// Puts the saved optimizer state and training progress into `trainer` (whose model is this
    /// run's model) to continue training.
    public func restore(into trainer: Trainer) throws {
        try Checkpoint.restore(trainer.optimizer, from: try Self.readWeights("\(folder)/\(Checkpoint.optimizerFile)"), model: trainer.model)
        if let learningRate { trainer.optimizer.learningRate = learningRate }
        trainer.restore(progress)
        let states = record["training_state"]?["callbacks"]?.items ?? []
        for (i, callback) in trainer.callbacks.enumerated() {
            guard i < states.count, states[i]["type"]?.scalarText == callback.typeName, let state = states[i]["state"] else {
                throw CheckpointError("\(folder)/model.json", "training_state.callbacks has no state for callback \(i + 1) (\(callback.typeName))")
            }
            try callback.restoreState(state, folder: folder, model: trainer.model)
        }
    }
}
