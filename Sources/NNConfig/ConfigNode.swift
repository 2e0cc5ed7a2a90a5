/// Where a value came from: a file position (1-based line and column), or a command-line override.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, or just the file name when the position is unknown (line 0).
    public var description: String {
        line > 0 ? "\(file):\(line):\(column)" : file
    }
}

/// A parsed configuration value with its source position: the neutral tree that every config
/// decoder in nnrun reads. YAML files, JSON files (`model.json`) and `--set` overrides all become
/// `ConfigNode`s, so a layer's decoder never depends on the file format (only NNModel imports Yams).
///
/// Scalars keep their source text; the decoder that reads a key decides its type, so `units: 010`
/// can be rejected instead of silently becoming 8 (YAML 1.1 octal), and `"1e-3"` (quoted) stays a
/// string.
public struct ConfigNode: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `text` is the scalar's source text; `quoted` is true for '...' and "..." scalars.
        case scalar(text: String, quoted: Bool)
        case null
        indirect case sequence([ConfigNode])
        /// Entries keep file order; `keyLocation` points at the key, the node at the value.
        indirect case mapping([Entry])
    }

    public struct Entry: Sendable, Equatable {
        public var key: String
        public var keyLocation: SourceLocation?
        public var value: ConfigNode

        public init(key: String, keyLocation: SourceLocation? = nil, value: ConfigNode) {
            self.key = key
            self.keyLocation = keyLocation
            self.value = value
        }
    }

    public var kind: Kind
    public var location: SourceLocation?

    public init(_ kind: Kind, location: SourceLocation? = nil) {
        self.kind = kind
        self.location = location
    }

    // MARK: Building nodes from Swift values (for the resolved config written to model.json)

    public static func string(_ s: String) -> ConfigNode { ConfigNode(.scalar(text: s, quoted: true)) }
    public static func int(_ i: Int) -> ConfigNode { ConfigNode(.scalar(text: String(i), quoted: false)) }
    public static func bool(_ b: Bool) -> ConfigNode { ConfigNode(.scalar(text: b ? "true" : "false", quoted: false)) }
    public static func double(_ d: Double) -> ConfigNode { ConfigNode(.scalar(text: formatNumber(d), quoted: false)) }
    public static var null: ConfigNode { ConfigNode(.null) }
    public static func list(_ items: [ConfigNode]) -> ConfigNode { ConfigNode(.sequence(items)) }
    public static func map(_ pairs: [(String, ConfigNode)]) -> ConfigNode {
        ConfigNode(.mapping(pairs.map { Entry(key: $0.0, value: $0.1) }))
    }
    public static func ints(_ xs: [Int]) -> ConfigNode { .list(xs.map { .int($0) }) }
    public static func strings(_ xs: [String]) -> ConfigNode { .list(xs.map { .string($0) }) }

    /// Shortest text that reads back as the same Double (`0.001`, `1e-07`, `42.0`).
    public static func formatNumber(_ d: Double) -> String {
        d.isFinite ? "\(d)" : (d.isNaN ? ".nan" : (d > 0 ? ".inf" : "-.inf"))
    }

    // MARK: Access

    public var entries: [Entry]? {
        if case .mapping(let e) = kind { return e }
        return nil
    }

    public var items: [ConfigNode]? {
        if case .sequence(let s) = kind { return s }
        return nil
    }

    public var scalarText: String? {
        if case .scalar(let t, _) = kind { return t }
        return nil
    }

    /// The value stored under `key` in a mapping node.
    public subscript(key: String) -> ConfigNode? {
        entries?.first { $0.key == key }?.value
    }

    /// A short human form of the value, for "received ..." in error messages.
    public var brief: String {
        switch kind {
        case .scalar(let t, let quoted):
            let shown = t.count > 40 ? String(t.prefix(37)) + "..." : t
            return quoted ? "\"\(shown)\"" : shown
        case .null: return "null"
        case .sequence(let s): return "a list of \(s.count)"
        case .mapping(let e):
            let keys = e.prefix(3).map(\.key).joined(separator: ", ")
            return "a mapping {\(keys)\(e.count > 3 ? ", ..." : "")}"
        }
    }

    /// Returns a copy with `value` stored at `key` (replacing, or appending at the end).
    public func setting(_ key: String, to value: ConfigNode) -> ConfigNode {
        var e = entries ?? []
        if let i = e.firstIndex(where: { $0.key == key }) {
            e[i].value = value
        } else {
            e.append(Entry(key: key, value: value))
        }
        return ConfigNode(.mapping(e), location: location)
    }
}

extension ConfigNode {
    /// A copy whose nodes take their source positions from the nodes at the same key path in
    /// `original` (where there is one). A resolved tree, re-encoded from decoded values, thus still
    /// points errors at the lines of the file it came from; defaults the file did not write keep
    /// their parent's position.
    public func borrowingLocations(from original: ConfigNode?) -> ConfigNode {
        var copy = self
        copy.location = original?.location ?? location
        switch kind {
        case .scalar, .null:
            break
        case .sequence(let items):
            let originals = original?.items ?? []
            copy.kind = .sequence(items.enumerated().map { i, item in
                item.borrowingLocations(from: i < originals.count ? originals[i] : nil).inheritingLocation(copy.location)
            })
        case .mapping(let entries):
            copy.kind = .mapping(entries.map { entry in
                let source = original?.entries?.first { $0.key == entry.key }
                return Entry(key: entry.key, keyLocation: source?.keyLocation ?? entry.keyLocation,
                             value: entry.value.borrowingLocations(from: source?.value).inheritingLocation(copy.location))
            })
        }
        return copy
    }

    private func inheritingLocation(_ parent: SourceLocation?) -> ConfigNode {
        var copy = self
        if copy.location == nil { copy.location = parent }
        return copy
    }
}
