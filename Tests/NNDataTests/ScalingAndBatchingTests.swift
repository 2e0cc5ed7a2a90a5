import NNConfig
import Testing
@testable import NNData

@Suite struct ScalingTests {
    @Test func standardizeFitsOnTrainOnly() throws {
        let config = DataConfig(scale: 0.0625, standardize: true)
        let (splits, scaling) = try loadData(config, seed: 42, baseDirectory: nil)
        let n = 64
        let rawTrain = Dataset.digits().subset(splits.trainRows)
        #expect(scaling == InputScaling.fit(features: rawTrain.features, featureCount: n, scale: 0.0625))
        func columnMeans(_ d: Dataset) -> [Double] {
            (0..<n).map { j in (0..<d.count).reduce(0.0) { $0 + Double(d.features[$1 * n + j]) } / Double(d.count) }
        }
        let trainMeans = columnMeans(splits.train)
        #expect(trainMeans.allSatisfy { abs($0) < 1e-5 })
        let validationMeans = columnMeans(splits.validation)
        #expect(validationMeans.contains { abs($0) > 1e-3 })  // fitted on train, so not exactly centred elsewhere
        // A non-constant column has unit population variance on train.
        let j = 20
        let variance = (0..<splits.train.count).reduce(0.0) { $0 + pow2(Double(splits.train.features[$1 * n + j])) } / Double(splits.train.count)
        #expect(abs(variance - 1) < 1e-4)
        // Pixel 0 is always 0 in digits: std 1, values 0.
        #expect(scaling.std?[0] == 1)
        #expect(splits.test.features[0] == 0)
    }

    @Test func scaleOnly() throws {
        let (splits, scaling) = try loadData(DataConfig(scale: 0.0625), seed: 1, baseDirectory: nil)
        #expect(scaling == InputScaling(scale: 0.0625))
        #expect(splits.train.features.max() == 1)
        #expect(splits.train.features.min() == 0)
    }

    @Test func applyMatchesFormula() {
        let s = InputScaling(scale: 2, mean: [1, 2], std: [2, 4])
        var x: [Float] = [1, 1, 3, 5]
        s.apply(to: &x, featureCount: 2)
        #expect(x == [0.5, 0, 2.5, 2])
    }

    @Test func encodeDecodeIsBitExact() throws {
        let s = InputScaling(scale: 0.0625, mean: [0, 0.1, 1e-7, -3.4028235e38, 5.2345678],
                             std: [1, 0.3, 1.1754944e-38, 2, 7.0000005])
        let diagnostics = Diagnostics()
        let back = InputScaling.decode(s.encode(), path: "scaling", diagnostics: diagnostics)
        #expect(diagnostics.isEmpty)
        #expect(back == s)
        #expect(InputScaling.decode(InputScaling().encode(), path: "s", diagnostics: diagnostics) == InputScaling())
        let bad = ConfigNode.map([("scale", .double(1)), ("mean", .list([.double(1)]))])
        #expect(InputScaling.decode(bad, path: "s", diagnostics: diagnostics) == nil)
        #expect(!diagnostics.isEmpty)
    }
}

private func pow2(_ x: Double) -> Double { x * x }

@Suite struct BatchingTests {
    @Test func epochOrderIsPure() {
        let a = epochOrder(count: 100, seed: 42, epoch: 3, shuffle: true)
        #expect(a == epochOrder(count: 100, seed: 42, epoch: 3, shuffle: true))
        #expect(a != epochOrder(count: 100, seed: 42, epoch: 4, shuffle: true))
        #expect(a != epochOrder(count: 100, seed: 43, epoch: 3, shuffle: true))
        #expect(a.sorted() == Array(0..<100))
        #expect(a != Array(0..<100))
        #expect(epochOrder(count: 5, seed: 42, epoch: 3, shuffle: false) == [0, 1, 2, 3, 4])
        #expect(epochOrder(count: 0, seed: 1, epoch: 0, shuffle: true).isEmpty)
        #expect(epochOrder(count: 3, seed: 1, epoch: -1, shuffle: true).count == 3)
    }

    @Test func batches() {
        #expect(batchRanges(count: 10, batchSize: 4) == [0..<4, 4..<8, 8..<10])
        #expect(batchRanges(count: 8, batchSize: 4) == [0..<4, 4..<8])
        #expect(batchRanges(count: 3, batchSize: 32) == [0..<3])
        #expect(batchRanges(count: 0, batchSize: 4).isEmpty)
        #expect(batchRanges(count: 5, batchSize: 0) == [0..<5])
        let d = Dataset.digits()
        let order = epochOrder(count: d.count, seed: 1, epoch: 0, shuffle: true)
        let batch = d.batch(order[0..<32])
        #expect(batch.features.count == 32 * 64 && batch.labels.count == 32)
        #expect(batch.labels[0] == d.labels[order[0]])
    }
}
