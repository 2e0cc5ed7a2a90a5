import Foundation
import NNConfig
import NNLayers
import NNModel

/// A run recipe loaded from its file, with the model file inlined, `--set` overrides applied and
/// every check that needs no data done. All problems come out together as `ConfigErrors`.
public struct Recipe {
    public var config: RunConfig
    public var spec: ModelSpec
    /// The file the recipe came from.
    public var file: String
    /// True when `file` is a model file (`input:` and `layers:` only) that `check`, `summary` and
    /// `time` were given instead of a recipe: its data, loss and optimizer are placeholders.
    public var isModelFile = false

    /// Loads `path`. `overrides` are `key.path=value` strings (`--set`), applied to the resolved
    /// recipe, so any key, including a default the file does not mention, can be overridden and a
    /// key that does not exist is an error.
    /// A fine-tuning recipe (a `finetune:` section and no `model:`) gets its model from the base
    /// run, `finetuneFrom` (`--from`) or `finetune.from`: the base's layers minus the last `drop`,
    /// then `head`.
    /// With `refuseFinetune` (`nnrun fit`), a fine-tuning recipe is a config error.
    public static func load(path: String, overrides: [String] = [], finetuneFrom: String? = nil, refuseFinetune: Bool = false,
                            registry: LayerRegistry = .builtIn) throws -> Recipe {
        var tree = try YAMLLoader.load(path: path)
        if refuseFinetune, let section = tree.entries?.first(where: { $0.key == "finetune" }) {
            throw ConfigErrors([ConfigError(location: section.keyLocation, path: "finetune",
                message: "this recipe fine-tunes a trained run; use nnrun finetune \(path)")])
        }
        var modelFile: String?
        let isModelFile = tree["model"] == nil && tree["layers"] != nil
        if isModelFile {
            // A bare model file: wrap it in a recipe so it can be checked, summarised and timed.
            let stem = ConfigPaths.stem(of: path)
            tree = .map([("name", .string(RunConfig.isValidName(stem) ? stem : "model")), ("data", .map([("source", .string("digits"))])),
                         ("model", tree), ("loss", .string("categorical_crossentropy"))])
            modelFile = path
        }
        if let model = tree["model"], case .scalar(let modelPath, _) = model.kind {
            let resolvedPath = try locate(modelPath, near: path, node: model)
            tree = tree.setting("model", to: try YAMLLoader.load(path: resolvedPath))
            modelFile = modelPath
        }
        if tree["model"] == nil, tree["finetune"] != nil {
            tree = try expandFinetune(tree, from: finetuneFrom, overrides: overrides)
        }
        var recipe = try decode(tree, file: path, overrides: overrides, registry: registry, checkTraining: !isModelFile)
        recipe.config.modelFile = modelFile
        recipe.isModelFile = isModelFile
        return recipe
    }

    /// Decodes `tree`, then, with overrides, applies them to the resolved recipe (positions borrowed
    /// from `tree`) and decodes that.
    static func decode(_ tree: ConfigNode, file: String, overrides: [String], registry: LayerRegistry,
                       checkTraining: Bool = true) throws -> Recipe {
        let recipe = try decode(tree, file: file, registry: registry, checkTraining: checkTraining)
        guard !overrides.isEmpty else { return recipe }
        let overridden = try Overrides.apply(overrides, to: recipe.resolved.borrowingLocations(from: tree))
        return try decode(overridden, file: file, registry: registry, checkTraining: checkTraining)
    }

    /// Decodes a recipe tree whose `model` is a mapping. Without `checkTraining` (a bare model file,
    /// whose optimizer is a placeholder) the checks between optimizer and model are skipped.
    static func decode(_ tree: ConfigNode, file: String, registry: LayerRegistry, checkTraining: Bool = true) throws -> Recipe {
        let diagnostics = Diagnostics()
        let config = RunConfig.decode(tree, diagnostics: diagnostics)
        var spec: ModelSpec?
        if let config, config.model.kind != .null {
            spec = ModelSpec.decode(config.model, path: "model", registry: registry, diagnostics: diagnostics)
        }
        if let config, let spec, checkTraining { validate(config, spec, tree: tree, diagnostics) }
        try diagnostics.throwIfAny()
        guard let config, let spec else { throw ConfigErrors([ConfigError(location: nil, path: "", message: "unusable recipe")]) }
        return Recipe(config: config, spec: spec, file: file)
    }

    /// Checks that need the whole recipe: the perceptron and the step activation go together.
    static func validate(_ config: RunConfig, _ spec: ModelSpec, tree: ConfigNode, _ diagnostics: Diagnostics) {
        if let finetune = config.finetune {
            let kept = spec.layers.count - (finetune.head.items?.count ?? 0)
            if finetune.freeze > kept {
                diagnostics.report(tree["finetune"]?["freeze"] ?? tree["finetune"], "finetune.freeze",
                    "received \(finetune.freeze), but only \(kept) of the model's \(spec.layers.count) layers come from the base \(finetune.from) (the rest are the new head); freeze at most \(kept)")
            }
        }
        let stepLayers = spec.layers.filter { $0.config.outputActivation == .heaviside }
        if config.optimizer.isPerceptron {
            let dense = spec.layers.filter { $0.config is Dense.Config }
            let others = spec.layers.filter { !($0.config is Dense.Config || $0.config is Flatten.Config) }
            let ok = dense.count == 1 && others.isEmpty && dense[0].config.outputActivation == .heaviside
                && spec.layers.last?.name == dense[0].name
            if !ok {
                let found = (dense + others).map { "\($0.name) (\($0.config.outputActivation?.name ?? $0.config.typeName))" }
                diagnostics.report(tree["optimizer"], "optimizer", "the perceptron rule trains exactly one dense layer with activation heaviside, as the model's last layer (flatten may come before it); this model has \(found.isEmpty ? "none" : found.joined(separator: ", "))")
            }
        } else if let first = stepLayers.first {
            let activation = first.node.entries?.first?.value["activation"]
            diagnostics.report(activation ?? first.node, activation == nil ? first.path : first.path + ".activation", "heaviside is a step function: its derivative is zero almost everywhere, so \(config.optimizer.encode().entries?.first?.key ?? "gradient descent") cannot train through it. Use optimizer: perceptron (one dense layer with heaviside), or a differentiable activation such as sigmoid")
        }
    }

    /// Puts the fine-tuning model (see `FinetuneConfig.model`) into a recipe tree as `model:`.
    static func expandFinetune(_ tree: ConfigNode, from: String?, overrides: [String]) throws -> ConfigNode {
        guard var section = tree["finetune"] else { return tree }
        if let from { section = section.setting("from", to: .string(from)) }
        // A section that does not decode is reported, with everything else, by the full decode.
        guard var finetune = FinetuneConfig.decode(section, path: "finetune") else { return tree.setting("finetune", to: section) }
        // `--set finetune.from=...`, `.drop`, `.head` change the model itself, so they apply here,
        // to the resolved section, before the base is read (the full decode applies them again).
        let own = overrides.filter { $0.hasPrefix("finetune.") || $0.hasPrefix("finetune=") }
        if !own.isEmpty {
            let resolved = ConfigNode.map([("finetune", finetune.encode().borrowingLocations(from: section))])
            guard let changed = try Overrides.apply(own, to: resolved)["finetune"],
                  let decoded = FinetuneConfig.decode(changed, path: "finetune") else { return tree.setting("finetune", to: section) }
            finetune = decoded
        }
        let base = try TrainedRun.readJSON("\(finetune.from)/model.json", missing: "the base run \(finetune.from) (finetune.from) has no model.json; train it first, e.g. nnrun fit configs/digits-0to4.yaml")
        guard let baseModel = base["config"]?["model"] else { throw CheckpointError("\(finetune.from)/model.json", "no config.model") }
        return tree.setting("finetune", to: section).setting("model", to: try finetune.model(base: baseModel, section: section))
    }

    /// Freezes the first `finetune.freeze` layers while `finetune.isFrozen(atEpoch: epoch)`, and
    /// makes every parameter trainable otherwise.
    public func applyFreeze(to model: Model, epoch: Int) {
        guard let finetune = config.finetune else { return }
        let frozen = finetune.isFrozen(atEpoch: epoch)
        for (i, node) in model.nodes.enumerated() {
            for p in node.layer.parameters { p.isTrainable = !(frozen && i < finetune.freeze) }
        }
    }

    /// Finds the model file a recipe names (see `ConfigPaths`), or a config error at `model:`.
    static func locate(_ reference: String, near recipe: String, node: ConfigNode) throws -> String {
        let folder = ConfigPaths.folder(of: recipe)
        guard let found = ConfigPaths.locate(reference, configFolder: folder) else {
            throw ConfigErrors([ConfigError(location: node.location, path: "model",
                message: "model file \"\(reference)\" not found (\(ConfigPaths.lookedIn(reference, configFolder: folder)))")])
        }
        return found
    }

    /// The resolved recipe as written to model.json: every default filled in, the model inline.
    public var resolved: ConfigNode {
        config.encode().setting("model", to: spec.encode())
    }
}

extension Recipe {
    /// Decodes a recipe from text whose `model` is inline (benchmarks, tests).
    public static func parse(_ text: String, file: String, overrides: [String] = [], registry: LayerRegistry = .builtIn) throws -> Recipe {
        try decode(try YAMLLoader.parse(text, file: file), file: file, overrides: overrides, registry: registry)
    }
}
