import NNConfig
import Testing
@testable import NNData

@Suite struct SplitTests {
    let digits = Dataset.digits()

    @Test func digitsSizesMatchScikitLearn() throws {
        let splits = try makeSplits(digits, config: DataConfig(), seed: 42)
        #expect(splits.train.count == 862)
        #expect(splits.validation.count == 216)
        #expect(splits.test.count == 719)
        #expect(splits.trainRows.count == 862 && splits.validationRows.count == 216 && splits.testRows.count == 719)
        // Unstratified and unshuffled give the same sizes.
        let plain = splitRows(labels: digits.labels, classCount: 10,
                              split: .init(stratify: false, shuffle: false), seed: 42)
        #expect((plain.train.count, plain.validation.count, plain.test.count) == (862, 216, 719))
        #expect(plain.test == Array(1078..<1797))
        #expect(plain.validation == Array(862..<1078))
    }

    @Test func stratifiedSharesPerClass() throws {
        let splits = try makeSplits(digits, config: DataConfig(), seed: 7)
        let total = digits.classCounts
        let test = splits.test.classCounts
        for c in 0..<10 {
            #expect(abs(Double(test[c]) - 0.4 * Double(total[c])) <= 1, "class \(c): \(test[c]) of \(total[c])")
            let rest = total[c] - test[c]
            #expect(abs(Double(splits.validation.classCounts[c]) - 0.2 * Double(rest)) <= 1)
        }
    }

    @Test func disjointAndCovering() throws {
        for stratify in [true, false] {
            let split = DataConfig.Split(stratify: stratify)
            let rows = splitRows(labels: digits.labels, classCount: 10, split: split, seed: 3)
            let all = rows.train + rows.validation + rows.test
            #expect(all.sorted() == Array(0..<1797))
            #expect(Set(rows.train).isDisjoint(with: rows.test))
            #expect(rows.train == rows.train.sorted())
        }
    }

    @Test func seeded() {
        let split = DataConfig.Split()
        let a = splitRows(labels: digits.labels, classCount: 10, split: split, seed: 1)
        let b = splitRows(labels: digits.labels, classCount: 10, split: split, seed: 1)
        let c = splitRows(labels: digits.labels, classCount: 10, split: split, seed: 2)
        #expect(a.train == b.train && a.validation == b.validation && a.test == b.test)
        #expect(a.test != c.test)
        #expect(a.train != c.train)
    }

    @Test func splitDatasetsFollowRows() throws {
        let splits = try makeSplits(digits, config: DataConfig(), seed: 5)
        let r = splits.testRows[3]
        #expect(Array(splits.test.row(3)) == Array(digits.row(r)))
        #expect(splits.test.labels[3] == digits.labels[r])
    }

    @Test func largestRemainder() {
        #expect(allocate(719, among: [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]).reduce(0, +) == 719)
        #expect(allocate(3, among: [5, 5, 5, 5]) == [1, 1, 1, 0])
        #expect(allocate(4, among: [10, 1]) == [4, 0])   // 3.64 -> 3, 0.36 -> 0; one more to the larger remainder
        #expect(allocate(0, among: [3, 3]) == [0, 0])
        #expect(allocate(10, among: [2, 3]) == [2, 3])
    }

    @Test func emptySplitIsAConfigError() {
        let tiny = Dataset(features: [1, 2, 3], labels: [0, 1, 0], featureShape: [1], labelNames: ["a", "b"])
        var config = DataConfig(split: .init(test: 0.5, validation: 0.5))
        config.origin.split = Node.at(7, 10)
        #expect {
            try makeSplits(tiny, config: config, seed: 0)
        } throws: { error in
            guard let e = (error as? ConfigErrors)?.errors.first else { return false }
            return e.location == Node.at(7, 10) && e.path == "data.split" && e.message.contains("train split is empty")
        }
    }

    @Test func classWithoutTrainingRowsIsAConfigError() {
        // Class "b" has one row; unstratified, unshuffled, it is the last row and lands in test.
        let d = Dataset(features: [1, 2, 3, 4, 5], labels: [0, 0, 0, 0, 1], featureShape: [1], labelNames: ["a", "b"])
        let config = DataConfig(split: .init(test: 0.2, validation: 0.3, stratify: false, shuffle: false))
        #expect {
            try makeSplits(d, config: config, seed: 0)
        } throws: { error in
            (error as? ConfigErrors)?.errors.first?.message.contains("class \"b\" gets no training rows") == true
        }
    }
}
