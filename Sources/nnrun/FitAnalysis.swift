import Foundation
import NNConfig
import NNModel
import NNTraining

extension Fit {
    /// `nnrun fit` of a recipe with `method:` and no `model:` (PCA, k-means, t-SNE): runs it, prints
    /// the method's summary line and writes the run folder. Returns false for any other recipe.
    func runAnalysisIfAny() throws -> Bool {
        guard AnalysisRecipe.describes(try YAMLLoader.load(path: recipe.config)) else { return false }
        var all = recipe.overrides
        if let seed = recipe.seed { all.append("seed=\(seed)") }
        var loaded = try AnalysisRecipe.load(path: recipe.config, overrides: all)
        if let output = training.output { loaded.output = output }
        var job = AnalysisJob(recipe: loaded, gemm: try gemmFromEnvironment())
        job.overwrite = training.overwrite
        job.log = { if training.progress != ProgressStyle.none { writeOut($0) } }
        let result = try job.run()
        writeOut(result.summary + "\n")
        writeOut("Run written to \(result.output)/ (\(String(format: "%.2f", result.seconds)) s)\n")
        return true
    }
}
