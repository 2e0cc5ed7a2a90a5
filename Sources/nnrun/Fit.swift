import ArgumentParser
import Foundation
import NNConfig
import NNTraining

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the model of a recipe, evaluate it on the test split and write the run folder.")

    @OptionGroup var recipe: RecipeOptions

    @Option(help: "The run folder (default: the recipe's output, runs/<name>).")
    var output: String?

    @Flag(help: "Replace the run folder if it already holds a run.")
    var overwrite = false

    @Option(help: "Progress display: bar (a terminal), epoch (one line per epoch) or none. Default: bar on a terminal, else epoch.")
    var progress: ProgressStyle?

    func validate() throws {
        if output?.isEmpty == true { throw ValidationError("--output needs a folder path") }
    }

    func run() throws {
        try reportingErrors {
            if try runAnalysisIfAny() { return }   // method: instead of model: (FitAnalysis.swift)
            var loaded = try recipe.load()
            if loaded.isModelFile {
                throw ConfigErrors([ConfigError(location: SourceLocation(file: recipe.config, line: 0, column: 0), path: "",
                    message: "this is a model file; fit needs a run recipe (data, loss, optimizer) that names it, like configs/cnn.yaml")])
            }
            if let output { loaded.config.output = output }   // a path, taken as it is (not YAML)
            var job = FitJob(recipe: loaded, gemm: try gemmFromEnvironment())
            job.overwrite = overwrite
            let style = progress ?? .automatic
            job.progress = style.makeReporter(write: writeOut)
            job.log = { if style != .none { writeOut($0) } }
            let result = try job.run()
            writeOut(String(format: "Test loss: %.4f - test accuracy: %.4f\n", result.testLoss, result.testAccuracy))
            writeOut("Run written to \(result.output)/ (\(String(format: "%.2f", result.seconds)) s of training)\n")
        }
    }
}
