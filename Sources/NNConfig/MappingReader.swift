/// Reads one mapping of a configuration key by key, the way every hand-written config decoder in
/// nnrun does: each accessor fills in the default when the key is absent, records an error (and
/// returns the default) when the value is wrong, and `finish()` rejects every key nobody asked for
/// with a "did you mean". Nothing throws until `Diagnostics.throwIfAny()`, so one pass finds all
/// errors.
///
/// Scalar rules (stricter than YAML 1.1, on purpose): whole numbers are plain decimal (`010` and
/// `1_000` are errors, not 8 and 1000); reals are decimal or exponent form and finite; booleans are
/// `true`/`false`; a quoted scalar is a string, never a number.
public final class MappingReader {
    public let node: ConfigNode
    public let path: String
    public let diagnostics: Diagnostics
    private var asked: [String] = []

    /// Returns nil (after reporting) when `node` is not a mapping. A null node reads as empty.
    public init?(_ node: ConfigNode, path: String, diagnostics: Diagnostics) {
        self.path = path
        self.diagnostics = diagnostics
        switch node.kind {
        case .mapping: self.node = node
        case .null: self.node = ConfigNode(.mapping([]), location: node.location)
        default:
            diagnostics.report(node, path, "received \(node.brief), expected a mapping of keys to values")
            return nil
        }
    }

    public func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw node under `key`, marking the key as known. A `null` value counts as absent.
    public func value(_ key: String) -> ConfigNode? {
        asked.append(key)
        guard let v = node[key] else { return nil }
        if case .null = v.kind { return nil }
        return v
    }

    public func has(_ key: String) -> Bool { node[key] != nil }

    /// Marks keys as known without reading them (read elsewhere).
    public func allow(_ keys: String...) { asked.append(contentsOf: keys) }

    /// Reports every key that no accessor asked for.
    public func finish() {
        for entry in node.entries ?? [] where !asked.contains(entry.key) {
            let known = Array(Set(asked)).sorted()
            let expected = known.isEmpty ? "no keys here" : "one of: \(known.joined(separator: ", "))"
            diagnostics.report(ConfigError(
                location: entry.keyLocation ?? entry.value.location, path: childPath(entry.key),
                message: "unknown key \"\(entry.key)\"; expected \(expected)",
                suggestion: didYouMean(entry.key, among: known)))
        }
    }

    public func report(_ key: String, _ message: String, suggestion: String? = nil) {
        diagnostics.report(node[key] ?? node, childPath(key), message, suggestion: suggestion)
    }

    // MARK: Typed accessors

    /// A whole number in `range`; `nil` default makes the key required.
    public func int(_ key: String, default def: Int? = nil, in range: ClosedRange<Int> = Int.min...Int.max) -> Int {
        guard let v = value(key) else { return missing(key, def, 0) }
        guard let i = ConfigScalar.int(v) else {
            return bad(v, key, "a whole number\(describe(range))", def ?? 0)
        }
        guard range.contains(i) else { return bad(v, key, "a whole number\(describe(range))", def ?? 0) }
        return i
    }

    public func optionalInt(_ key: String, in range: ClosedRange<Int> = Int.min...Int.max) -> Int? {
        has(key) && value(key) != nil ? int(key, in: range) : { asked.append(key); return nil }()
    }

    /// A finite real number in `range` (`min` excluded when `exclusiveMin`).
    public func double(_ key: String, default def: Double? = nil, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude, exclusiveMin: Bool = false, exclusiveMax: Bool = false) -> Double {
        guard let v = value(key) else { return missing(key, def, 0) }
        let expected = "a number" + describe(range, exclusiveMin: exclusiveMin, exclusiveMax: exclusiveMax)
        guard let d = ConfigScalar.double(v) else { return bad(v, key, expected, def ?? 0) }
        guard range.contains(d), !(exclusiveMin && d == range.lowerBound), !(exclusiveMax && d == range.upperBound) else {
            return bad(v, key, expected, def ?? 0)
        }
        return d
    }

    public func bool(_ key: String, default def: Bool? = nil) -> Bool {
        guard let v = value(key) else { return missing(key, def, false) }
        guard let b = ConfigScalar.bool(v) else { return bad(v, key, "true or false", def ?? false) }
        return b
    }

    public func string(_ key: String, default def: String? = nil) -> String {
        guard let v = value(key) else { return missing(key, def, "") }
        guard case .scalar(let t, _) = v.kind else { return bad(v, key, "a string", def ?? "") }
        return t
    }

    /// One of `choices`, with "did you mean" for near misses.
    public func choice(_ key: String, _ choices: [String], default def: String? = nil) -> String {
        guard let v = value(key) else { return missing(key, def, choices[0]) }
        guard case .scalar(let t, _) = v.kind, choices.contains(t) else {
            diagnostics.report(v, childPath(key), "received \(v.brief), expected one of: \(choices.joined(separator: ", "))",
                               suggestion: v.scalarText.flatMap { didYouMean($0, among: choices) })
            return def ?? choices[0]
        }
        return t
    }

    /// A list of whole numbers, each in `range` (shapes, class filters).
    public func intList(_ key: String, default def: [Int]? = nil, in range: ClosedRange<Int> = Int.min...Int.max) -> [Int] {
        guard let v = value(key) else { return missing(key, def, []) }
        guard let items = v.items else { return bad(v, key, "a list of whole numbers", def ?? []) }
        var out: [Int] = []
        for (i, item) in items.enumerated() {
            if let n = ConfigScalar.int(item), range.contains(n) {
                out.append(n)
            } else {
                diagnostics.report(item, "\(childPath(key))[\(i)]", "received \(item.brief), expected a whole number\(describe(range))")
            }
        }
        return out
    }

    /// A nested mapping; nil when absent (or wrong, after reporting).
    public func mapping(_ key: String) -> MappingReader? {
        guard let v = value(key) else { return nil }
        return MappingReader(v, path: childPath(key), diagnostics: diagnostics)
    }

    /// A nested list; nil when absent (or wrong, after reporting).
    public func list(_ key: String) -> [ConfigNode]? {
        guard let v = value(key) else { return nil }
        guard let items = v.items else {
            diagnostics.report(v, childPath(key), "received \(v.brief), expected a list")
            return nil
        }
        return items
    }

    // MARK: Helpers

    private func missing<T>(_ key: String, _ def: T?, _ placeholder: T) -> T {
        if let def { return def }
        if let present = node[key] {
            diagnostics.report(present, childPath(key), "received null, but \"\(key)\" is required")
            return placeholder
        }
        diagnostics.report(node, childPath(key), "missing required key \"\(key)\"")
        return placeholder
    }

    private func bad<T>(_ v: ConfigNode, _ key: String, _ expected: String, _ fallback: T) -> T {
        diagnostics.report(v, childPath(key), "received \(v.brief), expected \(expected)")
        return fallback
    }

    private func describe(_ r: ClosedRange<Int>) -> String {
        switch (r.lowerBound, r.upperBound) {
        case (Int.min, Int.max): return ""
        case (let lo, Int.max): return " >= \(lo)"
        case (Int.min, let hi): return " <= \(hi)"
        case (let lo, let hi): return " from \(lo) to \(hi)"
        }
    }

    private func describe(_ r: ClosedRange<Double>, exclusiveMin: Bool, exclusiveMax: Bool) -> String {
        let big = Double.greatestFiniteMagnitude
        let lo = ConfigNode.formatNumber(r.lowerBound).replacingSuffix(".0")
        let hi = ConfigNode.formatNumber(r.upperBound).replacingSuffix(".0")
        let lower = (exclusiveMin ? "> " : ">= ") + lo, upper = (exclusiveMax ? "< " : "<= ") + hi
        switch (r.lowerBound == -big, r.upperBound == big) {
        case (true, true): return ""
        case (false, true): return " " + lower
        case (true, false): return " " + upper
        case (false, false): return exclusiveMin || exclusiveMax ? " \(lower) and \(upper)" : " from \(lo) to \(hi)"
        }
    }
}

extension String {
    func replacingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

/// Strict scalar parsing shared by all config readers.
public enum ConfigScalar {
    public static func int(_ node: ConfigNode) -> Int? {
        guard case .scalar(let t, false) = node.kind else { return nil }
        var digits = Substring(t)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit),
              digits == "0" || digits.first != "0" else { return nil }
        return Int(t)
    }

    public static func double(_ node: ConfigNode) -> Double? {
        guard case .scalar(let t, false) = node.kind else { return nil }
        let allowed = Set("0123456789+-.eE")
        guard !t.isEmpty, t.allSatisfy({ allowed.contains($0) }), t.contains(where: \.isASCIIDigit),
              let d = Double(t), d.isFinite else { return nil }
        return d
    }

    public static func bool(_ node: ConfigNode) -> Bool? {
        guard case .scalar(let t, false) = node.kind else { return nil }
        switch t {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
