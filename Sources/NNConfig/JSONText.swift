extension ConfigNode {
    /// Deterministic JSON text of the tree (keys in stored order, two-space indent). Plain scalars
    /// that are numbers or booleans are written bare, everything else as JSON strings, so the
    /// output reads back through the YAML loader into an equal tree.
    public func jsonText(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent)
        let inner = String(repeating: "  ", count: indent + 1)
        switch kind {
        case .null:
            return "null"
        case .scalar(let t, let quoted):
            if !quoted, t == "true" || t == "false" || ConfigNode.isJSONNumber(t) { return t }
            return ConfigNode.jsonString(t)
        case .sequence(let items):
            if items.isEmpty { return "[]" }
            if items.allSatisfy({ $0.scalarText != nil || $0.kind == .null }) {
                return "[" + items.map { $0.jsonText() }.joined(separator: ", ") + "]"
            }
            return "[\n" + items.map { inner + $0.jsonText(indent: indent + 1) }.joined(separator: ",\n") + "\n\(pad)]"
        case .mapping(let entries):
            if entries.isEmpty { return "{}" }
            return "{\n" + entries.map {
                inner + ConfigNode.jsonString($0.key) + ": " + $0.value.jsonText(indent: indent + 1)
            }.joined(separator: ",\n") + "\n\(pad)}"
        }
    }

    /// True when `t` is a number in JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    static func isJSONNumber(_ t: String) -> Bool {
        var c = Array(t.utf8)[...]
        func digits() -> Int {
            let n = c.prefix { $0 >= 48 && $0 <= 57 }.count
            c = c.dropFirst(n)
            return n
        }
        if c.first == UInt8(ascii: "-") { c = c.dropFirst() }
        if c.first == UInt8(ascii: "0") { c = c.dropFirst() } else if digits() == 0 { return false }
        if c.first == UInt8(ascii: ".") { c = c.dropFirst(); if digits() == 0 { return false } }
        if c.first == UInt8(ascii: "e") || c.first == UInt8(ascii: "E") {
            c = c.dropFirst()
            if c.first == UInt8(ascii: "+") || c.first == UInt8(ascii: "-") { c = c.dropFirst() }
            if digits() == 0 { return false }
        }
        return c.isEmpty
    }

    /// `s` as a JSON string literal.
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// The tree without source positions (for comparing a tree with its round trip).
    public var withoutLocations: ConfigNode {
        switch kind {
        case .scalar, .null: return ConfigNode(kind)
        case .sequence(let items): return ConfigNode(.sequence(items.map(\.withoutLocations)))
        case .mapping(let e):
            return ConfigNode(.mapping(e.map { Entry(key: $0.key, value: $0.value.withoutLocations) }))
        }
    }
}
