import NNConfig
import Testing
@testable import NNData

@Suite struct DataConfigTests {
    @Test func defaults() throws {
        let (config, errors) = decodeData(Node.map([("source", Node.s("digits", 2, 11))], 1, 1))
        #expect(errors.isEmpty)
        #expect(config == DataConfig())
        #expect(config?.split == DataConfig.Split(test: 0.4, validation: 0.2, stratify: true, shuffle: true))
        #expect(config?.scale == 1 && config?.standardize == false && config?.shape == nil && config?.classes == nil)
    }

    @Test func roundTrip() throws {
        let configs = [
            DataConfig(),
            DataConfig(source: .csv(path: "data/iris.csv", label: "species"), scale: 0.5, standardize: true,
                       shape: [2, 2], classes: ["setosa", "virginica"],
                       split: .init(test: 0.3, validation: 0.1, stratify: false, shuffle: false)),
            DataConfig(scale: 0.0625, shape: [8, 8, 1], classes: ["0", "1", "2", "3", "4"]),
            { var c = DataConfig(scale: 0.0625); c.target = .inputs; return c }(),
        ]
        for config in configs {
            let encoded = config.encode()
            let (back, errors) = decodeData(encoded)
            #expect(errors.isEmpty, "\(errors)")
            #expect(back == config)
            #expect(back?.encode() == encoded)
        }
        #expect(DataConfig(scale: 0.0625).encode().jsonText() == """
        {
          "source": "digits",
          "scale": 0.0625,
          "standardize": false,
          "shape": null,
          "classes": null,
          "split": {
            "test": 0.4,
            "validation": 0.2,
            "stratify": true,
            "shuffle": true,
            "train_per_class": null
          },
          "augmentation": {
            "shift": 0.0,
            "rotation": 0.0,
            "zoom": 0.0,
            "horizontal_flip": false,
            "noise": 0.0
          },
          "target": "labels"
        }
        """)
    }

    @Test func fullYAMLShape() {
        let node = Node.map([
            ("source", Node.s("digits", 2, 11)),
            ("scale", Node.s("0.0625", 3, 10)),
            ("standardize", Node.s("true", 4, 16)),
            ("shape", Node.list([Node.s("8"), Node.s("8"), Node.s("1")], 5, 10)),
            ("classes", Node.list([Node.s("0"), Node.s("1")], 6, 12)),
            ("split", Node.map([("test", Node.s("0.25")), ("stratify", Node.s("false"))], 7, 10)),
        ], 1, 1)
        let (config, errors) = decodeData(node)
        #expect(errors.isEmpty)
        #expect(config == DataConfig(scale: 0.0625, standardize: true, shape: [8, 8, 1], classes: ["0", "1"],
                                     split: .init(test: 0.25, stratify: false)))
    }

    @Test func errorsPointAtNodes() {
        let node = Node.map([
            ("source", Node.s("digts", 2, 11)),
            ("scale", Node.s("0", 3, 10)),
            ("split", Node.map([("test", Node.s("1.5", 4, 18)), ("validation", Node.s("0", 4, 35)), ("shufle", Node.s("true", 4, 45))], 4, 10)),
            ("standardise", Node.s("true", 5, 16)),
        ], 1, 1)
        let (_, errors) = decodeData(node)
        let byPath = Dictionary(errors.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byPath["data.source"]?.suggestion == "digits")
        #expect(byPath["data.source"]?.location == Node.at(2, 11))
        #expect(byPath["data.scale"]?.location == Node.at(3, 10))
        #expect(byPath["data.split.test"]?.description == "test.yaml:4:18: data.split.test: received 1.5, expected a fraction strictly between 0 and 1")
        #expect(byPath["data.split.validation"]?.location == Node.at(4, 35))
        #expect(byPath["data.split.shufle"]?.suggestion == "shuffle")
        #expect(byPath["data.standardise"]?.suggestion == "standardize")
        #expect(errors.count == 6)
        // source is required
        let (_, missing) = decodeData(Node.map([("scale", Node.s("1"))], 1, 1))
        #expect(missing.map(\.path) == ["data.source"])
    }

    @Test func loadTimeErrorsPointAtNodes() throws {
        let node = Node.map([
            ("source", Node.s("digits", 2, 11)),
            ("shape", Node.list([Node.s("8"), Node.s("8"), Node.s("2")], 3, 10)),
            ("classes", Node.list([Node.s("0", 4, 13), Node.s("11", 4, 16)], 4, 12)),
        ], 1, 1)
        let (decoded, errors) = decodeData(node)
        #expect(errors.isEmpty)
        let config = try #require(decoded)
        #expect {
            try loadDataset(config, baseDirectory: nil)
        } throws: { error in
            guard let errors = (error as? ConfigErrors)?.errors, errors.count == 2 else { return false }
            return errors[0].description == "test.yaml:3:10: data.shape: received [8, 8, 2] (128 values per sample), but the data has 64 features per sample"
                && errors[1].location == Node.at(4, 16)
                && errors[1].message.hasPrefix("class \"11\" is not in the data; its classes are: 0, 1, 2")
        }
    }

    @Test func classFilter() throws {
        let low = try loadDataset(DataConfig(classes: ["0", "1", "2", "3", "4"]), baseDirectory: nil)
        #expect(low.labelNames == ["0", "1", "2", "3", "4"])
        #expect(low.classCounts == [178, 182, 177, 183, 181])
        let high = try loadDataset(DataConfig(shape: [8, 8, 1], classes: ["5", "6", "7", "8", "9"]), baseDirectory: nil)
        #expect(high.labelNames == ["5", "6", "7", "8", "9"])
        #expect(high.classCounts == [182, 181, 179, 174, 180])
        #expect(Set(high.labels) == [0, 1, 2, 3, 4])
        #expect(high.featureShape == [8, 8, 1])
        // Re-indexed in the listed order; rows keep file order.
        let digits = Dataset.digits()
        let firstNine = try #require(digits.labels.firstIndex(of: 9))
        let swapped = try loadDataset(DataConfig(classes: ["9", "0"]), baseDirectory: nil)
        #expect(swapped.labelNames == ["9", "0"])
        #expect(swapped.labels.first == 1)
        let nineRow = try #require(swapped.labels.firstIndex(of: 0))
        #expect(Array(swapped.row(nineRow)) == Array(digits.row(firstNine)))
        // The resolved config records what was used and loads the same data again.
        let resolved = DataConfig(classes: ["9", "0"]).resolved(for: swapped)
        #expect(resolved.shape == [64] && resolved.classes == ["9", "0"])
        #expect(try loadDataset(resolved, baseDirectory: nil) == swapped)
    }

    @Test func duplicateClassIsAnError() {
        let (_, errors) = decodeData(Node.map([
            ("source", Node.s("digits")),
            ("classes", Node.list([Node.s("1", 2, 13), Node.s("1.0", 2, 16)], 2, 12)),
        ], 1, 1))
        #expect(errors.count == 1 && errors.first?.location == Node.at(2, 16))
        #expect(errors.first?.message == "class 1.0 is listed twice (also at [0])")
    }
}
