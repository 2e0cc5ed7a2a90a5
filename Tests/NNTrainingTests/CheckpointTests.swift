import Foundation
import NNCheckpoint
import NNConfig
import NNTensor
import Testing
@testable import NNTraining

private struct Interrupted: Error {}

private func temporaryFolder(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nnrun-ckpt-\(getpid())-\(name)").path
    try? FileManager.default.removeItem(atPath: path)
    return path
}

private func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

/// A small CNN with dropout on three digit classes: quick in a debug build, and it exercises
/// shuffling, dropout masks, Adam's moments and mid-epoch checkpoints.
private func recipe(output: String, epochs: Int, extra: [String] = [], classes: String = "[0, 1, 2]",
                    model: String? = nil) throws -> Recipe {
    let layers = model ?? """
        - conv2d: {filters: 4, kernel_size: 3, padding: same, activation: relu}
        - batch_normalization: {}
        - max_pool2d: {pool_size: 2}
        - dropout: {rate: 0.3}
        - flatten: {}
        - dense: {units: 16, activation: relu}
        - dense: {units: 3, activation: softmax}
    """
    let text = """
    name: ckpt
    seed: 5
    data: {source: digits, scale: 0.0625, shape: [8, 8, 1], classes: \(classes)}
    model:
      input: [8, 8, 1]
      layers:
    \(layers)
    loss: categorical_crossentropy
    optimizer: adam
    training: {epochs: \(epochs), batch_size: 16, checkpoint_every: 7}
    output: \(output)
    """
    return try Recipe.parse(text, file: "ckpt.yaml", overrides: extra)
}

@Suite(.serialized) struct CheckpointTests {
    let gemm = GEMM(kind: .builtin)

    /// 4 epochs straight against: an interruption right after a mid-epoch checkpoint (step 35, in
    /// epoch 3), then --resume. Weights, optimizer state and history are identical, byte for byte.
    @Test func resumeAfterAnInterruptionIsBitIdentical() throws {
        let straight = temporaryFolder("straight"), resumed = temporaryFolder("resumed")
        defer { try? FileManager.default.removeItem(atPath: straight); try? FileManager.default.removeItem(atPath: resumed) }
        _ = try FitJob(recipe: try recipe(output: straight, epochs: 4), gemm: gemm).run()

        var first = FitJob(recipe: try recipe(output: resumed, epochs: 4), gemm: gemm)
        first.afterCheckpoint = { if $0.step >= 35 { throw Interrupted() } }
        #expect(throws: Interrupted.self) { try first.run() }
        let stopped = try TrainedRun(folder: resumed)
        #expect(stopped.progress.step == 35 && stopped.progress.batchesInEpoch > 0 && !stopped.complete)

        var second = FitJob(recipe: try recipe(output: resumed, epochs: 4), gemm: gemm)
        second.resume = true
        _ = try second.run()
        for name in ["weights.safetensors", "optimizer.safetensors", "history.csv", "split.json"] {
            #expect(try bytes("\(straight)/\(name)") == bytes("\(resumed)/\(name)"), "\(name) differs")
        }
        #expect(try TrainedRun(folder: resumed).complete)
    }

    @Test func resumeRefusesAnotherRecipeAndACompleteRun() throws {
        let folder = temporaryFolder("refuse")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try FitJob(recipe: try recipe(output: folder, epochs: 1), gemm: gemm).run()
        var other = FitJob(recipe: try recipe(output: folder, epochs: 2, extra: ["optimizer={adam: {learning_rate: 0.01}}"]), gemm: gemm)
        other.resume = true
        #expect { try other.run() } throws: { "\($0)".contains("different recipe (optimizer.adam.learning_rate differs)") }
        var done = FitJob(recipe: try recipe(output: folder, epochs: 1), gemm: gemm)
        done.resume = true
        #expect { try done.run() } throws: { "\($0)".contains("is complete (1 epochs); to train longer, raise training.epochs") }
    }

    /// Fine-tuning with the first 3 layers (conv2d, batch_normalization, max_pool2d) frozen: their
    /// weights and the normalization's moving statistics come out bit-identical to the base's (a
    /// frozen batch normalization runs in inference mode), while the kept dense layer trains.
    @Test func frozenLayersStayBitIdentical() throws {
        let base = temporaryFolder("base"), tuned = temporaryFolder("tuned")
        defer { try? FileManager.default.removeItem(atPath: base); try? FileManager.default.removeItem(atPath: tuned) }
        _ = try FitJob(recipe: try recipe(output: base, epochs: 1), gemm: gemm).run()
        let text = """
        name: tuned
        seed: 9
        data: {source: digits, scale: 0.0625, shape: [8, 8, 1], classes: [3, 4]}
        finetune:
          from: \(base)
          head: [{dense: {units: 2, activation: softmax}}]
          freeze: 3
        loss: categorical_crossentropy
        training: {epochs: 2, batch_size: 16}
        output: \(tuned)
        """
        let file = temporaryFolder("tuned.yaml")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try FitJob(recipe: try Recipe.load(path: file), gemm: gemm).run()
        #expect(result.loadReport.map { "\($0.layer) \($0.outcome.rawValue)" }
                == ["conv2d loaded", "batch_normalization loaded", "dense loaded", "dense_1 new"])
        let before = try TrainedRun.readWeights("\(base)/weights.safetensors")
        let after = try TrainedRun.readWeights("\(tuned)/weights.safetensors")
        for key in ["conv2d.kernel", "conv2d.bias", "batch_normalization.gamma", "batch_normalization.beta",
                    "batch_normalization.moving_mean", "batch_normalization.moving_variance"] {
            let a = try #require(before.entry(key)), b = try #require(after.entry(key))
            #expect(before.contents[a.bytes] == after.contents[b.bytes], "\(key) changed")
        }
        let a = try #require(before.entry("dense.kernel")), b = try #require(after.entry("dense.kernel"))
        #expect(before.contents[a.bytes] != after.contents[b.bytes], "the trainable dense layer did not train")

        // --strict fails when a kept layer cannot load: here conv2d's shape changed.
        let strict = try Recipe.load(path: file, overrides: ["finetune.strict=true", "model.layers[0].conv2d.filters=8"])
        #expect { try FitJob(recipe: strict, gemm: gemm).run(write: false) } throws: {
            "\($0)".contains("strict: layer conv2d was not loaded but re-initialised (kernel [3, 3, 1, 4] in the checkpoint, [3, 3, 1, 8] here)")
        }
        // Gradual unfreezing: from epoch 2 on, everything trains.
        let thawed = try FitJob(recipe: try Recipe.load(path: file, overrides: ["finetune.unfreeze_at={epoch: 2, learning_rate: 0.0005}"]), gemm: gemm)
            .run(write: false)
        #expect(thawed.trainer.optimizer.learningRate == 0.0005)
        #expect(thawed.trainer.model.parameters.allSatisfy { $0.isTrainable })
    }

    @Test func freezeBeyondTheBaseLayersIsAConfigError() throws {
        let base = temporaryFolder("base2")
        defer { try? FileManager.default.removeItem(atPath: base) }
        _ = try FitJob(recipe: try recipe(output: base, epochs: 1), gemm: gemm).run()
        let file = temporaryFolder("f.yaml")
        try "name: f\ndata: {source: digits, shape: [8, 8, 1], classes: [3, 4]}\nfinetune:\n  from: \(base)\n  head: [{dense: {units: 2, activation: softmax}}]\n  freeze: 9\nloss: categorical_crossentropy\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect { try Recipe.load(path: file) } throws: {
            "\($0)" == "\(file):6:11: finetune.freeze: received 9, but only 6 of the model's 7 layers come from the base \(base) (the rest are the new head); freeze at most 6"
        }
    }
}
