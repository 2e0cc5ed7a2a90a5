import ArgumentParser
import Foundation
import Glibc
import NNTraining

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time a built-in benchmark job and print one JSON line (scripts/bench_peers.py compares it with the peers).",
        discussion: "mlp: the digits MLP 64-128-64-10, Adam 1e-3, batch 32, 100 epochs on the 862 training rows, validation every epoch, as the peers' digits_mlp scripts.")

    enum Job: String, ExpressibleByArgument, CaseIterable { case mlp }

    @Argument(help: "The job: \(Job.allCases.map(\.rawValue).joined(separator: ", ")).")
    var job: Job

    @Option(help: "Epochs to train.")
    var epochs = 100

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs \(epochs): expected a whole number >= 1") }
    }

    func run() throws {
        try reportingErrors {
            let recipe = try Recipe.parse(BenchJobs.mlp, file: "<bench mlp>", overrides: ["training.epochs=\(epochs)"])
            let job = FitJob(recipe: recipe, gemm: try gemmFromEnvironment())
            let result = try job.run(write: false)
            let samples = Double(result.trainer.step * 32)
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            let fields: [(String, String)] = [
                ("bench", "\"digits_mlp\""), ("impl", "\"nnrun\""), ("gemm", "\"\(job.gemm.kind.rawValue)\""),
                ("epochs", "\(epochs)"), ("batch", "32"), ("n_train", "862"),
                ("train_s", String(format: "%.4f", result.seconds)),
                ("samples_per_s", String(format: "%.0f", min(samples, Double(862 * epochs)) / result.seconds)),
                ("test_acc", String(format: "%.4f", result.testAccuracy)),
                ("peak_rss_mib", String(format: "%.1f", Double(usage.ru_maxrss) / 1024)),
            ]
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        }
    }
}

/// The benchmark recipes, built in so `nnrun bench` runs anywhere.
enum BenchJobs {
    static let mlp = """
        name: bench-digits-mlp
        seed: 42
        data: {source: digits, scale: 0.0625, split: {test: 0.4, validation: 0.2, stratify: true}}
        model:
          input: [64]
          layers:
            - dense: {units: 128, activation: relu}
            - dense: {units: 64, activation: relu}
            - dense: {units: 10, activation: softmax}
        loss: categorical_crossentropy
        optimizer: {adam: {learning_rate: 0.001}}
        training: {epochs: 100, batch_size: 32}
        """
}
