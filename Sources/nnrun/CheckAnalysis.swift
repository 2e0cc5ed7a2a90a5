import NNConfig
import NNData
import NNLayers
import NNModel
import NNTraining

extension RecipeOptions {
    /// `nnrun check` and `nnrun summary` of a recipe with `method:` and no `model:`: decodes it,
    /// loads the data when it can be read and checks the method's options against it (k ≤ rows,
    /// perplexity < rows, ...), and prints what would run. Returns false for any other recipe.
    func describeAnalysisIfAny() throws -> Bool {
        guard AnalysisRecipe.describes(try YAMLLoader.load(path: config)) else { return false }
        var all = overrides
        if let seed { all.append("seed=\(seed)") }
        let loaded = try AnalysisRecipe.load(path: config, overrides: all)
        let job = AnalysisJob(recipe: loaded, gemm: try gemmFromEnvironment())
        var dataLine: String
        do {
            let rows = try job.loadRows()
            try job.validate(rows)
            dataLine = "  data: \(rows.count) samples of \(shapeText(rows.featureShape)), \(rows.labelNames.count) classes (\(loaded.usesSplit ? "the training split" : "all rows"))"
        } catch let error as ConfigErrors where error.errors.first?.path.hasPrefix("data") == true {
            dataLine = "  data: not checked (\(error.errors[0].message))"
        }
        let options = loaded.resolved["method"]?.entries?.first?.value.entries?.map { "\($0.key): \($0.value.scalarText ?? "?")" } ?? []
        print("\(config): OK")
        print("  method: \(loaded.method.name) {\(options.joined(separator: ", "))}")
        print(dataLine)
        print("  output \(loaded.outputFolder)")
        return true
    }
}
