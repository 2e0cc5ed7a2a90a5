import Foundation
import NNConfig
import NNTensor
import Testing
@testable import NNTraining

/// The package root, three levels above this file.
private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `configs/mlp.yaml` of the package.
private let shippedRecipe = packageRoot.appendingPathComponent("configs/mlp.yaml").path

/// What the tests keep of a training run (FitJob.Result holds the non-Sendable trainer).
private struct FitOutcome: Sendable {
    var history: History
    var testLoss: Double
    var testAccuracy: Double
    var steps: Int
}

private func fit(_ recipe: Recipe, gemm: GEMM) throws -> FitOutcome {
    let result = try FitJob(recipe: recipe, gemm: gemm).run(write: false)
    return FitOutcome(history: result.history, testLoss: result.testLoss, testAccuracy: result.testAccuracy,
                      steps: result.trainer.step)
}

/// The backend the environment selects (NNRUN_GEMM, else OpenBLAS when present).
private func environmentGEMM() throws -> GEMM {
    try GEMM.fromEnvironment(ProcessInfo.processInfo.environment)
}

/// The shipped recipe trained once, as shipped (seed 1, 100 epochs), shared by every test that
/// looks at it (a global is initialised once, on first use, thread-safely).
private let shippedRun: Result<FitOutcome, any Error> = Result {
    try fit(try Recipe.load(path: shippedRecipe), gemm: try environmentGEMM())
}

/// Overrides for a quick run on `backend`: 3 epochs; on the built-in GEMM (slow in a debug build,
/// about 1.4 s per epoch of the shipped MLP) also 16-unit hidden layers, a twelfth of the work.
private func quick(_ backend: GEMMBackendKind, _ more: [String] = []) -> [String] {
    ["training.epochs=3"] + (backend == .builtin ? ["model.layers[0].dense.units=16", "model.layers[1].dense.units=16"] : []) + more
}

/// Every GEMM backend this machine can run.
private let availableBackends: [GEMMBackendKind] =
    [.builtin] + ((try? GEMM.fromEnvironment(["NNRUN_GEMM": "openblas"])) != nil ? [.openblas] : [])

@Suite struct FitTests {
    // MARK: The accuracy floor of the shipped recipe

    @Test func shippedMLPReachesItsAccuracyFloor() throws {
        let run = try shippedRun.get()
        #expect(run.testAccuracy >= 0.96, "test accuracy \(run.testAccuracy)")
        #expect(run.testLoss < 0.2, "test loss \(run.testLoss)")
    }

    @Test func shippedMLPHistoryCoversEveryEpoch() throws {
        let run = try shippedRun.get()
        #expect(run.history.epochs.count == 100)
        #expect(run.history.keys == ["accuracy", "loss", "val_accuracy", "val_loss"])
        #expect(run.steps == 100 * 27)   // ceil(862 / 32) steps per epoch
        let loss = run.history.values(of: "loss")
        #expect(loss.count == 100)
        #expect(loss.last! < loss.first! / 10, "training loss \(loss.first!) -> \(loss.last!)")
        #expect(run.history.values(of: "val_accuracy").last! >= 0.95)
        #expect(run.history.values(of: "accuracy").last! >= 0.99)
        #expect(run.history.epochs.allSatisfy { row in row.allSatisfy { $0.value.isFinite } })
        let csv = run.history.csv().split(separator: "\n")
        #expect(csv.count == 101)
        #expect(csv.first == "epoch,accuracy,loss,val_accuracy,val_loss")
        #expect(csv.last?.hasPrefix("100,") == true)
    }

    // MARK: Determinism

    @Test(arguments: availableBackends)
    func sameSeedGivesABitIdenticalHistory(_ backend: GEMMBackendKind) throws {
        let gemm = GEMM(kind: backend)
        let first = try fit(try Recipe.load(path: shippedRecipe, overrides: quick(backend)), gemm: gemm)
        let second = try fit(try Recipe.load(path: shippedRecipe, overrides: quick(backend)), gemm: gemm)
        #expect(first.history.epochs.count == 3)
        #expect(first.history == second.history)
        let bits = { (h: History) in h.epochs.flatMap { $0.map(\.value.bitPattern) } }
        #expect(bits(first.history) == bits(second.history))
        #expect(first.history.csv() == second.history.csv())
        #expect(first.testLoss.bitPattern == second.testLoss.bitPattern)
        #expect(first.testAccuracy == second.testAccuracy)
    }

    @Test(arguments: availableBackends)
    func aDifferentSeedGivesADifferentHistory(_ backend: GEMMBackendKind) throws {
        let gemm = GEMM(kind: backend)
        let one = try fit(try Recipe.load(path: shippedRecipe, overrides: quick(backend)), gemm: gemm)
        let two = try fit(try Recipe.load(path: shippedRecipe, overrides: quick(backend, ["seed=2"])), gemm: gemm)
        #expect(one.history != two.history)
        #expect(one.history.values(of: "loss")[0] != two.history.values(of: "loss")[0])
        #expect(one.history.csv() != two.history.csv())
    }

    @Test func dropoutAndShuffleAreDeterministicToo() throws {
        let text = """
            name: dropout-determinism
            seed: 5
            data: {source: digits, scale: 0.0625}
            model:
              input: [64]
              layers:
                - dense: {units: 32, activation: relu}
                - dropout: {rate: 0.5}
                - dense: {units: 10, activation: softmax}
            loss: categorical_crossentropy
            optimizer: {sgd: {learning_rate: 0.05, momentum: 0.9}}
            training: {epochs: 2, batch_size: 16, shuffle: true}
            """
        let gemm = try environmentGEMM()
        let a = try fit(try Recipe.parse(text, file: "inline.yaml"), gemm: gemm)
        let b = try fit(try Recipe.parse(text, file: "inline.yaml"), gemm: gemm)
        #expect(a.history == b.history)
        #expect(a.testLoss.bitPattern == b.testLoss.bitPattern)
        let c = try fit(try Recipe.parse(text, file: "inline.yaml", overrides: ["seed=6"]), gemm: gemm)
        #expect(a.history != c.history)
    }

    @Test func theSeedOptionAndTheSeedKeyAreTheSame() throws {
        let viaSet = try Recipe.load(path: shippedRecipe, overrides: ["seed=9"])
        #expect(viaSet.config.seed == 9)
        #expect(try Recipe.load(path: shippedRecipe).config.seed == 1)
    }

    // MARK: Recipe resolution

    @Test func loadingFillsEveryDefaultAndInlinesTheModel() throws {
        let recipe = try Recipe.load(path: shippedRecipe)
        #expect(recipe.config.name == "digits-mlp")
        #expect(recipe.config.output == nil)
        #expect(recipe.config.outputFolder == "runs/digits-mlp")
        #expect(recipe.config.modelFile == "models/mlp.yaml")
        #expect(recipe.config.training.epochs == 100)
        #expect(recipe.config.training.shuffle == true)
        let resolved = recipe.resolved
        #expect(resolved["training"]?["shuffle"] == .bool(true))
        #expect(resolved["optimizer"]?["adam"]?["epsilon"] == .double(1e-7))
        let firstLayer = resolved["model"]?["layers"]?.items?.first?["dense"]
        #expect(firstLayer?["name"] == .string("dense"))
        #expect(firstLayer?["kernel_initializer"] == .string("glorot_uniform"))
        #expect(resolved["model"]?["input"] == .ints([64]))
    }

    @Test func overridesReachDefaultsTheFileDoesNotMention() throws {
        let recipe = try Recipe.load(path: shippedRecipe, overrides: [
            "training.shuffle=false", "optimizer.adam.beta_1=0.8", "model.layers[1].dense.units=32", "output=elsewhere",
        ])
        #expect(recipe.config.training.shuffle == false)
        #expect(recipe.resolved["optimizer"]?["adam"]?["beta_1"] == .double(0.8))
        #expect(recipe.spec.layers[1].name == "dense_1")
        #expect(recipe.resolved["model"]?["layers"]?.items?[1]["dense"]?["units"] == .int(32))
        #expect(recipe.config.output == "elsewhere")
    }

    @Test func anOverrideOfAnUnknownKeyIsAnError() throws {
        let error = try #require(throws: ConfigErrors.self) {
            _ = try Recipe.load(path: shippedRecipe, overrides: ["training.epohcs=5"])
        }
        #expect(error.description == #"--set training.epohcs=5: no key "epohcs" under "training"; expected one of: batch_size, callbacks, checkpoint_every, epochs, shuffle (did you mean "epochs"?)"#)
    }

    // MARK: Errors found at fit time

    @Test func outputWidthMustMatchTheClasses() throws {
        let text = """
            name: wrong-width
            data: {source: digits}
            model:
              input: [64]
              layers:
                - dense: {units: 7, activation: softmax}
            loss: categorical_crossentropy
            training: {epochs: 1}
            """
        let recipe = try Recipe.parse(text, file: "inline.yaml")
        let error = try #require(throws: ConfigErrors.self) { _ = try FitJob(recipe: recipe, gemm: GEMM(kind: .builtin)).run(write: false) }
        #expect(error.description == "inline.yaml:6:7: model.layers[0].dense: the output layer has 7 units but the data has 10 classes; use units: 10")
    }

    @Test func theErrorKeepsItsPositionWhenTheRecipeHasOverrides() throws {
        // Recipe.load (the CLI's path) keeps positions: see nnrunTests. Recipe.parse (bench, tests):
        let text = """
            name: wrong-width
            data: {source: digits}
            model:
              input: [64]
              layers:
                - dense: {units: 7, activation: softmax}
            loss: categorical_crossentropy
            """
        let recipe = try Recipe.parse(text, file: "inline.yaml", overrides: ["training.epochs=1"])
        let error = try #require(throws: ConfigErrors.self) { _ = try FitJob(recipe: recipe, gemm: GEMM(kind: .builtin)).run(write: false) }
        #expect(error.description == "inline.yaml:6:7: model.layers[0].dense: the output layer has 7 units but the data has 10 classes; use units: 10")
    }

    // MARK: Writing the run folder

    @Test func runFolderIsWrittenOnceAndRefusedAfter() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nnrun-fit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = dir.appendingPathComponent("runs/one").path
        let recipe = try Recipe.load(path: shippedRecipe, overrides: ["training.epochs=1", "output=\(output)"])
        var job = FitJob(recipe: recipe, gemm: try environmentGEMM())
        let result = try job.run()
        #expect(result.output == output)
        let files = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
        #expect(files == ["curves.svg", "history.csv", "metrics.json", "model.json", "optimizer.safetensors", "report.html", "split.json", "weights.safetensors"])
        let csv = try String(contentsOfFile: output + "/history.csv", encoding: .utf8)
        #expect(csv == result.history.csv())

        #expect(throws: (any Error).self) { try job.run() }
        #expect(try String(contentsOfFile: output + "/history.csv", encoding: .utf8) == csv)
        job.overwrite = true
        _ = try job.run()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("runs").path) == ["one"])
    }
}
