import ArgumentParser
import NNModel
import NNTraining

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the model of a recipe as Keras' summary table, with parameter and memory counts.")

    @OptionGroup var recipe: RecipeOptions

    func run() throws {
        try reportingErrors {
            if try recipe.describeAnalysisIfAny() { return }   // method: instead of model: (CheckAnalysis.swift)
            let (loaded, model) = try recipe.loadModel()
            print(summary(of: model, name: loaded.config.name))
        }
    }
}
