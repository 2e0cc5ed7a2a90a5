import Foundation
import NNConfig
import NNData
import NNLayers
import NNTensor

/// The data `evaluate` and `predict` read with a trained run: scaled with the run's saved input
/// scaling (never refitted), shaped as the model's input, labelled by the run's class names.
extension TrainedRun {
    /// A trainer for inference with this run's model (its optimizer is never used).
    public func inferenceTrainer(gemm: GEMM) throws -> Trainer {
        guard let loss = Losses.make(recipe.config.loss) else { throw CheckpointError(folder, "unknown loss \(recipe.config.loss)") }
        return Trainer(model: model, loss: loss, optimizer: recipe.config.optimizer, training: recipe.config.training,
                       seed: UInt64(recipe.config.seed), gemm: gemm, target: recipe.config.data.target)
    }

    /// The saved test split (`source` nil): the run's data re-split with its seed, checked against
    /// `split.json`. Or every row of `source`: `digits`, or a CSV file with the run's label column
    /// whose labels are among the run's classes. Returns the data and a description of it.
    public func evaluationData(_ source: String?) throws -> (data: Dataset, description: String) {
        guard let source else {
            let splits = try loadSplits()
            let saved = try Self.readJSON("\(folder)/split.json")
            guard let rows = saved["test"]?.items?.compactMap(ConfigScalar.int), rows == splits.testRows else {
                throw CheckpointError("\(folder)/split.json", "the data no longer splits into the saved test rows (has the data file changed since training?)")
            }
            return (splits.test, "the saved test split")
        }
        var config = recipe.config.data
        config.classes = nil
        if source == "digits" {
            config.source = .digits
        } else {
            var label = "label"
            if case .csv(_, let l) = recipe.config.data.source { label = l }
            _ = try DataFile.resolve(source, baseDirectory: nil)   // a missing file: one line naming it
            config.source = .csv(path: source, label: label)
        }
        var data = try loadDataset(config, baseDirectory: nil)
        // Relabel by name: the file's classes must be classes of the run.
        var index: [Int] = []
        for name in data.labelNames {
            guard let i = labels.firstIndex(where: { LabelEncoding.matches(name, $0) }) else {
                throw CheckpointError(source, "class \"\(name)\" is not one of the run's classes (\(labels.joined(separator: ", ")))")
            }
            index.append(i)
        }
        data.labels = data.labels.map { index[$0] }
        data.labelNames = labels
        return (try shapedAndScaled(data, source: source), "\(source) (\(data.count) rows)")
    }

    /// The samples of a CSV file of features for prediction: every column is a feature except one
    /// named like the run's label column, which is ignored.
    public func predictionInput(_ path: String) throws -> Dataset {
        let reader = try CSVReader.open(path, baseDirectory: nil)
        var label = "label"
        if case .csv(_, let l) = recipe.config.data.source { label = l }
        // Columns are matched by position, so they must be training's, in its order (when the
        // training file is still there to tell).
        if case .csv(let trainingPath, _) = recipe.config.data.source,
           let training = [dataFolder, workingFolder].lazy.compactMap({ try? CSVReader.open(trainingPath, baseDirectory: $0) }).first {
            let expected = training.header.filter { $0 != label }, given = reader.header.filter { $0 != label }
            guard expected == given else {
                throw CheckpointError(path, "has the columns \(given.joined(separator: ",")); the run was trained on \(expected.joined(separator: ",")) (in this order)")
            }
        }
        let (values, count) = try reader.features(excluding: reader.columnIndex(label))
        guard count > 0 else { throw CheckpointError(path, "no data rows after the header") }
        let width = values.count / max(count, 1)
        let data = Dataset(features: values, labels: Array(repeating: 0, count: count), featureShape: [width], labelNames: labels)
        return try shapedAndScaled(data, source: path)
    }

    private func shapedAndScaled(_ data: Dataset, source: String) throws -> Dataset {
        let expected = model.inputShape.reduce(1, *)
        guard data.featureCount == expected, var shaped = data.reshaped(model.inputShape) else {
            throw CheckpointError(source, "has \(data.featureCount) feature values per row, but the model takes \(expected) (\(model.inputShape))")
        }
        scaling.apply(to: &shaped.features, featureCount: expected)
        return shaped
    }
}
