/// One problem in a configuration, printed on one line:
///
///     configs/mlp.yaml:14:15: training.epochs: received "ten", expected a whole number >= 1
///     configs/mlp.yaml:9:5: model.layers[2]: unknown layer type "dropot" (did you mean "dropout"?)
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation?
    /// Dotted key path from the document root, e.g. `model.layers[1].dense.units`.
    public var path: String
    public var message: String
    public var suggestion: String?

    public init(location: SourceLocation?, path: String, message: String, suggestion: String? = nil) {
        self.location = location
        self.path = path
        self.message = message
        self.suggestion = suggestion
    }

    public var description: String {
        var s = ""
        if let location { s += "\(location): " }
        if !path.isEmpty { s += "\(path): " }
        s += message
        if let suggestion { s += " (did you mean \"\(suggestion)\"?)" }
        return s
    }
}

/// All the errors found in one pass over a configuration (DESIGN.md: "all errors of a file come in
/// one pass"). Thrown when at least one was recorded.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) { self.errors = errors }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Collects errors while a configuration is decoded, so that decoding can go on after the first
/// problem and report all of them at once.
public final class Diagnostics: @unchecked Sendable {
    public private(set) var errors: [ConfigError] = []

    public init() {}

    public func report(_ error: ConfigError) {
        errors.append(error)
    }

    public func report(_ node: ConfigNode?, _ path: String, _ message: String, suggestion: String? = nil) {
        report(ConfigError(location: node?.location, path: path, message: message, suggestion: suggestion))
    }

    public var isEmpty: Bool { errors.isEmpty }

    /// Throws `ConfigErrors` (sorted by position) when anything was reported.
    public func throwIfAny() throws {
        guard !errors.isEmpty else { return }
        let sorted = errors.enumerated().sorted { a, b in
            let la = a.element.location, lb = b.element.location
            if la?.file != lb?.file { return a.offset < b.offset }
            let ka = (la?.line ?? 0, la?.column ?? 0), kb = (lb?.line ?? 0, lb?.column ?? 0)
            return ka != kb ? ka < kb : a.offset < b.offset
        }.map(\.element)
        throw ConfigErrors(sorted)
    }
}

/// The closest candidate to `word` by edit distance, if it is close enough to be a likely typo.
public func didYouMean(_ word: String, among candidates: [String]) -> String? {
    let w = Array(word.lowercased())
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(w, Array(c.lowercased()))
        if d < (best?.1 ?? Int.max) { best = (c, d) }
    }
    guard let (candidate, distance) = best else { return nil }
    let limit = max(2, min(w.count, candidate.count) / 3)
    return distance <= limit && candidate != word ? candidate : nil
}

/// Levenshtein distance with transpositions counted as one edit (optimal string alignment).
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev2 = [Int](repeating: 0, count: b.count + 1)
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                cur[j] = min(cur[j], prev2[j - 2] + 1)
            }
        }
        (prev2, prev, cur) = (prev, cur, prev2)
    }
    return prev[b.count]
}
