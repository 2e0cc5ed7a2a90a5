import ArgumentParser
import Foundation
import NNConfig
import NNModel
import NNTensor
import NNTraining

/// The recipe to run and the changes made to it on the command line (shared by fit, check, summary).
struct RecipeOptions: ParsableArguments {
    @Argument(help: "The run recipe, e.g. configs/mlp.yaml (check, summary and time also take a model file, e.g. models/vgg16.yaml).")
    var config: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a key of the recipe, e.g. --set training.epochs=5 (repeatable).", valueName: "key.path=value"))
    var overrides: [String] = []

    @Option(help: "The seed for the split, the initial weights, the shuffles and dropout (same as --set seed=N).")
    var seed: Int?

    func validate() throws {
        if let seed, !(0...Int(Int32.max)).contains(seed) {
            throw ValidationError("--seed \(seed): expected a whole number from 0 to \(Int32.max)")
        }
    }

    /// Loads the recipe with the overrides (`--seed` and `extra` are overrides too).
    func load(extra: [String] = [], finetuneFrom: String? = nil, refuseFinetune: Bool = false) throws -> Recipe {
        var all = overrides
        if let seed { all.append("seed=\(seed)") }
        return try Recipe.load(path: config, overrides: all + extra, finetuneFrom: finetuneFrom, refuseFinetune: refuseFinetune)
    }

    /// Loads the recipe and builds its model (shapes inferred, weights drawn from the seed).
    func loadModel() throws -> (Recipe, Model) {
        _ = try gemmFromEnvironment()   // a bad NNRUN_GEMM is an error for every verb
        let recipe = try load()
        var rng = RNG(seed: UInt64(recipe.config.seed), stream: "init")
        let model = try Model(spec: recipe.spec, rng: &rng)
        recipe.applyFreeze(to: model, epoch: 1)
        return (recipe, model)
    }
}

/// Runs `body`, printing failures as one-line messages and exiting 2 for configuration errors
/// and 1 for anything else (no stack traces).
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let errors as ConfigErrors {
        for e in errors.errors { printError(e.description) }
        if errors.errors.count > 1 { printError("\(errors.errors.count) errors") }
        throw ExitCode(2)
    } catch let error as ExitCode {
        throw error
    } catch {
        printError("error: \(error)")
        throw ExitCode(1)
    }
}

/// Writes to standard output unbuffered, so progress lines and messages keep their order in a pipe.
func writeOut(_ text: String) {
    // A closed pipe or a full disk must not stop a run that is about to write its folder.
    try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
}

func printError(_ line: String) {
    try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
}

/// The GEMM backend from the environment (`NNRUN_GEMM`), or a one-line error.
func gemmFromEnvironment() throws -> GEMM {
    try GEMM.fromEnvironment(ProcessInfo.processInfo.environment)
}

extension ProgressStyle: ExpressibleByArgument {}

/// The run folder that evaluate, predict and embed read (shared by those verbs).
struct RunFolderArgument: ParsableArguments {
    @Argument(help: "The run folder, e.g. runs/digits-cnn.")
    var folder: String

    /// The run, validated (see `TrainedRun`).
    func load() throws -> TrainedRun { try TrainedRun(folder: folder) }
}
