/// Why an unsupervised method refused its input or its options. Each prints as one line; the
/// recipe layer turns the option errors into config errors at the key that caused them.
public enum AnalysisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A NaN or infinite value in the data (0-based row and column).
    case nonFinite(row: Int, column: Int, value: Double)
    /// An option that does not fit the data: `option` is the key (`k`, `perplexity`,
    /// `n_components`), `message` says what was received and what the data allows.
    case option(String, String)

    public var option: String? {
        if case .option(let key, _) = self { return key }
        return nil
    }

    public var description: String {
        switch self {
        case .nonFinite(let row, let column, let value):
            return "the data has \(value.isNaN ? "NaN" : "an infinite value (\(value))") at row \(row + 1), column \(column + 1); remove or impute it first"
        case .option(let key, let message):
            return "\(key): \(message)"
        }
    }
}

/// Numbers in messages as a config would write them: `150`, not `150.0`.
enum ConfigNumber {
    static func text(_ v: Double) -> String {
        v.rounded() == v && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }
}
