import Foundation
import Testing
@testable import NNData

@Suite struct DigitsTests {
    let digits = Dataset.digits()

    @Test func shapeAndCount() {
        #expect(digits.count == 1797)
        #expect(digits.featureShape == [64])
        #expect(digits.featureCount == 64)
        #expect(digits.features.count == 1797 * 64)
        #expect(digits.labelNames == ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
    }

    @Test func classCounts() {
        // The class counts of scikit-learn's load_digits.
        #expect(digits.classCounts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    }

    @Test func pixelSums() {
        // Computed from ../shared/data/digits.csv with:
        //   python3 -c "import csv; d=list(csv.reader(open('digits.csv')))[1:];
        //               print(sum(map(int, d[0][:64])), sum(int(x) for r in d for x in r[:64]))"
        // which prints 294 561718.
        #expect(digits.row(0).reduce(0, +) == 294)
        #expect(digits.features.reduce(0, +) == 561718)
        #expect(digits.labels[0] == 0)
        #expect(digits.features.allSatisfy { $0 >= 0 && $0 <= 16 && $0 == $0.rounded() })
    }

    @Test func subsetKeepsShapeAndNames() {
        let s = digits.subset([5, 0, 5])
        #expect(s.count == 3)
        #expect(Array(s.row(1)) == Array(digits.row(0)))
        #expect(Array(s.row(0)) == Array(digits.row(5)))
        #expect(s.labels == [digits.labels[5], digits.labels[0], digits.labels[5]])
        #expect(s.labelNames == digits.labelNames)
        #expect(s.classCounts.reduce(0, +) == 3)
        #expect(digits.reshaped([8, 8, 1])?.featureShape == [8, 8, 1])
        #expect(digits.reshaped([8, 8, 2]) == nil)
    }
}

/// The reference CSV beside the repository (absent on users' machines, so the test is skipped there).
private let sharedDigitsCSV = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("../shared/data/digits.csv").standardizedFileURL.path

@Suite struct EmbeddedMatchesCSVTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: sharedDigitsCSV)))
    func embeddedDigitsEqualTheCSV() throws {
        let reader = try CSVReader.open(sharedDigitsCSV, baseDirectory: nil)
        let fromCSV = try reader.dataset(labelColumn: try #require(reader.columnIndex("label")))
        #expect(fromCSV == Dataset.digits())
    }
}

private let sharedIrisCSV = URL(fileURLWithPath: sharedDigitsCSV).deletingLastPathComponent()
    .appendingPathComponent("iris.csv").path

@Suite struct SharedIrisTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: sharedIrisCSV)))
    func irisLoadsWithStringLabels() throws {
        let config = DataConfig(source: .csv(path: sharedIrisCSV, label: "species"), standardize: true)
        let (splits, scaling) = try loadData(config, seed: 42, baseDirectory: nil)
        #expect(splits.train.labelNames == ["setosa", "versicolor", "virginica"])
        #expect((splits.train.count, splits.validation.count, splits.test.count) == (72, 18, 60))
        #expect(splits.test.classCounts == [20, 20, 20])
        #expect(scaling.mean?.count == 4)
    }
}
