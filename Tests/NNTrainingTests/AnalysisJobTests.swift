import NNAnalysis
import NNConfig
import NNData
import NNTensor
import Testing
@testable import NNTraining

@Suite struct AnalysisJobTests {
    static let text = """
        name: pca-small
        seed: 3
        data: {source: digits, scale: 0.0625}
        method:
          pca: {n_components: 0.5}
        """

    @Test func resolvedRecipeRoundTripsAndTakesOverrides() throws {
        let recipe = try AnalysisRecipe.parse(Self.text, file: "<test>")
        let again = try AnalysisRecipe.decode(recipe.resolved, file: "<test>")
        #expect(again.resolved.jsonText() == recipe.resolved.jsonText())
        #expect(!recipe.usesSplit && !recipe.resolved.jsonText().contains("split"))
        let changed = try AnalysisRecipe.parse(Self.text, file: "<test>", overrides: ["method={kmeans: {n_clusters: 4}}"])
        guard case .kmeans(let o) = changed.method else { Issue.record("expected k-means"); return }
        #expect(o.clusters == 4 && o.nInit == 10)
    }

    @Test func aSplitKeepsOnlyTheTrainingRows() throws {
        let recipe = try AnalysisRecipe.parse(Self.text.replacingOccurrences(of: "scale: 0.0625}", with: "scale: 0.0625, split: {test: 0.4, validation: 0.2}}"), file: "<test>")
        #expect(recipe.usesSplit)
        let rows = try AnalysisJob(recipe: recipe, gemm: GEMM(kind: .builtin)).loadRows()
        #expect(rows.count == 862)
        #expect(rows.features.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func nanInTheDataIsAnErrorNamingRowAndColumn() throws {
        let recipe = try AnalysisRecipe.parse(Self.text, file: "configs/x.yaml")
        var data = Dataset.digits().subset(0..<20)
        data.features[2 * 64 + 5] = .nan
        let job = AnalysisJob(recipe: recipe, gemm: GEMM(kind: .builtin))
        #expect(throws: AnalysisDataError.self) { try job.run(on: data, write: false) }
        do {
            _ = try job.run(on: data, write: false)
        } catch {
            #expect("\(error)" == "configs/x.yaml: the data has NaN at row 3, column 6; remove or impute it first")
        }
    }

    @Test func fractionOfVarianceChoosesTheComponentCount() throws {
        let recipe = try AnalysisRecipe.parse(Self.text, file: "<test>")
        let result = try AnalysisJob(recipe: recipe, gemm: GEMM(kind: .builtin)).run(write: false)
        // Digits: the first 4 ratios sum to 0.4872 and the first 5 to 0.5450 (scikit-learn).
        #expect(result.coordinates.columns == 5)
        #expect(result.files.map(\.name) == ["model.json", "embedding.csv", "embedding.svg", "metrics.json"])
    }
}
