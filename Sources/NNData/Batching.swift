import NNTensor

/// The order in which epoch `epoch` visits `count` training samples: a pure function of
/// (seed, epoch), so a resumed run replays exactly the order an uninterrupted run would have used.
///
/// With `shuffle`, a Fisher-Yates permutation drawn from `RNG(seed: seed, stream: "shuffle",
/// index: epoch)`; without it, `0..<count`. Epoch numbers are taken as given (0-based or 1-based is
/// the caller's convention; keep it fixed).
public func epochOrder(count: Int, seed: UInt64, epoch: Int, shuffle: Bool) -> [Int] {
    guard count > 0 else { return [] }
    guard shuffle else { return Array(0..<count) }
    var rng = RNG(seed: seed, stream: "shuffle", index: UInt64(bitPattern: Int64(epoch)))
    return rng.permutation(count)
}

/// Consecutive index ranges covering `0..<count` in batches of `batchSize`; the last batch holds
/// the remainder (`count % batchSize` samples) when it is not zero. Yields `ceil(count / batchSize)`
/// ranges. A `batchSize` below 1 is treated as one batch of everything (`batch_size: full` is the
/// caller's to translate into `count`).
///
///     batchRanges(count: 10, batchSize: 4) == [0..<4, 4..<8, 8..<10]
public func batchRanges(count: Int, batchSize: Int) -> [Range<Int>] {
    guard count > 0 else { return [] }
    let size = batchSize >= 1 ? batchSize : count
    return stride(from: 0, to: count, by: size).map { $0 ..< min($0 + size, count) }
}

extension Dataset {
    /// The features and labels of `rows` (a slice of an epoch order), ready for one batch:
    /// `features` is `rows.count x featureCount`, row-major.
    public func batch<Rows: Collection>(_ rows: Rows) -> (features: [Float], labels: [Int]) where Rows.Element == Int {
        let s = subset(rows)
        return (s.features, s.labels)
    }
}
