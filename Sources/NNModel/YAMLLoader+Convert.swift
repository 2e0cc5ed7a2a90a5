import NNConfig
import Yams

/// Converts a composed Yams `Node` into a `ConfigNode`, recording (not throwing) every problem:
/// non-scalar keys, duplicate keys, anchors, merge keys, explicit tags and nesting deeper than
/// `maxDepth`. The walk is recursive but bounded by `maxDepth`.
final class NodeConverter {
    let file: String
    /// Keys renamed to get past Yams' duplicate check, by position, with their real text.
    let renamed: [TextPosition: String]
    let maxDepth: Int
    let diagnostics = Diagnostics()
    private var depthReported = false

    init(file: String, renamed: [TextPosition: String], maxDepth: Int) {
        self.file = file
        self.renamed = renamed
        self.maxDepth = maxDepth
    }

    func convert(_ node: Node) -> ConfigNode {
        convert(node, path: "", depth: 1)
    }

    private func location(_ mark: Mark?) -> SourceLocation? {
        mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
    }

    private func convert(_ node: Node, path: String, depth: Int) -> ConfigNode {
        let here = location(node.mark)
        if node.anchor != nil {
            diagnostics.report(ConfigError(location: here, path: path, message: YAMLLoader.anchorMessage))
        }
        switch node {
        case .scalar(let scalar):
            return ConfigNode(scalarKind(scalar, path: path), location: here)
        case .alias:
            diagnostics.report(ConfigError(location: here, path: path, message: YAMLLoader.anchorMessage))
            return ConfigNode(.null, location: here)
        case .sequence(let sequence):
            guard checkDepth(depth, here, path) else { return ConfigNode(.null, location: here) }
            checkTag(sequence.tag, here, path)
            let items = sequence.enumerated().map { index, item in
                convert(item, path: "\(path)[\(index)]", depth: depth + 1)
            }
            return ConfigNode(.sequence(items), location: here)
        case .mapping(let mapping):
            guard checkDepth(depth, here, path) else { return ConfigNode(.null, location: here) }
            checkTag(mapping.tag, here, path)
            return ConfigNode(.mapping(entries(of: mapping, path: path, depth: depth)), location: here)
        }
    }

    private func entries(of mapping: Node.Mapping, path: String, depth: Int) -> [ConfigNode.Entry] {
        var entries: [ConfigNode.Entry] = []
        var firstLine: [String: Int] = [:]
        for (keyNode, value) in mapping {
            let keyLocation = location(keyNode.mark)
            guard case .scalar(let keyScalar) = keyNode, keyNode.anchor == nil else {
                let message = keyNode.anchor != nil || keyNode.alias != nil
                    ? YAMLLoader.anchorMessage : "a mapping key must be a name, not a list or mapping"
                diagnostics.report(ConfigError(location: keyLocation, path: path, message: message))
                continue
            }
            var key = keyScalar.string
            if let mark = keyScalar.mark, let original = renamed[TextPosition(line: mark.line, column: mark.column)] {
                key = original
            }
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            if key == "<<", keyScalar.style == .plain {
                diagnostics.report(ConfigError(location: keyLocation, path: path, message: YAMLLoader.mergeMessage))
                continue
            }
            if let first = firstLine[key] {
                diagnostics.report(ConfigError(location: keyLocation, path: childPath,
                                               message: "duplicate key \"\(key)\" (first defined at line \(first))"))
                continue
            }
            firstLine[key] = keyScalar.mark?.line ?? 0
            entries.append(ConfigNode.Entry(key: key, keyLocation: keyLocation,
                                            value: convert(value, path: childPath, depth: depth + 1)))
        }
        return entries
    }

    /// Plain `null`, `~` or empty is null; quoted, literal and folded scalars are strings
    /// (`quoted: true`); an explicit `!!str` makes a plain scalar a string too.
    private func scalarKind(_ scalar: Node.Scalar, path: String) -> ConfigNode.Kind {
        let plain = scalar.style == .plain || scalar.style == .any
        let tag = scalar.tag.rawValue
        let str = Tag.Name.str.rawValue
        if plain {
            if tag == str { return .scalar(text: scalar.string, quoted: true) }
            checkTag(scalar.tag, location(scalar.mark), path)
            switch scalar.string {
            case "", "~", "null", "Null", "NULL": return .null
            default: return .scalar(text: scalar.string, quoted: false)
            }
        }
        if tag != str { checkTag(scalar.tag, location(scalar.mark), path) }
        return .scalar(text: scalar.string, quoted: true)
    }

    private func checkTag(_ tag: Tag, _ here: SourceLocation?, _ path: String) {
        let name = tag.rawValue
        guard !name.isEmpty else { return }
        let prefix = "tag:yaml.org,2002:"
        let shown = name.hasPrefix(prefix) ? "!!" + name.dropFirst(prefix.count) : name
        diagnostics.report(ConfigError(location: here, path: path,
                                       message: "YAML tags such as \"\(shown)\" are not supported in nnrun configs; remove the tag"))
    }

    private func checkDepth(_ depth: Int, _ here: SourceLocation?, _ path: String) -> Bool {
        guard depth > maxDepth else { return true }
        if !depthReported {
            depthReported = true
            diagnostics.report(ConfigError(location: here, path: YAMLLoader.oneLine(path, limit: 60), message: YAMLLoader.depthMessage))
        }
        return false
    }
}
