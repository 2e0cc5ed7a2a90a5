import NNConfig
import NNLayers

/// A model file (or the inline `model:` mapping of a run recipe), decoded but not yet built:
///
///     input: [8, 8, 1]                 # per-sample shape, NHWC for images
///     layers:
///       - flatten: {}
///       - dense: {units: 64, activation: relu, name: hidden}
///       - dense: {units: 10, activation: softmax}
///
/// A layer is a one-key mapping, its type. Inside it, `name:` (default: the type, then `type_1`,
/// `type_2`, ... as Keras names layers) and `inputs: [names]` (default: the previous layer) join
/// the options. An input must be defined above the layer that uses it, so the graph has no cycles
/// and the file order is a topological order.
public struct ModelSpec {
    public struct LayerEntry {
        public var name: String
        public var config: any LayerConfig
        /// Indices of the input layers; -1 is the model input.
        public var inputs: [Int]
        /// Where the entry is in the file, for errors found when building.
        public var node: ConfigNode
        public var path: String
    }

    public var inputShape: [Int]
    public var layers: [LayerEntry]

    /// Decodes `node`; problems are reported to `diagnostics` (nil when the spec is unusable).
    public static func decode(_ node: ConfigNode, path: String, registry: LayerRegistry,
                              diagnostics: Diagnostics) -> ModelSpec? {
        guard let r = MappingReader(node, path: path, diagnostics: diagnostics) else { return nil }
        let inputShape = r.intList("input", in: 1...1_000_000)
        if inputShape.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }) > maxTensorElements {
            r.report("input", "an input of shape \(inputShape) is larger than nnrun handles (\(maxTensorElements) values per sample)")
        }
        let items = r.list("layers") ?? []
        if r.has("layers") && items.isEmpty { r.report("layers", "a model needs at least one layer") }
        if !r.has("layers") { r.report("layers", "missing required key \"layers\"") }
        r.finish()

        var entries: [LayerEntry] = []
        var names: [String: Int] = [:]
        var typeCounts: [String: Int] = [:]
        // Names written in the file; automatic names step over them (a fine-tuning head appended
        // to a base's named layers gets fresh names, as Keras' unique naming gives).
        let written = Set(items.compactMap { $0.entries?.first?.value["name"]?.scalarText })
        for (i, item) in items.enumerated() {
            let itemPath = "\(r.childPath("layers"))[\(i)]"
            guard let tagged = Tagged(item, path: itemPath, known: registry.typeNames, what: "layer type",
                                      diagnostics: diagnostics),
                  let options = MappingReader(tagged.body, path: tagged.path, diagnostics: diagnostics) else { continue }
            var name: String
            if options.has("name") {
                name = options.string("name")
                if name.isEmpty { options.report("name", "a layer name cannot be empty") }
                if name == "input" { options.report("name", "\"input\" names the model's input in `inputs:`; choose another layer name") }
            } else {
                // Keras' automatic names: dense, dense_1, dense_2, ... counting unnamed layers only,
                // skipping names written elsewhere in the list.
                repeat {
                    let count = typeCounts[tagged.type, default: 0]
                    typeCounts[tagged.type] = count + 1
                    name = count == 0 ? tagged.type : "\(tagged.type)_\(count)"
                } while written.contains(name) || names[name] != nil
                options.allow("name")
            }
            if names[name] != nil {
                options.report("name", "duplicate layer name \"\(name)\"; names must be unique")
            }
            var inputs = [entries.isEmpty ? -1 : entries.count - 1]
            if let list = options.list("inputs") {
                inputs = list.enumerated().compactMap { j, n in
                    let inputPath = "\(options.childPath("inputs"))[\(j)]"
                    guard let s = n.scalarText else {
                        diagnostics.report(n, inputPath, "received \(n.brief), expected a layer name")
                        return nil
                    }
                    if s == "input" { return -1 }
                    guard let k = names[s] else {
                        diagnostics.report(n, inputPath, "unknown layer \"\(s)\"; an input must be a layer defined above, or \"input\"",
                                           suggestion: didYouMean(s, among: Array(names.keys) + ["input"]))
                        return nil
                    }
                    return k
                }
            }
            guard let config = registry.decodeConfig(type: tagged.type, options: options) else { continue }
            names[name] = entries.count
            entries.append(LayerEntry(name: name, config: config, inputs: inputs, node: item, path: tagged.path))
        }
        return ModelSpec(inputShape: inputShape, layers: entries)
    }

    /// The resolved model mapping: every layer with its name and every option filled in (`inputs`
    /// only where a layer does not take the previous one).
    public func encode() -> ConfigNode {
        let layerNodes = layers.enumerated().map { i, entry -> ConfigNode in
            var options = entry.config.encode().entries ?? []
            options.insert(ConfigNode.Entry(key: "name", value: .string(entry.name)), at: 0)
            if entry.inputs != [i - 1] {
                let names = entry.inputs.map { $0 < 0 ? "input" : layers[$0].name }
                options.append(ConfigNode.Entry(key: "inputs", value: .strings(names)))
            }
            return .map([(entry.config.typeName, ConfigNode(.mapping(options)))])
        }
        return .map([("input", .ints(inputShape)), ("layers", .list(layerNodes))])
    }
}
