/// A compact chart of loss per epoch for the terminal, printed at the end of a fit: one row of
/// Unicode block characters (▁▂▃▄▅▆▇█, eight levels) per series, scaled together so the rows
/// compare, with the first, last and best values beside them. Colour (ANSI: training blue,
/// validation red) only when `color` is true; callers pass `TerminalChart.colorAllowed(...)`, which
/// honours NO_COLOR (https://no-color.org). Longer histories are averaged into `width` columns.
///
///     loss      █▆▄▃▂▂▁▁▁▁  2.301 → 0.112 (best 0.112, epoch 10)
///     val_loss  █▆▄▃▃▃▃▄▄▅  2.298 → 0.402 (best 0.281, epoch 6)
public enum TerminalChart {
    static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// False when NO_COLOR is set (to anything non-empty) or TERM is `dumb`.
    public static func colorAllowed(environment: [String: String]) -> Bool {
        !(environment["NO_COLOR"].map { !$0.isEmpty } ?? false) && environment["TERM"] != "dumb"
    }

    /// The chart rows for (name, values) series, e.g. [("loss", ...), ("val_loss", ...)].
    public static func render(_ series: [(String, [Double])], width: Int = 40, color: Bool = false) -> String {
        let columns = series.map { (name: $0.0, values: resample($0.1, width: max(1, width))) }
        let finite = columns.flatMap(\.values).filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return "" }
        let nameWidth = series.map(\.0.count).max() ?? 0
        var lines: [String] = []
        for (k, (name, original)) in series.enumerated() {
            let bars = String(columns[k].values.map { v -> Character in
                guard v.isFinite else { return " " }
                let scaled = ((v - lo) / (hi - lo) * 7).rounded()
                let level = hi > lo && scaled.isFinite ? Int(scaled) : 3
                return blocks[min(7, max(0, level))]
            })
            let colored = color ? "\u{1B}[\(k == 0 ? 34 : 31)m\(bars)\u{1B}[0m" : bars
            let finiteValues = original.enumerated().filter { $0.element.isFinite }
            var summary = ""
            if let first = original.first, let last = original.last,
               let best = finiteValues.min(by: { $0.element < $1.element }) {
                summary = "  \(fmt(first)) → \(fmt(last)) (best \(fmt(best.element)), epoch \(best.offset + 1))"
            }
            lines.append(name.padding(toLength: nameWidth + 2) + colored + summary)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Means of `width` consecutive groups when there are more values than columns.
    static func resample(_ v: [Double], width: Int) -> [Double] {
        guard v.count > width else { return v }
        return (0..<width).map { c in
            let a = c * v.count / width, b = max(a + 1, (c + 1) * v.count / width)
            return v[a..<b].reduce(0, +) / Double(b - a)
        }
    }

    static func fmt(_ v: Double) -> String { formatFixed(v, decimals: abs(v) >= 100 ? 1 : 4) }
}

extension String {
    func padding(toLength n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
