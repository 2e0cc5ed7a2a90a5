import ArgumentParser
import NNConfig
import NNData
import NNLayers
import NNModel
import NNTraining

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a recipe without training: decode it, infer every shape and count the parameters.",
        discussion: "When the data can be read, also checks that the model's input and output fit it; without the data files the check still runs and says what it skipped.")

    @OptionGroup var recipe: RecipeOptions

    func run() throws {
        try reportingErrors {
            if try recipe.describeAnalysisIfAny() { return }   // method: instead of model: (CheckAnalysis.swift)
            let (loaded, model) = try recipe.loadModel()
            // The data is optional here: a missing file is a note, a model that does not fit is an error.
            var dataLine = "  data: none (a model file; fit needs a run recipe)"
            if !loaded.isModelFile { do {
                let data = try loadDataset(loaded.config.data, baseDirectory: ConfigPaths.folder(of: loaded.file))
                try loaded.checkData(model, data)
                dataLine = "  data: \(data.count) samples of \(shapeText(data.featureShape)), \(data.labelNames.count) classes: fits the model"
            } catch let error as ConfigErrors where error.errors.first?.message.contains("cannot read") == true {
                // Only an unreadable data file is skipped; a class or shape that does not fit is an error.
                dataLine = "  data: not checked (\(error.errors[0].message))"
            } }
            let params = model.namedParameters.reduce(0) { $0 + $1.parameter.value.count }
            var steps = model.nodes.map { "\($0.layer.name) \(shapeText($0.outputShape))" }
            if steps.count > 12 { steps = steps.prefix(8) + ["... \(steps.count - 11) more ..."] + steps.suffix(3) }
            let shapes = steps.joined(separator: " -> ")
            print("\(recipe.config): OK")
            print("  input \(shapeText(model.inputShape)) -> \(shapes)")
            print(dataLine)
            print("  \(grouped(params)) parameters (\(grouped(model.parameters.reduce(0) { $0 + $1.value.count })) trainable), loss \(loaded.config.loss), optimizer \(loaded.config.optimizer.encode().entries?.first?.key ?? "?"), output \(loaded.config.outputFolder)")
        }
    }
}
