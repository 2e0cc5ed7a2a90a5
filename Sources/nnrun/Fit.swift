import ArgumentParser
import Foundation
import NNConfig
import NNReport
import NNTraining

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the model of a recipe, evaluate it on the test split and write the run folder.")

    @OptionGroup var recipe: RecipeOptions
    @OptionGroup var training: TrainingOptions

    func validate() throws { try training.validate() }

    func run() throws {
        try reportingErrors {
            if try runAnalysisIfAny() { return }   // method: instead of model: (FitAnalysis.swift)
            let loaded = try recipe.load(refuseFinetune: true)
            if loaded.isModelFile {
                throw ConfigErrors([ConfigError(location: SourceLocation(file: recipe.config, line: 0, column: 0), path: "",
                    message: "this is a model file; fit needs a run recipe (data, loss, optimizer) that names it, like configs/cnn.yaml")])
            }
            try training.fit(loaded)
        }
    }
}

/// Options of the verbs that train (fit, finetune), and the training itself.
struct TrainingOptions: ParsableArguments {
    @Option(help: "The run folder (default: the recipe's output, runs/<name>).")
    var output: String?

    @Flag(help: "Replace the run folder if it already holds a run.")
    var overwrite = false

    @Flag(help: "Continue the interrupted run in the run folder from its last checkpoint.")
    var resume = false

    @Option(help: "Progress display: bar (a terminal), epoch (one line per epoch) or none. Default: bar on a terminal, else epoch.")
    var progress: ProgressStyle?

    func validate() throws {
        if output?.isEmpty == true { throw ValidationError("--output needs a folder path") }
        if resume && overwrite { throw ValidationError("--resume continues the run in the folder; --overwrite replaces it: use one") }
    }

    /// Trains `recipe`, prints the test metrics and where the run went.
    func fit(_ recipe: Recipe) throws {
        var recipe = recipe
        // A path, taken as it is (not YAML); a trailing slash is dropped so messages show it once.
        if let output { recipe.config.output = output.count > 1 && output.hasSuffix("/") ? String(output.dropLast()) : output }
        var job = FitJob(recipe: recipe, gemm: try gemmFromEnvironment())
        job.overwrite = overwrite
        job.resume = resume
        let style = progress ?? .automatic
        job.progress = style.makeReporter(write: writeOut)
        job.log = { if style != .none { writeOut($0) } }
        // Colour only with the terminal bar, as the bar itself (NO_COLOR and TERM=dumb turn it off).
        job.chartColor = style == .bar && TerminalChart.colorAllowed(environment: ProcessInfo.processInfo.environment)
        let result = try job.run()
        writeOut(result.testAccuracy.isNaN ? String(format: "Test loss: %.4f\n", result.testLoss)
                 : String(format: "Test loss: %.4f - test accuracy: %.4f\n", result.testLoss, result.testAccuracy))
        writeOut("Run written to \(result.output)/ (\(String(format: "%.2f", result.seconds)) s of training)\n")
    }
}
