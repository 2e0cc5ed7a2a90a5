import Foundation
import Testing

private func bytes(_ path: String, in dir: URL) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: dir.appendingPathComponent(path)))
}

/// Checkpoints, resume, evaluate, predict and fine-tuning through the command line.
@Suite(.serialized) struct RunFolderCommandTests {
    /// A real `kill -9` in the middle of a run (at whatever point a checkpoint write happens to be
    /// at), then `--resume`: the run folder is valid at the kill, and the resumed run ends with the
    /// same weights, optimizer state and history, byte for byte, as a run that was never stopped.
    @Test func killNineThenResumeGivesTheUninterruptedRun() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let args = ["fit", "configs/mlp.yaml", "--set", "training.epochs=100", "--set", "training.checkpoint_every=10", "--progress", "none"]
        #expect(try CLI.run(args + ["--output", "straight"], in: dir).status == 0)

        let binary: URL = try #require(CLI.binary)
        let process = Process()
        process.executableURL = binary
        process.arguments = args + ["--output", "killed"]
        process.currentDirectoryURL = dir
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let record = dir.appendingPathComponent("killed/model.json")
        var epochs = 0
        for _ in 0..<20_000 where process.isRunning {
            if let data = try? Data(contentsOf: record),
               let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let state = json["training_state"] as? [String: Any], let e = state["epochs_run"] as? Int {
                epochs = e
                if e >= 3 { break }
            }
            usleep(2_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the run ended before the kill (after \(epochs) epochs)")
        #expect(epochs >= 3 && epochs < 100)
        // What the kill left is a complete checkpoint: it evaluates.
        #expect(try CLI.run(["evaluate", "killed"], in: dir).status == 0)

        let resumed = try CLI.run(args + ["--output", "killed", "--resume"], in: dir)
        #expect(resumed.status == 0, "\(resumed)")
        for name in ["weights.safetensors", "optimizer.safetensors", "history.csv"] {
            #expect(try bytes("straight/\(name)", in: dir) == bytes("killed/\(name)", in: dir), "\(name) differs")
        }
        #expect(!CLI.listing(dir).contains { $0.hasPrefix(".killed.") }, "temporary folders left behind: \(CLI.listing(dir))")
    }

    @Test func evaluateAndPredict() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        #expect(try CLI.run(["fit", "configs/iris.yaml", "--output", "iris", "--progress", "none"], in: dir).status == 0)
        let evaluation = try CLI.run(["evaluate", "iris"], in: dir)
        #expect(evaluation.status == 0, "\(evaluation)")
        let metrics = try JSONSerialization.jsonObject(with: Data(try CLI.read("iris/metrics.json", in: dir).utf8)) as? [String: Any]
        let accuracy = try #require((metrics?["test"] as? [String: Any])?["accuracy"] as? Double)
        #expect(evaluation.outputLines.first == "Evaluating iris on the saved test split: 60 samples")
        #expect(evaluation.outputLines.dropFirst().first?.hasSuffix(String(format: "accuracy: %.4f", accuracy)) == true)
        #expect(evaluation.stdout.contains("     class  precision     recall   f1-score    support\n    setosa"))
        #expect(evaluation.stdout.contains("Confusion matrix (rows: true class, columns: predicted class):"))

        // Three rows of the data (one per species, label column included: it is ignored).
        let rows = try CLI.read("data/iris.csv", in: dir).split(whereSeparator: \.isNewline)   // CRLF lines
        let picked = [rows[0], rows[1], rows[51], rows[101]].joined(separator: "\n") + "\n"
        try CLI.write(picked, to: "new.csv", in: dir)
        let predicted = try CLI.run(["predict", "iris", "new.csv", "--output", "preds.csv"], in: dir)
        #expect(predicted.stdout == "3 predictions written to preds.csv\n", "\(predicted)")
        let lines = try CLI.read("preds.csv", in: dir).split(separator: "\n")
        #expect(lines.first == "row,label,p_setosa,p_versicolor,p_virginica")
        #expect(lines.dropFirst().map { $0.split(separator: ",")[1] } == ["setosa", "versicolor", "virginica"])
        for line in lines.dropFirst() {
            let p = line.split(separator: ",").dropFirst(2).compactMap { Double($0) }
            #expect(p.count == 3 && abs(p.reduce(0, +) - 1) < 1e-5)
        }
    }

    @Test func badRunFoldersAndCheckpointsGetOneLine() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        #expect(try CLI.run(["fit", "configs/mlp.yaml", "--set", "training.epochs=1", "--output", "mlp", "--progress", "none"], in: dir).status == 0)
        #expect(try CLI.run(["fit", "configs/iris.yaml", "--set", "training.epochs=1", "--output", "iris", "--progress", "none"], in: dir).status == 0)
        func failure(_ args: [String]) throws -> (Int32, [String]) {
            let r = try CLI.run(args, in: dir)
            return (r.status, r.errorLines)
        }
        #expect(try failure(["evaluate", "nowhere"]) == (1, ["error: nowhere: no such run folder"]))
        #expect(try failure(["evaluate", "configs"]) == (1, ["error: configs: not a run folder (no model.json); give the folder `nnrun fit` wrote, e.g. runs/digits-cnn"]))

        let weights = dir.appendingPathComponent("mlp/weights.safetensors")
        let good = try Data(contentsOf: weights)
        // Another architecture's weights.
        try FileManager.default.removeItem(at: weights)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("iris/weights.safetensors"), to: weights)
        #expect(try failure(["evaluate", "mlp"]) == (1, ["error: mlp/weights.safetensors: tensor \"dense.kernel\": shape [4, 16], but the model's is [64, 128] (a checkpoint of another architecture?)"]))
        // Truncated.
        try good.prefix(good.count / 2).write(to: weights)
        let (status, lines) = try failure(["evaluate", "mlp"])
        #expect(status == 1 && lines.count == 1 && lines[0].hasPrefix("error: mlp/weights.safetensors: tensor ") && lines[0].hasSuffix("run past the end of the file: truncated"))
        // Tampered: the last value (dense_2.bias[9]) set to NaN.
        var nan = [UInt8](good)
        nan.replaceSubrange(nan.count - 4..<nan.count, with: [0x00, 0x00, 0xC0, 0x7F])
        try Data(nan).write(to: weights)
        #expect(try failure(["predict", "mlp", "configs/mlp.yaml"]) == (1, ["error: mlp/weights.safetensors: tensor \"dense_2.bias\": value nan at index 9 is not finite"]))
        // Tampered header.
        var header = [UInt8](good)
        header[9] = UInt8(ascii: "[")
        try Data(header).write(to: weights)
        #expect(try failure(["evaluate", "mlp"]).1.first?.hasPrefix("error: mlp/weights.safetensors: invalid JSON header at byte") == true)
        // Nothing was written by the failures.
        #expect(CLI.listing(dir.appendingPathComponent("mlp")) == CLI.runFiles)
    }

    @Test func finetuneOptionsAreChecked() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let both = try CLI.run(["finetune", "configs/digits-5to9.yaml", "--from", "runs/x", "--resume"], in: dir)
        #expect(both.status == 2 && both.errorLines == ["error: --from starts a new run from a base; --resume continues the run in the folder: use one (see 'nnrun --help')"])
        let missing = try CLI.run(["finetune", "configs/digits-5to9.yaml", "--from", "runs/none"], in: dir)
        #expect(missing.status == 1 && missing.errorLines == ["error: runs/none/model.json: the base run runs/none (finetune.from) has no model.json; train it first, e.g. nnrun fit configs/digits-0to4.yaml"])
        let fit = try CLI.run(["fit", "configs/digits-5to9.yaml"], in: dir)
        #expect(fit.status == 2 && fit.errorLines == ["configs/digits-5to9.yaml:17:1: finetune: this recipe fine-tunes a trained run; use nnrun finetune configs/digits-5to9.yaml"], "\(fit)")
    }
}
