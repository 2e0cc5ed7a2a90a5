import ArgumentParser
import Foundation
import NNTraining

extension EmbedJob.Method: ExpressibleByArgument {}
extension EmbedJob.Split: ExpressibleByArgument {}

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The feature space of a trained run: one layer's activations on a split, projected to 2-D (CSV and a labelled scatter SVG), with their k-means cluster purity.")

    @OptionGroup var runFolder: RunFolderArgument

    @Option(help: "The layer whose outputs to embed, by name (nnrun summary lists them), e.g. dense or flatten.")
    var layer: String

    @Option(help: "pca, tsne, or none (the raw values of a 2-unit layer such as an autoencoder's bottleneck).")
    var method: EmbedJob.Method

    @Option(help: "The samples: test (the run's saved test split), train, validation or all.")
    var split: EmbedJob.Split = .test

    @Option(help: "t-SNE's perplexity (below the number of samples).")
    var perplexity: Double = 30

    @Option(help: "The folder to write (default: RUN-embed-LAYER-METHOD, beside the run folder).")
    var output: String?

    @Flag(help: "Replace the output folder if it already holds an embedding.")
    var overwrite = false

    func validate() throws {
        if output?.isEmpty == true { throw ValidationError("--output needs a folder path") }
        guard perplexity.isFinite, perplexity > 0 else { throw ValidationError("--perplexity \(perplexity): expected a number > 0") }
    }

    func run() throws {
        try reportingErrors {
            var job = EmbedJob(run: try runFolder.load(), layer: layer, method: method, gemm: try gemmFromEnvironment())
            job.split = split
            job.tsneOptions.perplexity = perplexity
            job.output = output
            job.overwrite = overwrite
            let result = try job.run()
            writeOut(result.summary + "\n")
            writeOut("Written to \(result.output)/ (activations.csv, embedding.csv, embedding.svg, metrics.json)\n")
        }
    }
}
