/// A labelled classification data set held in memory.
///
/// `features` is row-major: sample `i` occupies `features[i * featureCount ..< (i + 1) * featureCount]`,
/// laid out in `featureShape` (per sample, channels-last: `[64]` for a vector, `[8, 8, 1]` for an
/// 8x8 one-channel image; the batch dimension is not part of it). `labels[i]` is a class index into
/// `labelNames`, so `labelNames[labels[i]]` is the name a prediction prints.
public struct Dataset: Sendable, Equatable {
    /// `count * featureCount` values, one sample after another.
    public var features: [Float]
    /// One class index per sample, each in `0..<labelNames.count`.
    public var labels: [Int]
    /// The shape of one sample (NHWC without N). Its product is `featureCount`.
    public var featureShape: [Int]
    /// Class index -> name (`"0"`..`"9"` for digits, `"setosa"`... for iris).
    public var labelNames: [String]

    /// Builds a data set. The caller guarantees `features.count == labels.count * product(featureShape)`
    /// and that every label is a valid index into `labelNames` (checked by assertions in debug builds).
    public init(features: [Float], labels: [Int], featureShape: [Int], labelNames: [String]) {
        self.features = features
        self.labels = labels
        self.featureShape = featureShape
        self.labelNames = labelNames
        assert(features.count == labels.count * featureShape.reduce(1, *), "features do not match labels x shape")
        assert(labels.allSatisfy { (0..<labelNames.count).contains($0) }, "label out of range")
    }

    /// Number of samples.
    public var count: Int { labels.count }

    /// Values per sample: the product of `featureShape`.
    public var featureCount: Int { featureShape.reduce(1, *) }

    /// Number of classes (`labelNames.count`), including classes with no sample here.
    public var classCount: Int { labelNames.count }

    /// The features of sample `i`.
    public func row(_ i: Int) -> ArraySlice<Float> {
        let n = featureCount
        return features[i * n ..< (i + 1) * n]
    }

    /// The samples at `rows`, in that order (a row may repeat). Shape and label names are kept,
    /// so label indices mean the same classes in every subset.
    public func subset<Rows: Collection>(_ rows: Rows) -> Dataset where Rows.Element == Int {
        let n = featureCount
        var f: [Float] = []
        f.reserveCapacity(rows.count * n)
        var l: [Int] = []
        l.reserveCapacity(rows.count)
        features.withUnsafeBufferPointer { src in
            for r in rows {
                f.append(contentsOf: src[r * n ..< (r + 1) * n])
                l.append(labels[r])
            }
        }
        return Dataset(features: f, labels: l, featureShape: featureShape, labelNames: labelNames)
    }

    /// How many samples each class has: `classCounts[c]` = number of `i` with `labels[i] == c`,
    /// one entry per name in `labelNames` (zero for absent classes).
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: labelNames.count)
        for l in labels where l >= 0 && l < counts.count { counts[l] += 1 }
        return counts
    }

    /// The row indices of each class, ascending: `rowsByClass[c]` lists every `i` with `labels[i] == c`.
    public var rowsByClass: [[Int]] {
        var rows = [[Int]](repeating: [], count: labelNames.count)
        for (i, l) in labels.enumerated() where l >= 0 && l < rows.count { rows[l].append(i) }
        return rows
    }

    /// The same samples seen with another per-sample shape of the same size (e.g. `[64]` -> `[8, 8, 1]`).
    /// Returns nil when the products differ.
    public func reshaped(_ shape: [Int]) -> Dataset? {
        guard shape.allSatisfy({ $0 >= 1 }), shape.reduce(1, *) == featureCount else { return nil }
        var d = self
        d.featureShape = shape
        return d
    }
}
