import ArgumentParser
import Foundation
import Glibc
import NNConfig
import NNData
import NNLayers
import NNModel
import NNTensor
import NNTraining

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time a built-in benchmark job and print one JSON line (scripts/bench_peers.py compares it with the peers).",
        discussion: """
            mlp: digits MLP 64-128-64-10, Adam 1e-3, batch 32, 100 epochs on the 862 training rows, validation every epoch.
            cnn: digits CNN conv32-conv64-maxpool-dropout-dense128-dropout-dense10 on 8x8x1, batch 32, 30 epochs.
            mnist: Keras' mnist_cnn on 6000 synthetic 28x28x1 images, batch 128: training samples/s over epochs 2-3 \
            (epoch 1 warms up) and inference samples/s at batch 1000 (median of 3 passes).
            resnet50: inference latency of models/resnet50.yaml (224x224x3, random weights) on one image (median of 10) \
            and on a batch of 16 (median of 3); scripts/peers/torch_resnet50.py is the PyTorch side.
            pca, kmeans, tsne: the unsupervised methods on all 1797 digits / 16 (see BenchAnalysis.swift).
            Each matches a peer script (../shared/bench/peers, scripts/peers).
            """)

    enum Job: String, ExpressibleByArgument, CaseIterable { case mlp, cnn, mnist, resnet50, pca, kmeans, tsne }

    @Argument(help: "The job: \(Job.allCases.map(\.rawValue).joined(separator: ", ")).")
    var job: Job

    @Option(help: "Epochs to train (default: the job's).")
    var epochs: Int?

    @Option(help: "The model file of the resnet50 job.")
    var model = "models/resnet50.yaml"

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs \(epochs): expected a whole number >= 1") }
    }

    func run() throws {
        try reportingErrors {
            let gemm = try gemmFromEnvironment()
            let names: [Job: String] = [.mlp: "digits_mlp", .cnn: "digits_cnn", .mnist: "mnist_cnn", .resnet50: "resnet50_inference"]
            var fields: [(String, String)] = [("bench", "\"\(names[job] ?? job.rawValue)\""),
                                              ("impl", "\"nnrun\""), ("gemm", "\"\(gemm.kind.rawValue)\""),
                                              ("threads", "\(WorkerPool.shared.threads)")]
            switch job {
            case .mlp, .cnn:
                let (text, defaultEpochs, batch) = job == .mlp ? (BenchJobs.mlp, 100, 32) : (BenchJobs.cnn, 30, 32)
                let epochs = epochs ?? defaultEpochs
                let recipe = try Recipe.parse(text, file: "<bench \(job.rawValue)>", overrides: ["training.epochs=\(epochs)"])
                let result = try FitJob(recipe: recipe, gemm: gemm).run(write: false)
                fields += [("epochs", "\(epochs)"), ("batch", "\(batch)"), ("n_train", "862"),
                           ("train_s", String(format: "%.4f", result.seconds)),
                           ("samples_per_s", String(format: "%.0f", Double(862 * epochs) / result.seconds)),
                           ("test_acc", String(format: "%.4f", result.testAccuracy))]
            case .resnet50:
                let r = try BenchJobs.resnet50(modelFile: model, gemm: gemm)
                fields += [("params", "\(r.params)"), ("ms_1", String(format: "%.2f", r.ms1)), ("ms_16", String(format: "%.2f", r.ms16))]
            case .pca, .kmeans, .tsne:
                fields[0] = ("bench", "\"\(job.rawValue)_digits\"")
                fields += try BenchJobs.analysis(job, gemm: gemm)
            case .mnist:
                let r = try BenchJobs.mnist(gemm: gemm, epochs: max(epochs ?? 3, 2))
                fields += [("epochs", "\(max(epochs ?? 3, 2))"), ("batch", "128"), ("n_train", "6000"),
                           ("train_samples_per_s", String(format: "%.0f", r.train)),
                           ("infer_samples_per_s", String(format: "%.0f", r.infer)),
                           ("warmup_epoch_s", String(format: "%.3f", r.warmup))]
            }
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            fields.append(("peak_rss_mib", String(format: "%.1f", Double(usage.ru_maxrss) / 1024)))
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        }
    }
}

/// The benchmark jobs, built in so `nnrun bench` runs anywhere; each matches a peer script.
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

    static let cnn = """
        name: bench-digits-cnn
        seed: 42
        data: {source: digits, scale: 0.0625, shape: [8, 8, 1], split: {test: 0.4, validation: 0.2, stratify: true}}
        model:
          input: [8, 8, 1]
          layers:
            - conv2d: {filters: 32, kernel_size: 3, padding: same, activation: relu}
            - conv2d: {filters: 64, kernel_size: 3, padding: same, activation: relu}
            - max_pool2d: {pool_size: 2}
            - dropout: {rate: 0.25}
            - flatten: {}
            - dense: {units: 128, activation: relu}
            - dropout: {rate: 0.5}
            - dense: {units: 10, activation: softmax}
        loss: categorical_crossentropy
        optimizer: {adam: {learning_rate: 0.001}}
        training: {epochs: 30, batch_size: 32}
        """

    static let mnistModel = """
        name: bench-mnist-cnn
        seed: 42
        data: {source: digits}
        model:
          input: [28, 28, 1]
          layers:
            - conv2d: {filters: 32, kernel_size: 3, activation: relu}
            - conv2d: {filters: 64, kernel_size: 3, activation: relu}
            - max_pool2d: {pool_size: 2}
            - dropout: {rate: 0.25}
            - flatten: {}
            - dense: {units: 128, activation: relu}
            - dropout: {rate: 0.5}
            - dense: {units: 10, activation: softmax}
        loss: categorical_crossentropy
        optimizer: {adam: {learning_rate: 0.001}}
        training: {epochs: 3, batch_size: 128}
        """

    /// Keras' mnist_cnn on 6000 uniform-noise images with random labels (as the peer script):
    /// training samples/s over the epochs after the first, inference samples/s at batch 1000.
    static func mnist(gemm: GEMM, epochs: Int) throws -> (train: Double, infer: Double, warmup: Double) {
        let recipe = try Recipe.parse(mnistModel, file: "<bench mnist>", overrides: ["training.epochs=\(epochs)"])
        var rng = RNG(seed: 42, stream: "bench")
        let n = 6000, pixels = 28 * 28
        let data = Dataset(features: (0..<(n * pixels)).map { _ in Float(rng.nextDouble()) },
                           labels: (0..<n).map { _ in rng.below(10) }, featureShape: [28, 28, 1],
                           labelNames: (0..<10).map(String.init))
        var initRNG = RNG(seed: 42, stream: "init")
        let model = try Model(spec: recipe.spec, rng: &initRNG)
        let trainer = Trainer(model: model, loss: CategoricalCrossentropy(sparse: false), optimizer: recipe.config.optimizer,
                              training: recipe.config.training, seed: 42, gemm: gemm)
        let timer = EpochTimer()
        _ = try trainer.fit(train: data, validation: nil, progress: timer)
        let later = timer.seconds.dropFirst()
        let train = Double(n * later.count) / later.reduce(0, +)
        _ = trainer.evaluate(data, batchSize: 1000)
        var passes: [Double] = []
        for _ in 0..<3 {
            let started = WallClock.now()
            _ = trainer.evaluate(data, batchSize: 1000)
            passes.append(WallClock.now() - started)
        }
        return (train, Double(n) / passes.sorted()[1], timer.seconds.first ?? 0)
    }
}

extension BenchJobs {
    /// Inference latency of a model file on random 224x224x3 input: one image, and a batch of 16.
    static func resnet50(modelFile: String, gemm: GEMM) throws -> (params: Int, ms1: Double, ms16: Double) {
        let diagnostics = Diagnostics()
        let spec = ModelSpec.decode(try YAMLLoader.load(path: modelFile), path: "model", registry: .builtIn, diagnostics: diagnostics)
        try diagnostics.throwIfAny()
        guard let spec else { throw ConfigErrors([ConfigError(location: nil, path: "model", message: "\(modelFile) is not a model file")]) }
        var rng = RNG(seed: 42, stream: "init")
        let built = try Model(spec: spec, rng: &rng)
        var input = RNG(seed: 42, stream: "bench")
        func time(batch: Int, warmup: Int, reps: Int) -> Double {
            let x = Tensor(shape: [batch] + built.inputShape, values: (0..<(batch * built.inputShape.reduce(1, *))).map { _ in Float(input.nextDouble()) })
            var context = LayerContext(mode: .inference, rng: RNG(seed: 1), gemm: gemm)
            for _ in 0..<warmup { _ = built.forward(x, &context) }
            var times: [Double] = []
            for _ in 0..<reps {
                let started = WallClock.now()
                _ = built.forward(x, &context)
                times.append(WallClock.now() - started)
            }
            return times.sorted()[times.count / 2] * 1000
        }
        let params = built.namedParameters.reduce(0) { $0 + $1.parameter.value.count }
        return (params, time(batch: 1, warmup: 2, reps: 10), time(batch: 16, warmup: 1, reps: 3))
    }
}

/// Collects each epoch's duration.
final class EpochTimer: ProgressReporter {
    var seconds: [Double] = []
    func epochBegin(_ epoch: Int, of epochs: Int, steps: Int) {}
    func batchEnd(_ step: Int, of steps: Int, logs: [(String, Double)]) {}
    func epochEnd(_ epoch: Int, of epochs: Int, steps: Int, logs: [(String, Double)], seconds: Double) {
        self.seconds.append(seconds)
    }
}
