/// What `report.html` shows; the trainer fills it at the end of a fit. Plain values only, so this
/// target needs nothing from training.
public struct RunReport: Sendable {
    public var title: String
    /// Key facts as (label, value) rows: seed, epochs run, test accuracy, ...
    public var facts: [(String, String)]
    public var history: RunHistory
    /// The model summary table, as printed (monospace).
    public var summary: String
    /// The resolved configuration as JSON text.
    public var configJSON: String
    /// confusion[true][predicted] counts on the test split, and the class names in index order.
    public var confusion: [[Int]]
    public var labels: [String]
    /// Misclassified test images, captions `3 → 8` (true → predicted; short enough for a tile).
    public var misclassified: [ImageTile]
    /// An autoencoder's report: test inputs each followed by its reconstruction, shown instead of
    /// the confusion matrix and the misclassified images (nil for a classifier).
    public var reconstructions: [ImageTile]?

    public init(title: String, facts: [(String, String)] = [], history: RunHistory, summary: String, configJSON: String,
                confusion: [[Int]], labels: [String], misclassified: [ImageTile], reconstructions: [ImageTile]? = nil) {
        self.title = title
        self.facts = facts
        self.history = history
        self.summary = summary
        self.configJSON = configJSON
        self.confusion = confusion
        self.labels = labels
        self.misclassified = misclassified
        self.reconstructions = reconstructions
    }

    /// One self-contained page: inline CSS and SVG, no script, no external resource (it opens
    /// offline), written as XHTML-compatible HTML5 so an XML parser reads it too.
    public func html() -> String {
        var s = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        s += "<title>\(SVG.escape(title))</title>\n<style>\n\(Self.css)</style>\n</head>\n<body>\n"
        s += "<h1>\(SVG.escape(title))</h1>\n"
        if !facts.isEmpty {
            s += "<table class=\"facts\">" + facts.map { "<tr><th>\(SVG.escape($0.0))</th><td>\(SVG.escape($0.1))</td></tr>" }.joined()
                + "</table>\n"
        }
        s += "<h2>Learning curves</h2>\n<div class=\"figure\">\(Curves.svg([history]))</div>\n"
        if let reconstructions {
            s += "<h2>Test inputs and their reconstructions (\(reconstructions.count / 2))</h2>\n"
            s += reconstructions.isEmpty ? "<p>Not images.</p>\n" : "<div class=\"figure\">\(ImageGrid.svg(reconstructions, columns: 8))</div>\n"
        } else {
            s += "<h2>Confusion matrix (test)</h2>\n\(confusionTable())\n"
            s += "<h2>Misclassified test images (\(misclassified.count)): true → predicted class</h2>\n"
            s += misclassified.isEmpty ? "<p>None.</p>\n" : "<div class=\"figure\">\(ImageGrid.svg(misclassified, columns: 10))</div>\n"
        }
        s += "<h2>Model</h2>\n<pre>\(SVG.escape(summary))</pre>\n"
        s += "<h2>Resolved configuration</h2>\n<pre>\(SVG.escape(configJSON))</pre>\n"
        return s + "</body>\n</html>\n"
    }

    /// Rows: true class; columns: predicted; each cell shaded by its share of the row, the
    /// diagonal green and the errors red.
    func confusionTable() -> String {
        guard !confusion.isEmpty else { return "<p>No test split.</p>" }
        let names = confusion.indices.map { $0 < labels.count ? labels[$0] : String($0) }
        var s = "<table class=\"confusion\"><tr><th>true \\ predicted</th>" + names.map { "<th>\(SVG.escape($0))</th>" }.joined() + "</tr>"
        for (i, row) in confusion.enumerated() {
            let total = max(1, row.reduce(0, +))
            s += "<tr><th>\(SVG.escape(names[i]))</th>"
            for (j, n) in row.enumerated() {
                let share = Double(n) / Double(total)
                let color = i == j ? "44,160,44" : "214,39,40"
                let style = n == 0 ? "" : " style=\"background: rgba(\(color),\(formatFixed(0.1 + 0.8 * share, decimals: 2)))\""
                s += "<td\(style)>\(n)</td>"
            }
            s += "</tr>"
        }
        return s + "</table>"
    }

    static let css = """
    body { font-family: sans-serif; margin: 24px; color: #222; background: #fff; }
    h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }
    table { border-collapse: collapse; font-size: 13px; }
    th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
    th { background: #f3f3f3; }
    table.facts th { text-align: left; }
    pre { background: #f7f7f7; padding: 10px; font-size: 12px; overflow-x: auto; }
    .figure svg { max-width: 100%; height: auto; }

    """
}
