import Foundation
import NNAnalysis
import NNConfig
import NNTensor
import Testing
@testable import NNTraining

/// A small MLP on the ten digit classes, trained for 15 epochs (about a second in a debug build):
/// test accuracy about 0.94.
private let trainedRun: Result<String, any Error> = Result {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("nnrun-embed-\(getpid())-mlp").path
    try? FileManager.default.removeItem(atPath: output)
    let recipe = try Recipe.parse("""
    name: embed-mlp
    seed: 4
    data: {source: digits, scale: 0.0625}
    model:
      input: [64]
      layers:
        - dense: {units: 32, activation: relu, name: hidden}
        - dense: {units: 10, activation: softmax, name: scores}
    loss: categorical_crossentropy
    optimizer: adam
    training: {epochs: 15}
    output: \(output)
    """, file: "embed.yaml")
    _ = try FitJob(recipe: recipe, gemm: GEMM(kind: .builtin)).run()
    return output
}

private func csvRows(_ files: [(name: String, contents: [UInt8])], _ name: String) -> [[Substring]] {
    let text = String(decoding: files.first { $0.name == name }?.contents ?? [], as: UTF8.self)
    return text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
}

@Suite(.serialized) struct EmbedTests {
    let gemm = GEMM(kind: .builtin)

    /// The hidden layer and the softmax output on the saved test split (719 rows): the classes
    /// separate better layer by layer (measured purities 0.84 and 0.93; raw pixels give about
    /// 0.79 with k-means, the README's figure). The CSVs have one row per sample.
    @Test func purityRisesLayerByLayerAndCSVsHaveOneRowPerSample() throws {
        let run = try TrainedRun(folder: try trainedRun.get())
        let hidden = try EmbedJob(run: run, layer: "hidden", method: .pca, gemm: gemm).run(write: false)
        let scores = try EmbedJob(run: run, layer: "scores", method: .pca, gemm: gemm).run(write: false)
        #expect(hidden.activations.rows == 719 && hidden.activations.columns == 32)
        #expect(hidden.coordinates.rows == 719 && hidden.coordinates.columns == 2)
        #expect(hidden.purity > 0.75 && hidden.purity < 0.95, "hidden purity \(hidden.purity)")
        #expect(scores.purity > 0.88 && scores.purity <= 1, "output purity \(scores.purity)")
        #expect(scores.purity > hidden.purity)
        #expect(hidden.trustworthiness.map { $0 > 0.7 && $0 <= 1 } == true, "\(String(describing: hidden.trustworthiness))")

        let activations = csvRows(hidden.files, "activations.csv")
        #expect(activations.count == 720 && activations.allSatisfy { $0.count == 33 })
        #expect(activations[0].first == "a1" && activations[0].last == "label")
        let embedding = csvRows(hidden.files, "embedding.csv")
        #expect(embedding.count == 720 && embedding.allSatisfy { $0.count == 3 } && embedding[0] == ["pc1", "pc2", "label"])
        // The activations written are those of a plain forward pass of the first row.
        #expect(embedding[1].last == Substring(run.labels[try run.evaluationData(nil).data.labels[0]]))
        #expect(Set(hidden.files.map(\.name)) == ["model.json", "activations.csv", "embedding.csv", "embedding.svg", "metrics.json"])
    }

    /// t-SNE of the hidden layer on the validation split (216 rows): trustworthiness close to 1.
    @Test func tsneOfTheValidationSplit() throws {
        let run = try TrainedRun(folder: try trainedRun.get())
        var job = EmbedJob(run: run, layer: "hidden", method: .tsne, gemm: gemm)
        job.split = .validation
        job.tsneOptions.perplexity = 10
        job.tsneOptions.maxIter = 300
        let result = try job.run(write: false)
        #expect(result.coordinates.rows == 216 && result.coordinates.columns == 2)
        #expect(result.trustworthiness.map { $0 > 0.9 && $0 <= 1 } == true, "\(String(describing: result.trustworthiness))")
        #expect(result.purity > 0.7)
        #expect(csvRows(result.files, "embedding.csv")[0] == ["tsne1", "tsne2", "label"])

        job.split = .all
        job.method = .pca
        #expect(try job.run(write: false).activations.rows == 1797)
    }

    /// Same run, same files: the seeds come from the run.
    @Test func embeddingIsReproducible() throws {
        let run = try TrainedRun(folder: try trainedRun.get())
        let a = try EmbedJob(run: run, layer: "scores", method: .pca, gemm: gemm).run(write: false)
        let b = try EmbedJob(run: run, layer: "scores", method: .pca, gemm: gemm).run(write: false)
        #expect(a.files.map(\.contents) == b.files.map(\.contents))
    }

    @Test func defaultOutputIsBesideTheRun() throws {
        let run = try TrainedRun(folder: try trainedRun.get() + "/")
        let job = EmbedJob(run: run, layer: "hidden", method: .tsne, gemm: gemm)
        #expect(job.outputFolder == (try trainedRun.get()) + "-embed-hidden-tsne")
    }
}
