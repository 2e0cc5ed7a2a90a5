import Foundation
import Testing

/// Parses a JSON file of a run folder.
private func json(_ name: String, in dir: URL) throws -> [String: Any] {
    let data = try Data(contentsOf: dir.appendingPathComponent(name))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(name) is not a JSON object")
}

/// The value at a dotted path of nested JSON objects, e.g. `training_state.epochs_run`.
private func lookup(_ object: [String: Any], _ path: String) -> Any? {
    var current: Any? = object
    for key in path.split(separator: ".") {
        current = (current as? [String: Any])?[String(key)]
    }
    return current
}

@Suite struct FitCommandTests {
    // MARK: The run folder

    @Test func runFolderHoldsTheRunFiles() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["fit", "configs/mlp.yaml", "--set", "training.epochs=2", "--output", "out", "--progress", "none"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr == "")
        let out = dir.appendingPathComponent("out")
        #expect(CLI.listing(out) == ["curves.svg", "history.csv", "metrics.json", "model.json", "optimizer.safetensors", "report.html", "split.json", "weights.safetensors"])
        #expect(CLI.listing(dir) == CLI.baseListing(plus: "out"), "temporary folders or runs/ left behind")

        // model.json: the resolved recipe with every default, labels, scaling, seed, hash, state.
        let model = try json("model.json", in: out)
        #expect(model["format_version"] as? Int == 1)
        #expect((model["nnrun_version"] as? String)?.isEmpty == false)
        #expect(model["seed"] as? Int == 1)
        #expect(model["name"] as? String == "digits-mlp")
        let hash = try #require(model["config_hash"] as? String)
        #expect(hash.hasPrefix("sha256:"))
        let hex = hash.dropFirst("sha256:".count)
        #expect(hex.count == 64 && hex.allSatisfy { "0123456789abcdef".contains($0) }, "\(hash)")
        #expect(model["labels"] as? [String] == (0...9).map(String.init))
        let scaling = try #require(model["input_scaling"] as? [String: Any])
        #expect(scaling["scale"] as? Double == 0.0625)
        #expect(lookup(model, "training_state.epochs_run") as? Int == 2)
        #expect(lookup(model, "training_state.step") as? Int == 54)
        #expect(lookup(model, "config.training.shuffle") as? Bool == true)
        #expect(lookup(model, "config.training.epochs") as? Int == 2)
        #expect(lookup(model, "config.training.batch_size") as? Int == 32)
        #expect(lookup(model, "config.optimizer.adam.learning_rate") as? Double == 0.001)
        #expect(lookup(model, "config.optimizer.adam.epsilon") as? Double == 1e-7)
        #expect(lookup(model, "config.output") as? String == "out")
        #expect(lookup(model, "config.data.split.stratify") as? Bool == true)
        let layers = try #require(lookup(model, "config.model.layers") as? [[String: Any]])
        #expect(layers.count == 3)
        let first = try #require(layers[0]["dense"] as? [String: Any])
        #expect(first["kernel_initializer"] as? String == "glorot_uniform")
        #expect(first["bias_initializer"] as? String == "zeros")
        #expect(first["use_bias"] as? Bool == true)
        #expect(first["name"] as? String == "dense")
        #expect(lookup(model, "config.model.input") as? [Int] == [64])

        // metrics.json
        let metrics = try json("metrics.json", in: out)
        let testLoss = try #require(lookup(metrics, "test.loss") as? Double)
        let testAccuracy = try #require(lookup(metrics, "test.accuracy") as? Double)
        #expect(testLoss > 0 && testLoss.isFinite)
        #expect(testAccuracy > 0.5 && testAccuracy <= 1)
        #expect(metrics["epochs_run"] as? Int == 2)
        #expect((metrics["seconds"] as? Double).map { $0 >= 0 } == true)
        #expect(result.stdout.contains(String(format: "Test loss: %.4f - test accuracy: %.4f", testLoss, testAccuracy)))

        // split.json: 862 / 216 / 719, disjoint, covering every row.
        let split = try json("split.json", in: out)
        #expect(lookup(split, "counts.train") as? Int == 862)
        #expect(lookup(split, "counts.validation") as? Int == 216)
        #expect(lookup(split, "counts.test") as? Int == 719)
        let train = try #require(split["train"] as? [Int])
        let validation = try #require(split["validation"] as? [Int])
        let test = try #require(split["test"] as? [Int])
        #expect((train.count, validation.count, test.count) == (862, 216, 719))
        let all = train + validation + test
        #expect(Set(all).count == all.count, "the splits overlap")
        #expect(Set(all) == Set(0..<1797))

        // history.csv
        let csv = try CLI.read("out/history.csv", in: dir)
        let rows = csv.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(rows.first == "epoch,accuracy,loss,val_accuracy,val_loss")
        #expect(rows.count == 4 && rows.last == "", "header, 2 rows and a final newline: \(csv)")
        #expect(rows[1].hasPrefix("1,") && rows[2].hasPrefix("2,"))
        for row in rows[1...2] {
            let cells = row.split(separator: ",")
            #expect(cells.count == 5)
            #expect(cells.dropFirst().allSatisfy { Double($0) != nil })
        }
    }

    @Test func anExistingRunIsRefusedUnlessOverwrite() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let args = ["fit", "configs/mlp.yaml", "--set", "training.epochs=1", "--output", "runs/one", "--progress", "none"]
        #expect(try CLI.run(args, in: dir).status == 0)
        let run = dir.appendingPathComponent("runs/one")
        let files = CLI.listing(run)
        let contents = try files.map { try Data(contentsOf: run.appendingPathComponent($0)) }
        let modified = try files.map { try FileManager.default.attributesOfItem(atPath: run.appendingPathComponent($0).path)[.modificationDate] as? Date }

        let again = try CLI.run(args + ["--seed", "2"], in: dir)
        expectLines(again, ["error: runs/one: already holds a run; pass --overwrite to replace it, or --output DIR to write elsewhere"], status: 1)
        #expect(again.stdout == "")
        #expect(CLI.listing(run) == files)
        #expect(try files.map { try Data(contentsOf: run.appendingPathComponent($0)) } == contents)
        #expect(try files.map { try FileManager.default.attributesOfItem(atPath: run.appendingPathComponent($0).path)[.modificationDate] as? Date } == modified)

        let overwrite = try CLI.run(args + ["--seed", "2", "--overwrite"], in: dir)
        #expect(overwrite.status == 0, "\(overwrite)")
        #expect(CLI.listing(run) == files)
        let model = try json("model.json", in: run)
        #expect(model["seed"] as? Int == 2)
        #expect(CLI.listing(dir.appendingPathComponent("runs")) == ["one"], "temporary or old folders left behind")
    }

    @Test func theDefaultRunFolderIsRunsSlashName() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["fit", "configs/mlp.yaml", "--set", "training.epochs=1", "--progress", "none"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(CLI.listing(dir.appendingPathComponent("runs")) == ["digits-mlp"])
        #expect(result.stdout.contains("Run written to runs/digits-mlp/"))
    }

    @Test func anEmptyFolderCanReceiveARun() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
        let result = try CLI.run(["fit", "configs/mlp.yaml", "--set", "training.epochs=1", "--output", "empty", "--progress", "none"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(CLI.listing(dir.appendingPathComponent("empty")).count == 8)
    }

    @Test func aFileInTheWayIsRefused() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        try CLI.write("not a folder\n", to: "taken", in: dir)
        let result = try CLI.run(["fit", "configs/mlp.yaml", "--set", "training.epochs=1", "--output", "taken", "--overwrite", "--progress", "none"], in: dir)
        expectLines(result, ["error: taken: exists and is not a folder"], status: 1)
        #expect(try CLI.read("taken", in: dir) == "not a folder\n")
    }

    @Test func theRunFolderHasOrdinaryPermissions() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("plain"), withIntermediateDirectories: true)
        let result = try CLI.run(["fit", "configs/mlp.yaml", "--set", "training.epochs=1", "--output", "out", "--progress", "none"], in: dir)
        #expect(result.status == 0)
        let mode = { (name: String) in
            (try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(name).path)[.posixPermissions] as? Int) ?? -1
        }
        #expect(mode("out") == mode("plain"), "run folder \(String(mode("out"), radix: 8)), mkdir \(String(mode("plain"), radix: 8))")
    }

    // MARK: Determinism through the CLI

    @Test func theSameSeedWritesAByteIdenticalHistory() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let base = ["fit", "configs/mlp.yaml", "--set", "training.epochs=3", "--progress", "none"]
        for (output, seed) in [("a", "1"), ("b", "1"), ("c", "2")] {
            let result = try CLI.run(base + ["--output", output, "--seed", seed], in: dir)
            #expect(result.status == 0, "\(result)")
        }
        let a = try CLI.read("a/history.csv", in: dir), b = try CLI.read("b/history.csv", in: dir), c = try CLI.read("c/history.csv", in: dir)
        #expect(a == b)
        #expect(a != c)
        #expect(try CLI.read("a/split.json", in: dir) == CLI.read("b/split.json", in: dir))
        #expect(try CLI.read("a/split.json", in: dir) != CLI.read("c/split.json", in: dir))
        // The hash covers the resolved recipe, output folder included, so a and b differ there only.
        let ma = try json("model.json", in: dir.appendingPathComponent("a")), mc = try json("model.json", in: dir.appendingPathComponent("c"))
        #expect(ma["config_hash"] as? String != mc["config_hash"] as? String)
    }

    // MARK: Progress

    /// `Epoch 2/3 - 27/27 - 0s - 2ms/step - accuracy: 0.7842 - loss: 1.4080 - val_accuracy: 0.8333 - val_loss: 1.1183`
    static var epochLine: Regex<(Substring, Substring)> { #/^Epoch (\d+)/3 - 27/27 - \d+s - \d+(?:us|ms|s)/step - accuracy: \d\.\d{4} - loss: \d+\.\d{4} - val_accuracy: \d\.\d{4} - val_loss: \d+\.\d{4}$/# }

    @Test(arguments: [["--progress", "epoch"], []])
    func epochProgressPrintsOneLinePerEpoch(_ progress: [String]) throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        // stdout is a pipe here, so no --progress means one line per epoch too.
        let result = try CLI.run(["fit", "configs/mlp.yaml", "--set", "training.epochs=3", "--output", "out"] + progress, in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr == "")
        #expect(!result.stdout.contains("\r") && !result.stdout.contains("\u{1b}"), "terminal control characters on a pipe")
        let lines = result.outputLines
        let epochs = lines.filter { $0.hasPrefix("Epoch") }
        #expect(epochs.count == 3, "\(result.stdout)")
        for (i, line) in epochs.enumerated() {
            let match = try #require(line.wholeMatch(of: Self.epochLine), "\(line)")
            #expect(match.1 == "\(i + 1)")
        }
        // Besides the epoch lines: the banner before them, the terminal chart (loss, val_loss), the
        // test metrics and the folder after.
        let others = lines.filter { !$0.hasPrefix("Epoch") }
        #expect(others.count == 5, "\(result.stdout)")
        #expect(others.first?.hasPrefix("Training digits-mlp: 862 train / 216 validation / 719 test samples, 17,226 parameters, GEMM ") == true)
        #expect(lines.last?.hasPrefix("Run written to out/ (") == true)
        #expect(lines.dropLast().last?.wholeMatch(of: #/Test loss: \d+\.\d{4} - test accuracy: \d\.\d{4}/#) != nil)

        // The epoch lines show the history's values, rounded.
        let csv = try CLI.read("out/history.csv", in: dir).split(separator: "\n").dropFirst()
        for (line, row) in zip(epochs, csv) {
            let v = row.split(separator: ",").dropFirst().map { Double($0)! }
            #expect(line.hasSuffix(String(format: "accuracy: %.4f - loss: %.4f - val_accuracy: %.4f - val_loss: %.4f", v[0], v[1], v[2], v[3])))
        }

        // In order, on a pipe too.
        #expect(lines.first?.hasPrefix("Training digits-mlp:") == true, "\(result.stdout)")
    }

    @Test func noProgressPrintsNoEpochLines() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["fit", "configs/mlp.yaml", "--set", "training.epochs=3", "--output", "out", "--progress", "none"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(!result.stdout.contains("Epoch"))
        #expect(result.outputLines.count == 2, "\(result.stdout)")
        #expect(result.outputLines.first?.hasPrefix("Test loss: ") == true)
        #expect(result.outputLines.last?.hasPrefix("Run written to out/") == true)
    }

    @Test func barProgressRedrawsInPlace() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["fit", "configs/mlp.yaml", "--set", "training.epochs=2", "--output", "out", "--progress", "bar"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Epoch 1/2\n") && result.stdout.contains("Epoch 2/2\n"))
        #expect(result.stdout.contains("27/27"))
        #expect(result.stdout.contains("\r"))
    }

    // MARK: GEMM backends

    @Test func versionNamesTheGEMMBackend() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["--version"], in: dir)
        #expect(result.status == 0)
        #expect(result.outputLines.count == 2, "\(result)")
        #expect(result.outputLines.first?.wholeMatch(of: #/nnrun \d+\.\d+\.\d+/#) != nil, "\(result)")
        #expect(result.outputLines.last?.wholeMatch(of: #/GEMM backend: (openblas \(.+\)|builtin \(.+\))/#) != nil, "\(result)")

        let builtin = try CLI.run(["--version"], in: dir, environment: ["NNRUN_GEMM": "builtin"])
        #expect(builtin.outputLines.last == "GEMM backend: builtin (blocked SIMD GEMM)")
    }

    @Test func aBadGEMMVariableIsAOneLineError() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let fit = try CLI.run(["fit", "configs/mlp.yaml", "--set", "training.epochs=1", "--output", "out"], in: dir, environment: ["NNRUN_GEMM": "bogus"])
        expectLines(fit, ["error: NNRUN_GEMM=bogus: expected openblas or builtin"], status: 1)
        #expect(CLI.listing(dir) == CLI.baseListing())

        let check = try CLI.run(["check", "configs/mlp.yaml"], in: dir, environment: ["NNRUN_GEMM": "bogus"])
        expectLines(check, ["error: NNRUN_GEMM=bogus: expected openblas or builtin"], status: 1)
    }

    @Test func theBuiltinBackendTrains() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        // Smaller hidden layers: the built-in GEMM is slow in a debug build.
        let result = try CLI.run(["fit", "configs/mlp.yaml", "--set", "training.epochs=1", "--set", "model.layers[0].dense.units=16",
                                  "--output", "out", "--progress", "epoch"], in: dir, environment: ["NNRUN_GEMM": "builtin"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("GEMM builtin"))
        #expect(result.outputLines.filter { $0.hasPrefix("Epoch 1/1 - ") }.count == 1)
        let model = try json("model.json", in: dir.appendingPathComponent("out"))
        #expect(model["gemm_backend"] as? String == "builtin")
    }
}
