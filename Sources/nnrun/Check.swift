import ArgumentParser
import NNLayers
import NNModel
import NNTraining

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a recipe without data: decode it, infer every shape and count the parameters.")

    @OptionGroup var recipe: RecipeOptions

    func run() throws {
        try reportingErrors {
            let (loaded, model) = try recipe.loadModel()
            let params = model.parameters.reduce(0) { $0 + $1.value.count }
            var steps = model.nodes.map { "\($0.layer.name) \(shapeText($0.outputShape))" }
            if steps.count > 12 { steps = steps.prefix(8) + ["... \(steps.count - 11) more ..."] + steps.suffix(3) }
            let shapes = steps.joined(separator: " -> ")
            print("\(recipe.config): OK")
            print("  input \(shapeText(model.inputShape)) -> \(shapes)")
            print("  \(grouped(params)) parameters, loss \(loaded.config.loss), optimizer \(loaded.config.optimizer.encode().entries?.first?.key ?? "?"), output \(loaded.config.outputFolder)")
        }
    }
}
