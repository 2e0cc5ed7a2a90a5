import ArgumentParser
import Foundation
import NNTraining

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a trained run: loss, accuracy, per-class precision and recall, confusion matrix.")

    @OptionGroup var runFolder: RunFolderArgument

    @Option(help: "Evaluate on other data: digits, or a CSV file with the run's label column (default: the run's saved test split).")
    var data: String?

    func run() throws {
        try reportingErrors {
            let trained = try runFolder.load()
            let (data, description) = try trained.evaluationData(self.data)
            let trainer = try trained.inferenceTrainer(gemm: try gemmFromEnvironment())
            let metrics = trainer.evaluate(data)
            writeOut("Evaluating \(runFolder.folder) on \(description): \(data.count) samples\n")
            if !trained.complete {
                writeOut("(an unfinished run: the checkpoint after \(trained.progress.epochsRun) of \(trained.recipe.config.training.epochs) epochs)\n")
            }
            if metrics.accuracy.isNaN {   // an autoencoder: the reconstruction loss only
                writeOut(String(format: "loss: %.4f\n", metrics.loss))
                return
            }
            let report = ClassificationReport(labels: trained.labels, truth: data.labels, predicted: trainer.predict(data).classes)
            writeOut(String(format: "loss: %.4f - accuracy: %.4f\n\n", metrics.loss, metrics.accuracy))
            writeOut(report.text)
        }
    }
}
