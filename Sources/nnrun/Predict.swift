import ArgumentParser
import Foundation
import NNCheckpoint
import NNTraining

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict the class of every row of a CSV file with a trained run; writes labels and class probabilities as CSV.")

    @OptionGroup var runFolder: RunFolderArgument

    @Argument(help: "A CSV file with a header and one sample per row (the features, in training's order; a column named like the label column is ignored).")
    var input: String

    @Option(help: "Write the predictions to this file (default: standard output).")
    var output: String?

    func run() throws {
        try reportingErrors {
            let trained = try runFolder.load()
            let data = try trained.predictionInput(input)
            let trainer = try trained.inferenceTrainer(gemm: try gemmFromEnvironment())
            let (outputs, classes) = trainer.predict(data)
            let text = trained.recipe.config.data.target == .inputs
                ? reconstructionsCSV(outputs: outputs, count: data.count)
                : predictionsCSV(outputs: outputs, classes: classes, labels: trained.labels)
            if let output {
                try RunFolder.writeFileAtomically(output, Array(text.utf8))
                writeOut("\(data.count) predictions written to \(output)\n")
            } else {
                writeOut(text)
            }
        }
    }
}

/// `row,label,p_<class>...`: the 1-based row, the predicted class name, and the model's output per
/// class (probabilities for softmax and sigmoid outputs; for one sigmoid unit, 1 − p and p).
func predictionsCSV(outputs: [Float], classes: [Int], labels: [String]) -> String {
    let width = classes.isEmpty ? 0 : outputs.count / classes.count
    var lines = [(["row", "label"] + labels.map { "p_\($0)" }).joined(separator: ",")]
    for (i, c) in classes.enumerated() {
        let row = Array(outputs[i * width..<(i + 1) * width])
        let scores = width == 1 && labels.count == 2 ? [1 - row[0], row[0]] : row
        lines.append(([String(i + 1), labels.indices.contains(c) ? labels[c] : String(c)] + scores.map { "\($0)" }).joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
}

/// An autoencoder's predictions (`data.target: inputs`): `row,o1,...,oN`, the 1-based row and its
/// reconstruction, flattened.
func reconstructionsCSV(outputs: [Float], count: Int) -> String {
    let width = count == 0 ? 0 : outputs.count / count
    var lines = [(["row"] + (0..<width).map { "o\($0 + 1)" }).joined(separator: ",")]
    for i in 0..<count {
        lines.append(([String(i + 1)] + outputs[i * width..<(i + 1) * width].map { "\($0)" }).joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
}
