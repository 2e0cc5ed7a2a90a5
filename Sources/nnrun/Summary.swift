import ArgumentParser
import NNModel
import NNTensor
import NNTraining

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the model of a recipe as Keras' summary table, with parameter and memory counts.")

    @OptionGroup var recipe: RecipeOptions

    func run() throws {
        try reportingErrors {
            let loaded = try recipe.load()
            var rng = RNG(seed: UInt64(loaded.config.seed), stream: "init")
            let model = try Model(spec: loaded.spec, rng: &rng)
            print(summary(of: model, name: loaded.config.name))
        }
    }
}
