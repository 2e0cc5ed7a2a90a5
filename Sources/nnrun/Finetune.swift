import ArgumentParser
import Foundation
import NNConfig
import NNTraining

struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Transfer learning: start from a trained run's weights, freeze its first layers, train a new head on new data.",
        discussion: "The recipe's finetune: section names the base run (from), how many of its last layers to drop (drop), the new layers (head), and optionally freeze, unfreeze_at and strict.")

    @OptionGroup var recipe: RecipeOptions
    @OptionGroup var training: TrainingOptions

    @Option(name: .customLong("from"), help: ArgumentHelp("The trained run to start from (overrides finetune.from).", valueName: "run"))
    var base: String?

    @Option(help: ArgumentHelp("Freeze the first N layers (overrides finetune.freeze).", valueName: "n"))
    var freeze: Int?

    @Flag(help: "Fail unless every layer kept from the base loads its weights (overrides finetune.strict).")
    var strict = false

    func validate() throws {
        try training.validate()
        if base != nil && training.resume {
            throw ValidationError("--from starts a new run from a base; --resume continues the run in the folder: use one")
        }
        if let freeze, freeze < 0 { throw ValidationError("--freeze \(freeze): expected a whole number >= 0") }
    }

    func run() throws {
        try reportingErrors {
            var extra: [String] = []
            if let freeze { extra.append("finetune.freeze=\(freeze)") }
            if strict { extra.append("finetune.strict=true") }
            let loaded = try recipe.load(extra: extra, finetuneFrom: base)
            guard let finetune = loaded.config.finetune else {
                throw ConfigErrors([ConfigError(location: SourceLocation(file: recipe.config, line: 0, column: 0), path: "finetune",
                    message: "missing the finetune: section (from, drop, head, freeze) that says what to start from; to train from scratch use nnrun fit")])
            }
            if !training.resume {
                writeOut("Fine-tuning from \(finetune.from): \(finetune.freeze) layer\(finetune.freeze == 1 ? "" : "s") frozen\(finetune.unfreezeEpoch.map { " until epoch \($0)" } ?? "")\n")
            }
            try training.fit(loaded)
        }
    }
}
