import NNTensor

/// A data set split three ways, with the row numbers (indices into the full, filtered data set)
/// that went where, for `split.json`.
public struct DataSplits: Sendable, Equatable {
    public var train: Dataset
    public var validation: Dataset
    public var test: Dataset
    /// Ascending row indices of each split; together they are `0..<n`, each row exactly once.
    public var trainRows: [Int]
    public var validationRows: [Int]
    public var testRows: [Int]

    public init(train: Dataset, validation: Dataset, test: Dataset,
                trainRows: [Int], validationRows: [Int], testRows: [Int]) {
        self.train = train
        self.validation = validation
        self.test = test
        self.trainRows = trainRows
        self.validationRows = validationRows
        self.testRows = testRows
    }

    /// The splits of `dataset` given by row lists (from `splitRows`, or read back from `split.json`).
    public init(dataset: Dataset, trainRows: [Int], validationRows: [Int], testRows: [Int]) {
        self.init(train: dataset.subset(trainRows), validation: dataset.subset(validationRows),
                  test: dataset.subset(testRows),
                  trainRows: trainRows, validationRows: validationRows, testRows: testRows)
    }
}

/// The course's nested split, as scikit-learn's `train_test_split` does it twice:
///
/// 1. `n_test = ceil(test * n)` rows go to test;
/// 2. of the `r = n - n_test` remaining rows, `n_val = ceil(validation * r)` go to validation;
/// 3. the rest is train.
///
/// With `stratify`, the counts are shared among classes by `allocate` (largest remainder), so each
/// class is split in the same proportion (within one row). With `shuffle`, the rows of each class
/// (or all rows, unstratified) are permuted by `RNG(seed: seed, stream: "split")`; the last rows of
/// that order go to test, the ones before them to validation. Without `shuffle` that means the last
/// rows of the file are the test set, as in Keras' `validation_split`.
///
/// On digits (1797 rows) with test 0.4 and validation 0.2 this gives 862 / 216 / 719 rows.
public func splitRows(labels: [Int], classCount: Int, split: DataConfig.Split, seed: UInt64)
    -> (train: [Int], validation: [Int], test: [Int])
{
    let n = labels.count
    let nTest = min(n, Int((split.test * Double(n)).rounded(.up)))
    let nValidation = min(n - nTest, Int((split.validation * Double(n - nTest)).rounded(.up)))
    var rng = RNG(seed: seed, stream: "split")
    var train: [Int] = [], validation: [Int] = [], test: [Int] = []

    /// Puts the last `t` rows of `order` into test, the `v` before them into validation, the rest into train.
    func deal(_ order: [Int], test t: Int, validation v: Int) {
        let m = order.count
        train.append(contentsOf: order[0 ..< m - t - v])
        validation.append(contentsOf: order[m - t - v ..< m - t])
        test.append(contentsOf: order[m - t ..< m])
    }

    if split.stratify {
        var byClass = [[Int]](repeating: [], count: max(classCount, (labels.max() ?? -1) + 1))
        for (i, l) in labels.enumerated() where l >= 0 { byClass[l].append(i) }
        let counts = byClass.map(\.count)
        let testPer = allocate(nTest, among: counts)
        let validationPer = allocate(nValidation, among: zip(counts, testPer).map { $0 - $1 })
        for c in byClass.indices {
            var rows = byClass[c]
            if split.shuffle { rng.shuffle(&rows) }
            deal(rows, test: testPer[c], validation: validationPer[c])
        }
    } else {
        deal(split.shuffle ? rng.permutation(n) : Array(0..<n), test: nTest, validation: nValidation)
    }
    if let limit = split.trainPerClass {
        // The first `limit` training rows of each class in the dealt (shuffled) order; the others
        // are left out, so validation and test stay as they are without the limit.
        var kept = [Int](repeating: 0, count: max(classCount, (labels.max() ?? -1) + 1))
        train = train.filter { r in
            let l = labels[r]
            guard l >= 0, kept[l] < limit else { return false }
            kept[l] += 1
            return true
        }
    }
    return (train.sorted(), validation.sorted(), test.sorted())
}

/// Shares `total` among groups of sizes `counts` in proportion, by the largest-remainder method:
/// group `c` gets `floor(total * counts[c] / N)` (N = sum of counts), and the rows still missing go
/// one each to the groups with the largest remainders `total * counts[c] mod N` (ties: lower index
/// first). Exact integer arithmetic; the result sums to `min(total, N)` and never exceeds a group's size.
public func allocate(_ total: Int, among counts: [Int]) -> [Int] {
    let n = counts.reduce(0, +)
    guard n > 0, total > 0 else { return counts.map { _ in 0 } }
    let t = min(total, n)
    var shares = counts.map { $0 * t / n }
    let remainders = counts.map { $0 * t % n }
    let missing = t - shares.reduce(0, +)
    let order = counts.indices.sorted { remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : $0 < $1 }
    for c in order.prefix(missing) { shares[c] += 1 }
    return shares
}
