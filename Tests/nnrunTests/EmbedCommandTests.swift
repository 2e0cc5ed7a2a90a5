import Foundation
import Testing

/// `nnrun embed` and an autoencoder through the command line: files, summary lines, one-line
/// errors with their exit codes.
@Suite(.serialized) struct EmbedCommandTests {
    /// The digits autoencoder for 3 epochs, then its bottleneck embedded raw and the first layer
    /// by PCA: the default folders beside the run, their CSVs, and the errors of each mistake.
    @Test func embedAnAutoencoderAndItsMistakes() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let fit = try CLI.run(["fit", "configs/autoencoder.yaml", "--set", "training.epochs=3", "--output", "runs/ae", "--progress", "epoch"], in: dir)
        #expect(fit.status == 0, "\(fit)")
        #expect(fit.outputLines.contains { $0.hasPrefix("Epoch 3/3 - 27/27 - ") && $0.contains(" - loss: ") && $0.contains(" - val_loss: ") && !$0.contains("accuracy") })
        #expect(fit.outputLines.contains { $0.hasPrefix("Test loss: 0.0") && !$0.contains("accuracy") }, "\(fit)")
        let evaluation = try CLI.run(["evaluate", "runs/ae"], in: dir)
        #expect(evaluation.status == 0 && evaluation.outputLines.count == 2 && evaluation.outputLines[1].hasPrefix("loss: 0.0"), "\(evaluation)")

        // predict writes reconstructions: row, then the 64 output values.
        try CLI.write((1...64).map { "p\($0)" }.joined(separator: ",") + "\n" + (1...64).map { _ in "8" }.joined(separator: ",") + "\n", to: "one.csv", in: dir)
        let predicted = try CLI.run(["predict", "runs/ae", "one.csv"], in: dir)
        #expect(predicted.status == 0 && predicted.outputLines.count == 2, "\(predicted)")
        #expect(predicted.outputLines.first == (["row"] + (1...64).map { "o\($0)" }).joined(separator: ","))
        #expect(predicted.outputLines.last?.split(separator: ",").count == 65)

        let raw = try CLI.run(["embed", "runs/ae", "--layer", "bottleneck", "--method", "none"], in: dir)
        #expect(raw.status == 0, "\(raw)")
        #expect(raw.outputLines.first?.hasPrefix("Layer bottleneck (2 values) on the test split (719 samples): k-means purity (k = 10) 0.") == true, "\(raw)")
        #expect(raw.outputLines.last == "Written to runs/ae-embed-bottleneck-none/ (activations.csv, embedding.csv, embedding.svg, metrics.json)")
        #expect(CLI.listing(dir.appendingPathComponent("runs/ae-embed-bottleneck-none"))
                == ["activations.csv", "embedding.csv", "embedding.svg", "metrics.json", "model.json"])
        let lines = try CLI.read("runs/ae-embed-bottleneck-none/activations.csv", in: dir).split(separator: "\n")
        #expect(lines.count == 720 && lines[0] == "a1,a2,label")
        #expect(try CLI.read("runs/ae-embed-bottleneck-none/embedding.csv", in: dir) == CLI.read("runs/ae-embed-bottleneck-none/activations.csv", in: dir))
        // The run folder itself is untouched (a checkpoint replaces it as a whole).
        #expect(CLI.listing(dir.appendingPathComponent("runs/ae")).contains("report.html"))
        #expect(!CLI.listing(dir.appendingPathComponent("runs/ae")).contains { $0.contains("embed") })

        let pca = try CLI.run(["embed", "runs/ae", "--layer", "dense", "--method", "pca", "--split", "validation", "--output", "emb"], in: dir)
        #expect(pca.status == 0, "\(pca)")
        #expect(pca.outputLines.first?.contains("Layer dense (32 values) on the validation split (216 samples): k-means purity (k = 10) 0.") == true)
        #expect(pca.outputLines.first?.contains("; PCA trustworthiness (k = 5) 0.") == true)
        #expect(try CLI.read("emb/embedding.csv", in: dir).hasPrefix("pc1,pc2,label\n"))

        let errors: [([String], Int32, String)] = [
            (["embed", "runs/ae", "--layer", "botleneck", "--method", "pca"], 2,
             "--layer botleneck: no layer named \"botleneck\" in runs/ae; its layers: dense, bottleneck, dense_1, dense_2 (did you mean \"bottleneck\"?)"),
            (["embed", "runs/ae", "--layer", "dense", "--method", "none"], 2,
             "--method none: layer dense has 32 values per sample; none plots the raw values of a layer of exactly 2 (a bottleneck); use pca or tsne"),
            (["embed", "runs/ae", "--layer", "dense", "--method", "tsne", "--split", "validation", "--perplexity", "216"], 2,
             "--perplexity: received 216, but the validation split has 216 rows; perplexity must be below the number of rows (scikit-learn's rule; 5 to 50 is usual)"),
            (["embed", "configs", "--layer", "dense", "--method", "pca"], 1,
             "error: configs: not a run folder (no model.json); give the folder `nnrun fit` wrote, e.g. runs/digits-cnn"),
            (["embed", "runs/ae", "--layer", "bottleneck", "--method", "none"], 1,
             "error: runs/ae-embed-bottleneck-none: already holds a run; pass --overwrite to replace it, or --output DIR to write elsewhere"),
            (["embed", "runs/ae", "--layer", "dense", "--method", "umap"], 2,
             "error: The value 'umap' is invalid for '--method <method>'. Please provide one of 'pca', 'tsne' or 'none'. (see 'nnrun --help')"),
        ]
        for (args, status, line) in errors {
            let result = try CLI.run(args, in: dir)
            #expect(result.status == status && result.errorLines == [line], "\(args.joined(separator: " ")): \(result)")
        }
        #expect(try CLI.run(["embed", "runs/ae", "--layer", "bottleneck", "--method", "none", "--overwrite"], in: dir).status == 0)
    }
}
