/// A one-key mapping whose key names a type, Keras-style: `- dense: {units: 64}`,
/// `optimizer: {adam: {learning_rate: 0.001}}`. A bare scalar (`optimizer: adam`) is the same type
/// with every option at its default.
public struct Tagged {
    public var type: String
    /// Path of the body, e.g. `model.layers[1].dense`.
    public var path: String
    /// The options mapping (an empty mapping for the scalar form).
    public var body: ConfigNode
    /// The whole node, for errors about the entry itself.
    public var node: ConfigNode

    /// Reads `node` as a tagged entry whose type must be one of `known`; reports and returns nil
    /// otherwise. `what` names the kind of thing in messages ("layer type", "optimizer").
    public init?(_ node: ConfigNode, path: String, known: [String], what: String, diagnostics: Diagnostics) {
        self.node = node
        switch node.kind {
        case .scalar(let t, _):
            type = t
            body = ConfigNode(.mapping([]), location: node.location)
        case .mapping(let entries) where entries.count == 1:
            type = entries[0].key
            body = entries[0].value
            if case .null = body.kind { body = ConfigNode(.mapping([]), location: body.location) }
        default:
            diagnostics.report(node, path, "received \(node.brief), expected a \(what) written as a one-key mapping such as {\(known.contains("dense") ? "dense" : known.first ?? "name"): {...}}")
            return nil
        }
        guard known.contains(type) else {
            let location = node.entries?.first?.keyLocation ?? node.location
            diagnostics.report(ConfigError(
                location: location, path: path,
                message: "unknown \(what) \"\(type)\"; expected one of: \(known.joined(separator: ", "))",
                suggestion: didYouMean(type, among: known)))
            return nil
        }
        self.path = path.isEmpty ? type : "\(path).\(type)"
    }
}
