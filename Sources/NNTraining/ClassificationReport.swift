import Foundation

/// Per-class precision, recall, F1 and support, and the confusion matrix, as scikit-learn's
/// `classification_report` and `confusion_matrix` define them:
/// precision_c = TP_c / (TP_c + FP_c), recall_c = TP_c / (TP_c + FN_c), F1 = 2PR / (P + R),
/// each 0 when its denominator is 0; `confusion[t][p]` counts samples of true class t predicted p.
public struct ClassificationReport: Equatable, Sendable {
    public let labels: [String]
    public let confusion: [[Int]]

    public init(labels: [String], truth: [Int], predicted: [Int]) {
        self.labels = labels
        var m = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
        for (t, p) in zip(truth, predicted) where labels.indices.contains(t) && labels.indices.contains(p) { m[t][p] += 1 }
        confusion = m
    }

    public func support(_ c: Int) -> Int { confusion[c].reduce(0, +) }
    public func precision(_ c: Int) -> Double { ratio(confusion[c][c], confusion.reduce(0) { $0 + $1[c] }) }
    public func recall(_ c: Int) -> Double { ratio(confusion[c][c], support(c)) }
    public func f1(_ c: Int) -> Double {
        let p = precision(c), r = recall(c)
        return p + r > 0 ? 2 * p * r / (p + r) : 0
    }
    public var accuracy: Double {
        ratio(labels.indices.reduce(0) { $0 + confusion[$1][$1] }, confusion.reduce(0) { $0 + $1.reduce(0, +) })
    }

    private func ratio(_ a: Int, _ b: Int) -> Double { b > 0 ? Double(a) / Double(b) : 0 }

    /// The per-class table, then the confusion matrix (rows: true class, columns: predicted).
    public var text: String {
        let nameWidth = max(labels.map(\.count).max() ?? 1, 5)
        func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(w - s.count, 0)) + s }
        var lines = [pad("class", nameWidth) + "  precision     recall   f1-score    support"]
        for c in labels.indices {
            lines.append(pad(labels[c], nameWidth) + [precision(c), recall(c), f1(c)].map { pad(String(format: "%.4f", $0), 11) }.joined()
                         + pad(String(support(c)), 11))
        }
        let cell = max(confusion.flatMap { $0 }.map { String($0).count }.max() ?? 1, labels.map(\.count).max() ?? 1) + 1
        lines.append("")
        lines.append("Confusion matrix (rows: true class, columns: predicted class):")
        lines.append(pad("", nameWidth) + labels.map { pad($0, cell) }.joined())
        for c in labels.indices {
            lines.append(pad(labels[c], nameWidth) + confusion[c].map { pad(String($0), cell) }.joined())
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
