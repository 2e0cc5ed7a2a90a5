import Foundation
import NNAnalysis
import NNCheckpoint
import NNConfig
import NNData
import NNModel
import NNTensor
import Testing
@testable import NNTraining

private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private func folder(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nnrun-ae-\(getpid())-\(name)").path
    try? FileManager.default.removeItem(atPath: path)
    return path
}

private func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

/// Mean squared error per value between the rows of `data` and `reconstruction` ([count, width]).
private func meanSquaredError(_ data: Dataset, _ reconstruction: [Double]) -> Double {
    zip(data.features, reconstruction).reduce(0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) } / Double(data.features.count)
}

/// A small convolutional autoencoder on three digit classes, with dropout-free layers, Adam and
/// mid-epoch checkpoints: quick in a debug build.
private func convRecipe(output: String, epochs: Int) throws -> Recipe {
    try Recipe.parse("""
    name: cae
    seed: 3
    data: {source: digits, scale: 0.0625, shape: [8, 8, 1], classes: [0, 1, 2], target: inputs}
    model:
      input: [8, 8, 1]
      layers:
        - conv2d: {filters: 4, kernel_size: 3, padding: same, activation: relu}
        - max_pool2d: {pool_size: 2}
        - up_sampling2d: {size: 2}
        - conv2d: {filters: 1, kernel_size: 3, padding: same, activation: sigmoid}
    optimizer: adam
    training: {epochs: \(epochs), batch_size: 16, checkpoint_every: 7}
    output: \(output)
    """, file: "cae.yaml")
}

@Suite(.serialized) struct AutoencoderTests {
    let gemm = GEMM(kind: .builtin)

    /// configs/autoencoder.yaml (64-32-2-32-64, seed 1) for 20 epochs: the test reconstruction MSE
    /// is below the trivial baseline (every image reconstructed as the training split's mean image)
    /// and below PCA's best rank-2 reconstruction, the linear model with the same 2-value code.
    /// Measured: 0.0461 against 0.0734 (mean image) and 0.0514 (PCA, 2 components).
    @Test func denseAutoencoderBeatsTheMeanImageAndPCA() throws {
        let recipe = try Recipe.load(path: packageRoot.appendingPathComponent("configs/autoencoder.yaml").path,
                                     overrides: ["training.epochs=20"])
        let result = try FitJob(recipe: recipe, gemm: gemm).run(write: false)
        #expect(result.history.keys == ["loss", "val_loss"])
        #expect(result.testAccuracy.isNaN)
        let (splits, _) = try loadData(recipe.config.data, seed: 1, baseDirectory: nil)
        let test = splits.test, train = splits.train, n = test.featureCount

        let reconstruction = result.trainer.predict(test).outputs.map(Double.init)
        let mse = meanSquaredError(test, reconstruction)
        #expect(abs(mse - result.testLoss) < 1e-5)   // the loss is the MSE per pixel

        let mean = (0..<n).map { j in (0..<train.count).reduce(0.0) { $0 + Double(train.features[$1 * n + j]) } / Double(train.count) }
        let baseline = meanSquaredError(test, (0..<test.count).flatMap { _ in mean })
        var rng = RNG(seed: 0)
        let pca = try PCA.fit(Matrix(rows: train.count, columns: n, floats: train.features), options: PCA.Options(components: .count(2)),
                              rng: &rng, gemm: gemm)
        let codes = try pca.transform(Matrix(rows: test.count, columns: n, floats: test.features), gemm: gemm)
        let pcaReconstruction = (0..<test.count).flatMap { i in
            (0..<n).map { j in pca.mean[j] + (0..<2).reduce(0.0) { $0 + codes[i, $1] * pca.components[$1, j] } }
        }
        let pcaMSE = meanSquaredError(test, pcaReconstruction)
        #expect(abs(baseline - 0.0734) < 0.001 && abs(pcaMSE - 0.0514) < 0.001, "baseline \(baseline), PCA \(pcaMSE)")
        #expect(mse < 0.048, "test MSE \(mse)")
        #expect(mse < pcaMSE && mse < 0.65 * baseline)
    }

    /// The run folder of an autoencoder: history and metrics without accuracy, a report with inputs
    /// beside their reconstructions and no confusion matrix; an interrupted run resumes bit for bit.
    @Test func runFolderAndResume() throws {
        let straight = folder("straight"), resumed = folder("resumed")
        defer { try? FileManager.default.removeItem(atPath: straight); try? FileManager.default.removeItem(atPath: resumed) }
        _ = try FitJob(recipe: try convRecipe(output: straight, epochs: 3), gemm: gemm).run()
        let history = String(decoding: try bytes("\(straight)/history.csv"), as: UTF8.self)
        #expect(history.hasPrefix("epoch,loss,val_loss\n"))
        let metrics = String(decoding: try bytes("\(straight)/metrics.json"), as: UTF8.self)
        #expect(metrics.contains("\"accuracy\": null"))
        let report = String(decoding: try bytes("\(straight)/report.html"), as: UTF8.self)
        #expect(report.contains("Test inputs and their reconstructions (16)"))
        #expect(report.components(separatedBy: ">reconstruction<").count - 1 == 16)
        #expect(!report.contains("Confusion matrix") && !report.contains("test accuracy"))

        var first = FitJob(recipe: try convRecipe(output: resumed, epochs: 3), gemm: gemm)
        struct Interrupted: Error {}
        first.afterCheckpoint = { if $0.step >= 21 { throw Interrupted() } }
        #expect(throws: Interrupted.self) { try first.run() }
        var second = FitJob(recipe: try convRecipe(output: resumed, epochs: 3), gemm: gemm)
        second.resume = true
        _ = try second.run()
        for name in ["weights.safetensors", "optimizer.safetensors", "history.csv"] {
            #expect(try bytes("\(straight)/\(name)") == bytes("\(resumed)/\(name)"), "\(name) differs")
        }
    }

    /// `target: inputs` decodes with its defaults (MSE, no metrics) and its mistakes are config errors.
    @Test func targetInputsErrors() throws {
        func errors(_ data: String, _ rest: String = "", units: Int = 64) -> [String] {
            let text = """
            name: ae
            data: {source: digits, scale: 0.0625, \(data)}
            model: {input: [64], layers: [{dense: {units: 2}}, {dense: {units: \(units), activation: sigmoid}}]}
            optimizer: adam
            \(rest)
            """
            do {
                let recipe = try Recipe.parse(text, file: "ae.yaml")
                let (splits, _) = try loadData(recipe.config.data, seed: 1, baseDirectory: nil)
                var rng = RNG(seed: 1)
                try recipe.checkData(try Model(spec: recipe.spec, rng: &rng), splits.train)
                return []
            } catch let e as ConfigErrors {
                return e.errors.map(\.description)
            } catch {
                return ["\(error)"]
            }
        }
        let ok = try Recipe.parse("name: ae\ndata: {source: digits, target: inputs}\nmodel: {input: [64], layers: [{dense: {units: 64}}]}\n", file: "ae.yaml")
        #expect(ok.config.loss == "mean_squared_error" && ok.config.metrics.isEmpty)
        #expect(errors("target: inputs") == [])
        #expect(errors("target: inputs", "loss: binary_crossentropy") == [])
        #expect(errors("target: inputs", "metrics: [accuracy]") == [
            "ae.yaml:5:11: metrics[0]: received accuracy, but with data.target: inputs (an autoencoder) there are no classes to be accurate about; the run reports loss and val_loss only: remove metrics (or write metrics: [])"])
        #expect(errors("target: inputs", "loss: categorical_crossentropy") == [
            "ae.yaml:5:7: loss: received categorical_crossentropy, but data.target: inputs reconstructs the input values, which are not classes; use mean_squared_error (or binary_crossentropy for values in 0..1 with a sigmoid output)"])
        #expect(errors("target: inputs", units: 10) == [
            "ae.yaml:3:52: model.layers[1].dense: the output layer has 10 values ([10]) but data.target: inputs reconstructs samples of 64 values; use units: 64 (or an output of shape [64])"])
        #expect(errors("target: input", "loss: mean_squared_error") == [
            "ae.yaml:2:47: data.target: received input, expected one of: labels, inputs (did you mean \"inputs\"?)"])
    }
}
