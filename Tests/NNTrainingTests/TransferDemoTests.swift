import Foundation
import NNTensor
import Testing
@testable import NNTraining

private let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("configs")

/// The shipped transfer-learning demo, as the README runs it: the CNN trained on digits 0-4, then
/// fine-tuned on 5-9 from 30 images per class with its convolutions frozen, beats the same network
/// trained from scratch on the same 150 images (shipped seed 1).
@Suite struct TransferDemoTests {
    @Test func fineTuningBeatsTrainingFromScratch() throws {
        let gemm = try GEMM.fromEnvironment(ProcessInfo.processInfo.environment)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("nnrun-demo-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        var baseRecipe = try Recipe.load(path: configs.appendingPathComponent("digits-0to4.yaml").path)
        baseRecipe.config.output = base
        let trained = try FitJob(recipe: baseRecipe, gemm: gemm).run()
        #expect(trained.testAccuracy >= 0.99)

        let tuned = try FitJob(recipe: try Recipe.load(path: configs.appendingPathComponent("digits-5to9.yaml").path, finetuneFrom: base),
                               gemm: gemm).run(write: false)
        let scratch = try FitJob(recipe: try Recipe.load(path: configs.appendingPathComponent("digits-5to9-scratch.yaml").path),
                                 gemm: gemm).run(write: false)
        #expect(tuned.history.epochs.count == scratch.history.epochs.count)
        #expect(tuned.testAccuracy > scratch.testAccuracy, "fine-tuned \(tuned.testAccuracy), from scratch \(scratch.testAccuracy)")
        print("transfer demo: fine-tuned \(tuned.testAccuracy), from scratch \(scratch.testAccuracy)")
    }
}
