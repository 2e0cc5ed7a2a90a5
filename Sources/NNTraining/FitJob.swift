import Foundation
import NNCheckpoint
import NNConfig
import NNData
import NNLayers
import NNModel
import NNTensor

/// `nnrun fit` (and `finetune`) as a library call: data, model, training, test evaluation, and the
/// run folder, written as a checkpoint after every epoch (and every `checkpoint_every` steps).
public struct FitJob {
    public var recipe: Recipe
    public var gemm: GEMM
    public var overwrite = false
    /// Continue the run in the output folder from its last checkpoint (`--resume`).
    public var resume = false
    public var progress: any ProgressReporter = SilentProgress()
    /// Where to print messages (the run's banner, the load report, test metrics).
    public var log: (String) -> Void = { _ in }
    /// Whether the terminal chart at the end may use colour.
    public var chartColor = false
    /// Called after each checkpoint is written, with the trainer's progress; an error it throws
    /// stops the run there (tests interrupt runs this way).
    public var afterCheckpoint: ((TrainingProgress) throws -> Void)?

    public init(recipe: Recipe, gemm: GEMM) {
        self.recipe = recipe
        self.gemm = gemm
    }

    public struct Result {
        public var history: History
        public var testLoss: Double
        public var testAccuracy: Double
        public var seconds: Double
        public var output: String
        public var trainer: Trainer
        /// Fine-tuning: each layer as loaded from the base, new, or re-initialised.
        public var loadReport: [(layer: String, outcome: Checkpoint.LayerOutcome, detail: String)] = []
    }

    /// Runs the whole job. Config problems that need the data (an output layer whose width does not
    /// match the classes) are ConfigErrors; checkpoint and I/O problems are thrown as they come.
    public func run(write: Bool = true) throws -> Result {
        let config = recipe.config
        let seed = UInt64(config.seed)
        let baseDirectory = ConfigPaths.folder(of: recipe.file)
        let (splits, scaling) = try loadData(config.data, seed: seed, baseDirectory: baseDirectory)
        var rng = RNG(seed: seed, stream: "init")
        let fresh = try Model(spec: recipe.spec, rng: &rng)
        try recipe.checkData(fresh, splits.train)

        var saved: TrainedRun?
        if resume {
            let run = try TrainedRun(folder: config.outputFolder)
            try checkResumable(run, splits: splits)
            saved = run
        } else if write {
            // Checked after everything the recipe and data can get wrong, before any training.
            try RunFolder.checkWritable(config.outputFolder, overwrite: overwrite)
        }
        let model = saved?.model ?? fresh
        var loadReport: [(layer: String, outcome: Checkpoint.LayerOutcome, detail: String)] = []
        if let finetune = config.finetune, saved == nil {
            loadReport = try loadBase(finetune, into: model)
            log("Weights from \(finetune.from): " + loadReport.map { "\($0.layer) \($0.outcome.rawValue)\($0.detail.isEmpty ? "" : " (\($0.detail))")" }.joined(separator: ", ") + "\n")
        }
        recipe.applyFreeze(to: model, epoch: (saved?.progress.epochsRun ?? 0) + 1)

        guard let loss = Losses.make(config.loss) else {
            throw ConfigErrors([ConfigError(location: nil, path: "loss", message: "unknown loss \(config.loss)")])
        }
        let trainer = Trainer(model: model, loss: loss, optimizer: config.optimizer, training: config.training, seed: seed, gemm: gemm,
                              target: config.data.target)
        trainer.callbacks = config.training.callbacks.compactMap { $0.make() }
        trainer.log = log
        if !config.data.augmentation.isIdentity {
            trainer.augmenter = try Augmenter(config.data.augmentation, sampleShape: splits.train.featureShape)
        }
        try saved?.restore(into: trainer)
        var record = RunRecord(recipe: recipe, splits: splits, scaling: scaling, trainer: trainer, gemm: gemm,
                               dataFolder: absolutePath(baseDirectory))
        if let finetune = config.finetune {
            // A resumed fine-tuning run keeps the load report of its start.
            record.finetune = saved?.record["finetune"] ?? .map([
                ("from", .string(finetune.from)), ("freeze", .int(finetune.freeze)),
                ("load_report", .map(loadReport.map { ($0.layer, .string($0.outcome.rawValue)) }))])
        }
        // The hooks below capture the trainer (through `record`); clearing them ends the cycle.
        defer {
            trainer.checkpoint = nil
            trainer.epochBegins = nil
        }
        var replace = overwrite || resume
        var lastCheckpoint: Int?
        if write {
            trainer.checkpoint = { [afterCheckpoint, log] trainer in
                // Weights that are no longer finite are not a checkpoint: the previous one stays.
                guard Self.weightsAreFinite(trainer.model) else {
                    log("Step \(trainer.step): the weights are not finite; not replacing the last checkpoint\n")
                    return
                }
                try RunFolder.write(record.files(), to: config.outputFolder, overwrite: replace)
                replace = true   // from the first checkpoint on, the folder is this run's
                lastCheckpoint = trainer.step
                try afterCheckpoint?(trainer.progress)
            }
            trainer.checkpointEvery = config.training.checkpointEvery
        }
        if let finetune = config.finetune, let epoch = finetune.unfreezeEpoch {
            trainer.epochBegins = { e in
                guard e == epoch else { return }
                recipe.applyFreeze(to: model, epoch: e)
                if let lr = finetune.unfreezeLearningRate { trainer.optimizer.learningRate = lr }
                log("Epoch \(e): unfreezing all layers, learning rate \(trainer.optimizer.learningRate)\n")
            }
        }

        for line in trainer.callbacks.compactMap(\.banner) { log(line + "\n") }
        if !config.data.augmentation.isIdentity { log("Augmentation of training batches: \(SafeTensorsArchive.compactJSON(config.data.augmentation.encode()))\n") }
        let resumed = saved.map { " (resumed after epoch \($0.progress.epochsRun)\($0.progress.batchesInEpoch > 0 ? " and \($0.progress.batchesInEpoch) more steps" : ""))" } ?? ""
        log("Training \(config.name)\(resumed): \(splits.train.count) train / \(splits.validation.count) validation / \(splits.test.count) test samples, \(grouped(model.parameters.reduce(0) { $0 + $1.value.count })) parameters, GEMM \(gemm.kind.rawValue)\n")
        let started = WallClock.now()
        let history = try trainer.fit(train: splits.train, validation: splits.validation, progress: progress)
        let seconds = WallClock.now() - started
        let kept = lastCheckpoint.map { "\(config.outputFolder) keeps its checkpoint of step \($0)" } ?? "no checkpoint was written"
        if let step = trainer.terminatedAtStep {
            throw TrainingStopped(message: "training stopped at step \(step): the loss is not finite (terminate_on_nan); \(kept)")
        }
        guard Self.weightsAreFinite(model) else {
            throw TrainingStopped(message: "training diverged: the weights are not finite after step \(trainer.step) (try a smaller learning rate, or terminate_on_nan to stop at once); \(kept)")
        }
        let test = trainer.evaluate(splits.test)
        record.test = test
        record.seconds = seconds
        log(record.terminalChart(color: chartColor))
        if write {
            record.report = record.reportHTML(test: splits.test)
            try RunFolder.write(record.files(), to: config.outputFolder, overwrite: replace)
        }
        return Result(history: history, testLoss: test.loss, testAccuracy: test.accuracy, seconds: seconds,
                      output: config.outputFolder, trainer: trainer, loadReport: loadReport)
    }

    static func weightsAreFinite(_ model: Model) -> Bool {
        model.namedParameters.allSatisfy { Ops.allFinite($0.parameter.value) }
    }

    /// A run can be resumed when it was trained with this recipe (the number of epochs aside, so a
    /// finished run can also be trained longer) on the same split.
    func checkResumable(_ run: TrainedRun, splits: DataSplits) throws {
        let here = recipe.resolved.setting("data", to: recipe.config.data.resolved(for: splits.train).encode())
        let there = run.record["config"] ?? .null
        // Both as JSON reads them (model.json quotes every string; the decoders do not care).
        func comparable(_ c: ConfigNode) -> ConfigNode {
            let json = (try? JSONReader.parse(Array(c.jsonText().utf8), file: "")) ?? c
            let training = (json["training"] ?? .null).setting("epochs", to: .null)
            return json.setting("output", to: .null).setting("training", to: training).withoutLocations
        }
        if comparable(here) != comparable(there) {
            let key = firstDifference(comparable(here), comparable(there), path: "") ?? "the recipe"
            throw CheckpointError(run.folder, "was trained with a different recipe (\(key) differs); resume it with the recipe it was started with, or start a new run with --output")
        }
        let done = run.progress.epochsRun
        if let stopped = run.record["training_state"]?["stopped_epoch"].flatMap(ConfigScalar.int) {
            throw CheckpointError(run.folder, "is complete: early stopping ended it after epoch \(stopped); start a new run to train further")
        }
        if run.complete && done >= recipe.config.training.epochs {
            throw CheckpointError(run.folder, "is complete (\(done) epochs); to train longer, raise training.epochs (e.g. --set training.epochs=\(done + 10))")
        }
        if done > recipe.config.training.epochs {
            throw CheckpointError(run.folder, "has already run \(done) epochs, more than training.epochs \(recipe.config.training.epochs)")
        }
    }

    /// Loads the base run's weights into the kept layers of a fine-tuning model; the head stays new.
    func loadBase(_ finetune: FinetuneConfig, into model: Model) throws -> [(layer: String, outcome: Checkpoint.LayerOutcome, detail: String)] {
        let base = try TrainedRun.readWeights("\(finetune.from)/\(Checkpoint.weightsFile)")
        let kept = Set(model.nodes.prefix(model.nodes.count - (finetune.head.items?.count ?? 0)).map(\.layer.name))
        let report = try Checkpoint.load(base, into: model, expectAll: false, only: kept)
        if finetune.strict, let bad = report.first(where: { kept.contains($0.layer) && $0.outcome != .loaded }) {
            throw CheckpointError(base.file, "strict: layer \(bad.layer) was not loaded but \(bad.outcome.rawValue)\(bad.detail.isEmpty ? "" : " (\(bad.detail))")")
        }
        return report
    }
}

/// Training ended by a callback because it cannot go on (a loss that is not finite).
public struct TrainingStopped: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The first key path at which two trees differ (`optimizer.adam.learning_rate`), or nil.
func firstDifference(_ a: ConfigNode, _ b: ConfigNode, path: String) -> String? {
    if a == b { return nil }
    switch (a.kind, b.kind) {
    case (.mapping(let x), .mapping(let y)):
        for key in Set(x.map(\.key)).union(y.map(\.key)).sorted() {
            let p = path.isEmpty ? key : "\(path).\(key)"
            guard let va = a[key], let vb = b[key] else { return p }
            if let d = firstDifference(va, vb, path: p) { return d }
        }
        return path
    case (.sequence(let x), .sequence(let y)) where x.count == y.count:
        for (i, (va, vb)) in zip(x, y).enumerated() {
            if let d = firstDifference(va, vb, path: "\(path)[\(i)]") { return d }
        }
        return path
    default:
        return path.isEmpty ? nil : path
    }
}

func absolutePath(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + (path == "." ? "" : "/" + path)
}
