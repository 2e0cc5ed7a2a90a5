import Foundation

/// Agreement between two labellings of the same samples (true classes and found clusters), as
/// `sklearn.metrics` computes them. Label values are arbitrary integers; only equality matters.
public enum ClusterScores {
    /// The contingency table: `table[a][b]` = samples with class a and cluster b, over the
    /// distinct values of each labelling in ascending order.
    static func contingency(_ truth: [Int], _ predicted: [Int]) -> [[Double]] {
        precondition(truth.count == predicted.count, "labellings of different lengths")
        let classes = Array(Set(truth)).sorted(), clusters = Array(Set(predicted)).sorted()
        let ci = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let ki = Dictionary(uniqueKeysWithValues: clusters.enumerated().map { ($1, $0) })
        var table = [[Double]](repeating: [Double](repeating: 0, count: clusters.count), count: classes.count)
        for (t, p) in zip(truth, predicted) { table[ci[t]!][ki[p]!] += 1 }
        return table
    }

    /// Adjusted Rand index (Hubert and Arabie, "Comparing partitions", J. Classification 1985):
    /// the Rand index corrected for chance, 1 for identical partitions, about 0 for random ones.
    /// Computed from the pair confusion matrix as `sklearn.metrics.adjusted_rand_score`.
    public static func adjustedRandIndex(_ truth: [Int], _ predicted: [Int]) -> Double {
        let table = contingency(truth, predicted)
        let n = Double(truth.count)
        let rowSums = table.map { $0.reduce(0, +) }
        let colSums = table.isEmpty ? [] : (0..<table[0].count).map { j in table.reduce(0) { $0 + $1[j] } }
        let sumSquares = table.reduce(0) { $0 + $1.reduce(0) { $0 + $1 * $1 } }
        let tp = sumSquares - n
        let fp = colSums.reduce(0) { $0 + $1 * $1 } - sumSquares
        let fn = rowSums.reduce(0) { $0 + $1 * $1 } - sumSquares
        let tn = n * n - fp - fn - sumSquares
        if fn == 0 && fp == 0 { return 1 }
        return 2 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))
    }

    /// Normalised mutual information with the arithmetic mean of the two entropies
    /// (`sklearn.metrics.normalized_mutual_info_score`, its default): I(T; P) / ((H(T) + H(P)) / 2),
    /// natural logarithms. 1 when both labellings have a single value.
    public static func normalizedMutualInformation(_ truth: [Int], _ predicted: [Int]) -> Double {
        let table = contingency(truth, predicted)
        let classes = table.count, clusters = table.first?.count ?? 0
        if (classes == 1 && clusters == 1) || (classes == 0 && clusters == 0) { return 1 }
        let n = Double(truth.count)
        let rowSums = table.map { $0.reduce(0, +) }
        let colSums = (0..<clusters).map { j in table.reduce(0) { $0 + $1[j] } }
        var mi = 0.0
        for a in 0..<classes {
            for b in 0..<clusters where table[a][b] > 0 {
                let nab = table[a][b]
                mi += nab / n * (log(nab * n) - log(rowSums[a] * colSums[b]))
            }
        }
        mi = max(mi, 0)
        if mi == 0 { return 0 }
        func entropy(_ counts: [Double]) -> Double { -counts.reduce(0) { $1 > 0 ? $0 + $1 / n * log($1 / n) : $0 } }
        let normalizer = (entropy(rowSums) + entropy(colSums)) / 2
        return mi / max(normalizer, .ulpOfOne)
    }

    /// Purity: the fraction of samples whose cluster's most common class is their own class.
    public static func purity(_ truth: [Int], _ predicted: [Int]) -> Double {
        let table = contingency(truth, predicted)
        guard let clusters = table.first?.count, !truth.isEmpty else { return 0 }
        let hits = (0..<clusters).reduce(0.0) { sum, b in sum + table.map { $0[b] }.max()! }
        return hits / Double(truth.count)
    }
}
