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

    /// Loads `path`. `overrides` are `key.path=value` strings (`--set`), applied to the resolved
    /// recipe, so any key, including a default the file does not mention, can be overridden and a
    /// key that does not exist is an error.
    public static func load(path: String, overrides: [String] = [], registry: LayerRegistry = .builtIn) throws -> Recipe {
        var tree = try YAMLLoader.load(path: path)
        var modelFile: String?
        if let model = tree["model"], case .scalar(let modelPath, _) = model.kind {
            let resolvedPath = try locate(modelPath, near: path, node: model)
            tree = tree.setting("model", to: try YAMLLoader.load(path: resolvedPath))
            modelFile = modelPath
        }
        var recipe = try decode(tree, file: path, registry: registry)
        if !overrides.isEmpty {
            let overridden = try Overrides.apply(overrides, to: recipe.resolved.borrowingLocations(from: tree))
            recipe = try decode(overridden, file: path, registry: registry)
        }
        recipe.config.modelFile = modelFile
        return recipe
    }

    /// Decodes a recipe tree whose `model` is a mapping.
    static func decode(_ tree: ConfigNode, file: String, registry: LayerRegistry) throws -> Recipe {
        let diagnostics = Diagnostics()
        let config = RunConfig.decode(tree, diagnostics: diagnostics)
        var spec: ModelSpec?
        if let config, config.model.kind != .null {
            spec = ModelSpec.decode(config.model, path: "model", registry: registry, diagnostics: diagnostics)
        }
        if let config, let spec { validate(config, spec, tree: tree, diagnostics) }
        try diagnostics.throwIfAny()
        guard let config, let spec else { throw ConfigErrors([ConfigError(location: nil, path: "", message: "unusable recipe")]) }
        return Recipe(config: config, spec: spec, file: file)
    }

    /// Checks that need the whole recipe: the perceptron and the step activation go together.
    static func validate(_ config: RunConfig, _ spec: ModelSpec, tree: ConfigNode, _ diagnostics: Diagnostics) {
        let stepLayers = spec.layers.filter { ($0.layer as? any ActivatedLayer)?.activation == .heaviside }
        if config.optimizer.isPerceptron {
            let trainable = spec.layers.filter { !$0.layer.parameters.isEmpty || $0.layer is Dense }
            let ok = trainable.count == 1 && (trainable[0].layer as? Dense)?.activation == .heaviside
                && spec.layers.last?.layer === trainable[0].layer
            if !ok {
                let found = trainable.map { l in "\(l.layer.name) (\((l.layer as? Dense)?.activation.name ?? l.layer.typeName))" }
                diagnostics.report(tree["optimizer"], "optimizer", "the perceptron rule trains exactly one dense layer with activation heaviside, as the model's last layer (flatten may come before it); this model has \(found.isEmpty ? "none" : found.joined(separator: ", "))")
            }
        } else if let first = stepLayers.first {
            let activation = first.node.entries?.first?.value["activation"]
            diagnostics.report(activation ?? first.node, activation == nil ? first.path : first.path + ".activation", "heaviside is a step function: its derivative is zero almost everywhere, so \(config.optimizer.encode().entries?.first?.key ?? "gradient descent") cannot train through it. Use optimizer: perceptron (one dense layer with heaviside), or a differentiable activation such as sigmoid")
        }
    }

    /// Finds a file a recipe refers to: as given (relative to the current directory), else
    /// relative to the recipe's folder, else to that folder's parent (configs/ and models/ are
    /// siblings).
    static func locate(_ reference: String, near recipe: String, node: ConfigNode) throws -> String {
        let fm = FileManager.default
        if reference.hasPrefix("/") || fm.fileExists(atPath: reference) { return reference }
        let folder = (recipe as NSString).deletingLastPathComponent
        for base in [folder, (folder as NSString).deletingLastPathComponent] where !base.isEmpty {
            let candidate = (base as NSString).appendingPathComponent(reference)
            if fm.fileExists(atPath: candidate) { return candidate }
        }
        throw ConfigErrors([ConfigError(location: node.location, path: "model",
                                        message: "model file \"\(reference)\" not found (looked in the current folder and next to \(recipe))")])
    }

    /// The resolved recipe as written to model.json: every default filled in, the model inline.
    public var resolved: ConfigNode {
        config.encode().setting("model", to: spec.encode())
    }
}

extension Recipe {
    /// Decodes a recipe from text whose `model` is inline (benchmarks, tests).
    public static func parse(_ text: String, file: String, overrides: [String] = [], registry: LayerRegistry = .builtIn) throws -> Recipe {
        let tree = try YAMLLoader.parse(text, file: file)
        var recipe = try decode(tree, file: file, registry: registry)
        if !overrides.isEmpty {
            recipe = try decode(try Overrides.apply(overrides, to: recipe.resolved.borrowingLocations(from: tree)),
                                file: file, registry: registry)
        }
        return recipe
    }
}
