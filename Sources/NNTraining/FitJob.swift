import Foundation
import NNCheckpoint
import NNConfig
import NNData
import NNLayers
import NNModel
import NNTensor

/// `nnrun fit` as a library call: data, model, training, test evaluation, run folder.
public struct FitJob {
    public var recipe: Recipe
    public var gemm: GEMM
    public var overwrite = false
    public var progress: any ProgressReporter = SilentProgress()
    /// Where to print messages (the run's banner, test metrics).
    public var log: (String) -> Void = { _ in }

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
    }

    /// Runs the whole job. Config problems that need the data (an output layer whose width does not
    /// match the classes) are ConfigErrors; I/O problems are thrown as they come.
    public func run(write: Bool = true) throws -> Result {
        let config = recipe.config
        let seed = UInt64(config.seed)
        let baseDirectory = ConfigPaths.folder(of: recipe.file)
        let (splits, scaling) = try loadData(config.data, seed: seed, baseDirectory: baseDirectory)
        var rng = RNG(seed: seed, stream: "init")
        let model = try Model(spec: recipe.spec, rng: &rng)
        try recipe.checkData(model, splits.train)
        // Checked after everything the recipe and data can get wrong, before any training.
        if write { try RunFolder.checkWritable(config.outputFolder, overwrite: overwrite) }

        guard let loss = Losses.make(config.loss) else {
            throw ConfigErrors([ConfigError(location: nil, path: "loss", message: "unknown loss \(config.loss)")])
        }
        let trainer = Trainer(model: model, loss: loss, optimizer: config.optimizer, training: config.training, seed: seed, gemm: gemm)
        log("Training \(config.name): \(splits.train.count) train / \(splits.validation.count) validation / \(splits.test.count) test samples, \(grouped(model.parameters.reduce(0) { $0 + $1.value.count })) parameters, GEMM \(gemm.kind.rawValue)\n")
        let started = WallClock.now()
        let history = trainer.fit(train: splits.train, validation: splits.validation, progress: progress)
        let seconds = WallClock.now() - started
        let test = trainer.evaluate(splits.test)
        let result = Result(history: history, testLoss: test.loss, testAccuracy: test.accuracy, seconds: seconds,
                            output: config.outputFolder, trainer: trainer)
        if write {
            let record = RunRecord(recipe: recipe, splits: splits, scaling: scaling, result: result, gemm: gemm)
            try RunFolder.write(record.files(), to: config.outputFolder, overwrite: overwrite)
        }
        return result
    }
}
