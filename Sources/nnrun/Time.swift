import ArgumentParser
import NNTraining

struct Time: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time each layer's forward and backward pass on a random batch (as Caffe's `caffe time`).",
        discussion: "Needs no data: the batch is random. The optimizer update is not included.")

    @OptionGroup var recipe: RecipeOptions

    @Option(help: "Timed iterations (after 2 untimed warm-up passes).")
    var iterations = 20

    @Option(help: "Batch size (default: the recipe's training.batch_size).")
    var batch: Int?

    func validate() throws {
        guard iterations >= 1 else { throw ValidationError("--iterations \(iterations): expected a whole number >= 1") }
        if let batch, batch < 1 { throw ValidationError("--batch \(batch): expected a whole number >= 1") }
    }

    func run() throws {
        try reportingErrors {
            let gemm = try gemmFromEnvironment()
            let report = try LayerTiming.run(recipe: try recipe.load(), gemm: gemm, batchSize: batch, iterations: iterations)
            print(report.table())
        }
    }
}
