import NNConfig
import Testing
@testable import NNData

@Suite struct CSVTests {
    @Test func stringLabelsCRLFAndQuotes() throws {
        let dir = try makeTempDirectory()
        let path = try writeFile(dir, "iris.csv", irisLike)
        let reader = try CSVReader.open(path, baseDirectory: nil)
        #expect(reader.header == ["sepal_length", "sepal_width", "petal, length", "species"])
        let d = try reader.dataset(labelColumn: 3)
        #expect(d.count == 6)
        #expect(d.featureShape == [3])
        #expect(d.labelNames == ["setosa", "versicolor", "virginica"])
        #expect(d.labels == [0, 1, 2, 0, 1, 2])
        #expect(Array(d.row(3)) == [4.9, 3.0, 1.4])
        #expect(d.classCounts == [2, 2, 2])
    }

    @Test func numericLabelsSortNumerically() throws {
        let text = "x,label\n1,10\n2,2\n3,1.0\n4,2\n\n5,1\n"
        let d = try CSVReader(bytes: Array(text.utf8), file: "n.csv").dataset(labelColumn: 1)
        #expect(d.labelNames == ["1", "2", "10"])
        #expect(d.labels == [2, 1, 0, 1, 0])
        #expect(d.features == [1, 2, 3, 4, 5])
    }

    @Test func badCellGolden() throws {
        let text = "a,b,label\n1,2,x\n3, x1 ,y\n"
        #expect {
            try CSVReader(bytes: Array(text.utf8), file: "data/bad.csv").dataset(labelColumn: 2)
        } throws: { error in
            (error as? CSVError)?.description == "data/bad.csv:3:4: column \"b\": received \"x1\", expected a finite number"
        }
        let empty = "a,b,label\n1,,x\n"
        #expect {
            try CSVReader(bytes: Array(empty.utf8), file: "e.csv").dataset(labelColumn: 2)
        } throws: { error in
            (error as? CSVError)?.description == "e.csv:2:3: column \"b\": received an empty cell, expected a finite number"
        }
        let huge = "a,label\n1e39,x\n"
        #expect(throws: CSVError.self) { try CSVReader(bytes: Array(huge.utf8), file: "h.csv").dataset(labelColumn: 1) }
    }

    @Test func malformedLines() throws {
        #expect {
            try CSVReader(bytes: Array("a,b,label\n1,2\n".utf8), file: "f.csv").dataset(labelColumn: 2)
        } throws: { error in
            (error as? CSVError)?.description == "f.csv:2:1: expected 3 fields as in the header, found 2"
        }
        #expect {
            try CSVReader(bytes: Array("a,label\n\"1,x\n".utf8), file: "q.csv").dataset(labelColumn: 1)
        } throws: { error in
            (error as? CSVError)?.location == SourceLocation(file: "q.csv", line: 2, column: 1)
        }
        #expect(throws: CSVError.self) { try CSVReader(bytes: [], file: "empty.csv") }
        #expect(throws: CSVError.self) { try CSVReader(bytes: Array("a,a\n".utf8), file: "dup.csv") }
        #expect(throws: CSVError.self) { try CSVReader(bytes: Array("a,label\n".utf8), file: "no-rows.csv").dataset(labelColumn: 1) }
    }

    @Test func missingLabelColumnSuggests() throws {
        let dir = try makeTempDirectory()
        try writeFile(dir, "iris.csv", irisLike)
        let node = Node.map([("source", Node.map([("csv", Node.map([
            ("path", Node.s("iris.csv", 3, 17)), ("label", Node.s("specis", 4, 18)),
        ], 3, 11))], 2, 11))], 1, 1)
        let (config, errors) = decodeData(node)
        #expect(errors.isEmpty)
        let c = try #require(config)
        #expect(c.source == .csv(path: "iris.csv", label: "specis"))
        #expect {
            try loadDataset(c, baseDirectory: dir)
        } throws: { error in
            guard let e = (error as? ConfigErrors)?.errors.first else { return false }
            return e.location == Node.at(4, 18) && e.path == "data.source.csv.label" && e.suggestion == "species"
                && e.message.contains("has no column \"specis\"; its columns are: \"sepal_length\", \"sepal_width\", \"petal, length\", \"species\"")
        }
        // Without label:, the default column "label" is looked for and the columns are listed.
        let noLabel = DataConfig(source: .csv(path: "iris.csv", label: "label"))
        #expect {
            try loadDataset(noLabel, baseDirectory: dir)
        } throws: { error in
            (error as? ConfigErrors)?.errors.first?.message.contains("(the default label column; set label: to choose another)") == true
        }
    }

    @Test func relativePathsAndMissingFiles() throws {
        let dir = try makeTempDirectory()
        try writeFile(dir, "iris.csv", irisLike)
        let config = DataConfig(source: .csv(path: "iris.csv", label: "species"), split: .init(test: 0.16, validation: 0.2))
        let (splits, _) = try loadData(config, seed: 1, baseDirectory: dir)
        #expect(splits.train.count + splits.validation.count + splits.test.count == 6)
        #expect(splits.train.count == 4 && splits.test.count == 1 && splits.validation.count == 1)
        #expect(splits.train.classCounts == [1, 1, 2])
        let missing = DataConfig(source: .csv(path: "nowhere/none.csv", label: "species"))
        #expect {
            try loadData(missing, seed: 1, baseDirectory: dir)
        } throws: { error in
            // A file the recipe names that is missing is a config error at data.source.csv.path.
            guard let e = (error as? ConfigErrors)?.errors.first else { return false }
            return e.path == "data.source.csv.path" && e.message.hasPrefix("cannot read data file \"nowhere/none.csv\": no such file (looked for nowhere/none.csv, ")
                && e.message.hasSuffix("\(dir)/../nowhere/none.csv)") && !e.description.contains("\n")
        }
        #expect(throws: DataFileError.self) { try CSVReader.open(dir, baseDirectory: nil) }
        #expect(throws: DataFileError.self) { try DataFile.read(dir + "/iris.csv", maxBytes: 10) }
    }

    @Test func featuresWithoutLabels() throws {
        let reader = try CSVReader(bytes: Array("a,b\n1,2\n3,4\n".utf8), file: "p.csv")
        let f = try reader.features()
        #expect(f.count == 2 && f.values == [1, 2, 3, 4])
        #expect(try reader.features(excluding: 0).values == [2, 4])
    }
}
