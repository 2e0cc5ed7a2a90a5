import Foundation
import NNCheckpoint
import NNConfig
import NNTensor
import Testing
@testable import NNTraining

private let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("configs")

private func folder(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nnrun-of-\(getpid())-\(name)").path
    try? FileManager.default.removeItem(atPath: path)
    return path
}

/// The first error of a recipe text, as `nnrun check` prints it.
private func recipeError(_ training: String, data: String = "{source: digits, scale: 0.0625}") -> String {
    let text = """
    name: t
    data: \(data)
    model: {input: [64], layers: [{dense: {units: 10, activation: softmax}}]}
    loss: categorical_crossentropy
    training:
    \(training)
    """
    do {
        _ = try Recipe.parse(text, file: "t.yaml")
        return "accepted"
    } catch let errors as ConfigErrors {
        return errors.errors.first?.description ?? ""
    } catch {
        return "\(error)"
    }
}

@Suite(.serialized) struct OverfittingTests {
    let gemm = GEMM(kind: .builtin)

    /// The shipped demo at its seed: the regularised run (l2, dropout, augmentation, early stopping)
    /// ends with a smaller train/validation accuracy gap and a better test accuracy than the same
    /// network without them, on the same 90 training images.
    @Test func regularisationShrinksTheGapAndHelpsTheTest() throws {
        func run(_ name: String) throws -> (gap: Double, test: Double) {
            let result = try FitJob(recipe: try Recipe.load(path: configs.appendingPathComponent("\(name).yaml").path), gemm: gemm)
                .run(write: false)
            // The gap at the epoch whose weights the run keeps (early stopping restores its best).
            let kept = result.trainer.callbacks.compactMap { $0 as? EarlyStopping }.first.map(\.bestEpoch) ?? result.history.epochs.count
            let accuracy = result.history.values(of: "accuracy"), validation = result.history.values(of: "val_accuracy")
            return (accuracy[kept - 1] - validation[kept - 1], result.testAccuracy)
        }
        let overfit = try run("overfit"), regularized = try run("regularized")
        #expect(overfit.gap > 0.08, "the unregularised run should overfit: gap \(overfit.gap)")
        #expect(regularized.gap < overfit.gap, "gaps: regularised \(regularized.gap), overfit \(overfit.gap)")
        #expect(regularized.test > overfit.test, "test accuracy: regularised \(regularized.test), overfit \(overfit.test)")
    }

    /// terminate_on_nan stops at the first non-finite loss; the run folder keeps the last
    /// checkpoint whose weights were finite, which loads.
    @Test func terminateOnNaNKeepsTheLastGoodCheckpoint() throws {
        let output = folder("nan")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let recipe = try Recipe.parse("""
            name: nan
            data: {source: digits}
            model: {input: [64], layers: [{dense: {units: 10}}]}
            loss: mean_squared_error
            optimizer: {sgd: {learning_rate: 0.5}}
            training: {epochs: 20, checkpoint_every: 1, callbacks: [terminate_on_nan]}
            output: \(output)
            """, file: "nan.yaml")
        var messages: [String] = []
        var job = FitJob(recipe: recipe, gemm: gemm)
        job.log = { messages.append($0) }
        #expect { try job.run() } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("training stopped at step ") && text.contains(": the loss is not finite (terminate_on_nan); \(output) keeps its checkpoint of step ")
        }
        #expect(messages.contains { $0.contains("invalid loss") && $0.contains("terminating training") })
        let kept = try TrainedRun(folder: output)   // finite weights, or it would not load
        #expect(!kept.complete && kept.progress.step > 0)
    }

    /// Resuming keeps every callback's state and the augmentation stream: interrupted and resumed
    /// equals straight through, byte for byte, best weights included.
    @Test func resumeWithCallbacksAndAugmentationIsBitIdentical() throws {
        let text = """
            name: cb
            seed: 3
            data: {source: digits, scale: 0.0625, shape: [8, 8, 1], classes: [0, 1, 2], augmentation: {shift: 1, rotation: 10, noise: 0.05}}
            model:
              input: [8, 8, 1]
              layers:
                - flatten: {}
                - dense: {units: 32, activation: relu, kernel_regularizer: {l2: 0.001}}
                - dropout: {rate: 0.2}
                - dense: {units: 3, activation: softmax}
            loss: categorical_crossentropy
            training:
              epochs: 6
              batch_size: 16
              callbacks:
                - early_stopping: {patience: 4, restore_best_weights: true}
                - reduce_lr_on_plateau: {patience: 1, factor: 0.5, min_delta: 0.01}
                - exponential_decay: {decay_steps: 20, decay_rate: 0.9}
            """
        let straight = folder("cb-straight"), resumed = folder("cb-resumed")
        defer { try? FileManager.default.removeItem(atPath: straight); try? FileManager.default.removeItem(atPath: resumed) }
        _ = try FitJob(recipe: try Recipe.parse(text, file: "cb.yaml", overrides: ["output=\(straight)"]), gemm: gemm).run()
        struct Stop: Error {}
        var first = FitJob(recipe: try Recipe.parse(text, file: "cb.yaml", overrides: ["output=\(resumed)"]), gemm: gemm)
        first.afterCheckpoint = { if $0.epochsRun == 3 { throw Stop() } }
        #expect(throws: Stop.self) { try first.run() }
        var second = FitJob(recipe: try Recipe.parse(text, file: "cb.yaml", overrides: ["output=\(resumed)"]), gemm: gemm)
        second.resume = true
        _ = try second.run()
        for name in ["weights.safetensors", "optimizer.safetensors", "history.csv", "best_weights.safetensors"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(straight)/\(name)")) == Data(contentsOf: URL(fileURLWithPath: "\(resumed)/\(name)")),
                    "\(name) differs")
        }
        let a = try TrainedRun(folder: straight).record["training_state"], b = try TrainedRun(folder: resumed).record["training_state"]
        #expect(a?.withoutLocations == b?.withoutLocations)
    }

    /// model_checkpoint writes loadable weights under its templated name only when the monitored
    /// value improves; csv_logger writes the history as it grows.
    @Test func modelCheckpointAndCSVLoggerWriteTheirFiles() throws {
        let dir = folder("files")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recipe = try Recipe.parse("""
            name: files
            data: {source: digits, scale: 0.0625}
            model: {input: [64], layers: [{dense: {units: 10, activation: softmax}}]}
            loss: categorical_crossentropy
            training:
              epochs: 4
              callbacks:
                - model_checkpoint: {filepath: "\(dir)/ck/{epoch:02d}-{val_accuracy:.3f}.safetensors", monitor: val_accuracy, save_best_only: true}
                - csv_logger: {filename: "\(dir)/log.csv", separator: ";"}
            """, file: "files.yaml")
        let result = try FitJob(recipe: recipe, gemm: gemm).run(write: false)
        let accuracies = result.history.values(of: "val_accuracy")
        var best = -Double.infinity, expected: [String] = []
        for (i, a) in accuracies.enumerated() where a > best {
            best = a
            expected.append(String(format: "%02d-%.3f.safetensors", i + 1, a))
        }
        let written = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/ck").sorted()
        #expect(written == expected)
        let last = try #require(written.last)
        let archive = try TrainedRun.readWeights("\(dir)/ck/\(last)")
        #expect(archive.entries.map(\.name) == ["dense.kernel", "dense.bias"])
        let log = try String(contentsOfFile: "\(dir)/log.csv", encoding: .utf8)
        #expect(log == result.history.csv().replacingOccurrences(of: ",", with: ";"))
    }

    @Test func badCallbacksAreConfigErrors() {
        #expect(recipeError("  callbacks: [{early_stopping: {patience: -1}}]")
                == "t.yaml:6:43: training.callbacks[0].early_stopping.patience: received -1, expected a whole number from 0 to 1000000")
        #expect(recipeError("  callbacks: [{early_stoping: {}}]")
                == "t.yaml:6:16: training.callbacks[0]: unknown callback \"early_stoping\"; expected one of: early_stopping, model_checkpoint, csv_logger, reduce_lr_on_plateau, terminate_on_nan, step_decay, exponential_decay, cosine_decay (did you mean \"early_stopping\"?)")
        #expect(recipeError("  callbacks: [{early_stopping: {monitor: val_acc}}]")
                == "t.yaml:6:42: training.callbacks[0].early_stopping.monitor: received \"val_acc\", but this run produces only: loss, accuracy, val_loss, val_accuracy")
        #expect(recipeError("  callbacks: [{exponential_decay: {decay_steps: 10, decay_rate: -0.5}}]")
                == "t.yaml:6:65: training.callbacks[0].exponential_decay.decay_rate: received -0.5, expected a number > 0")
        #expect(recipeError("  callbacks: [{cosine_decay: {decay_steps: 10, initial_learning_rate: -0.1}}]")
                == "t.yaml:6:71: training.callbacks[0].cosine_decay.initial_learning_rate: received -0.1, expected a number >= 0")
        #expect(recipeError("  callbacks: [{model_checkpoint: {filepath: \"c/{epoch:02d}-{val_los:.4f}\"}}]")
                == "t.yaml:6:45: training.callbacks[0].model_checkpoint.filepath: received \"val_los\", but this run produces only: loss, accuracy, val_loss, val_accuracy (and epoch) (did you mean \"val_loss\"?)")
        #expect(recipeError("  callbacks: [{reduce_lr_on_plateau: {factor: 1.5}}]")
                == "t.yaml:6:47: training.callbacks[0].reduce_lr_on_plateau.factor: received 1.5, expected a number > 0 and < 1")
    }
}
