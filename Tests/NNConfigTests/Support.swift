import NNConfig

/// Builders for small located `ConfigNode` trees (NNConfigTests has no YAML parser).
enum N {
    static let file = "t.yaml"

    static func at(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(file: file, line: line, column: column) }

    /// A plain (unquoted) scalar.
    static func s(_ text: String, _ line: Int = 1, _ column: Int = 1) -> ConfigNode {
        ConfigNode(.scalar(text: text, quoted: false), location: at(line, column))
    }

    /// A quoted scalar.
    static func q(_ text: String, _ line: Int = 1, _ column: Int = 1) -> ConfigNode {
        ConfigNode(.scalar(text: text, quoted: true), location: at(line, column))
    }

    static func null(_ line: Int = 1, _ column: Int = 1) -> ConfigNode { ConfigNode(.null, location: at(line, column)) }

    static func list(_ items: [ConfigNode], _ line: Int = 1, _ column: Int = 1) -> ConfigNode {
        ConfigNode(.sequence(items), location: at(line, column))
    }

    /// A mapping; each key sits at the value's line, column 1.
    static func map(_ pairs: [(String, ConfigNode)], _ line: Int = 1, _ column: Int = 1) -> ConfigNode {
        ConfigNode(.mapping(pairs.map {
            ConfigNode.Entry(key: $0.0, keyLocation: $0.1.location.map { at($0.line, 1) }, value: $0.1)
        }), location: at(line, column))
    }

    /// `{key: value}` read by a fresh MappingReader.
    static func reader(_ pairs: [(String, ConfigNode)], path: String = "training") -> (MappingReader, Diagnostics) {
        let d = Diagnostics()
        let r = MappingReader(map(pairs), path: path, diagnostics: d)!
        return (r, d)
    }
}

extension Diagnostics {
    /// Every recorded error as its one-line text, in report order.
    var lines: [String] { errors.map(\.description) }
}
