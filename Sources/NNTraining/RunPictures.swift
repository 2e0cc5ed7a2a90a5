import Foundation
import NNConfig
import NNData
import NNModel
import NNReport

/// The pictures of a run: `curves.svg` (every checkpoint), `report.html` and the terminal chart
/// (at the end).
extension RunRecord {
    /// The history as NNReport draws it, with the best epoch (early stopping's, else the lowest
    /// val_loss) and the epoch an early stop ended training after.
    var runHistory: RunHistory {
        let history = trainer.history
        let columns = Dictionary(uniqueKeysWithValues: history.keys.map { ($0, history.values(of: $0)) })
        let early = trainer.callbacks.compactMap { $0 as? EarlyStopping }.first
        var best = early.map(\.bestEpoch).flatMap { $0 > 0 ? $0 : nil }
        if best == nil, let v = columns["val_loss"], let m = v.indices.min(by: { v[$0] < v[$1] }) { best = m + 1 }
        return RunHistory(name: recipe.config.name, columns: columns, bestEpoch: best, stoppedEpoch: trainer.stoppedEpoch)
    }

    func curvesSVG() -> [UInt8] { Array(Curves.svg([runHistory]).utf8) }

    /// The terminal chart of loss and val_loss, printed at the end of a fit.
    func terminalChart(color: Bool) -> String {
        let series = ["loss", "val_loss"].map { ($0, trainer.history.values(of: $0)) }.filter { !$0.1.isEmpty }
        return TerminalChart.render(series, width: 40, color: color)
    }

    /// `report.html`: curves, summary, resolved config, the test split's confusion matrix and up
    /// to 32 misclassified test images (image data only) with their true and predicted labels.
    /// An autoencoder's report shows the first 16 test images beside their reconstructions instead.
    func reportHTML(test data: Dataset) -> [UInt8] {
        let (outputs, predicted) = trainer.predict(data)
        let reconstructs = recipe.config.data.target == .inputs
        let report = ClassificationReport(labels: data.labelNames, truth: data.labels, predicted: reconstructs ? [] : predicted)
        var tiles: [ImageTile] = []
        let isImage = data.featureShape.count == 3 || (data.featureShape.count == 2)
        if isImage && !reconstructs {
            for i in data.labels.indices where predicted[i] != data.labels[i] && tiles.count < 32 {
                let names = data.labelNames
                tiles.append(ImageTile(pixels: data.row(i).map(Double.init), shape: data.featureShape,
                                       caption: "\(names[data.labels[i]]) → \(names.indices.contains(predicted[i]) ? names[predicted[i]] : "?")"))
            }
        }
        var facts: [(String, String)] = [("seed", String(recipe.config.seed)), ("epochs run", String(trainer.history.epochs.count))]
        if let test {
            facts.append(("test loss", String(format: "%.4f", test.loss)))
            if !test.accuracy.isNaN { facts.append(("test accuracy", String(format: "%.4f", test.accuracy))) }
        }
        if let stopped = trainer.stoppedEpoch { facts.append(("early stop", "after epoch \(stopped)")) }
        facts.append(("training time", String(format: "%.2f s", seconds)))
        let page = RunReport(title: recipe.config.name, facts: facts, history: runHistory,
                             summary: summary(of: trainer.model, name: recipe.config.name), configJSON: storedConfig.jsonText(),
                             confusion: report.confusion, labels: report.labels, misclassified: tiles,
                             reconstructions: reconstructs ? reconstructionTiles(data, outputs: outputs) : nil)
        return Array(page.html().utf8)
    }

    /// Up to `count` test samples, each as two tiles: the input, then the model's output drawn in the
    /// input's shape (flat rows of a square number of values, such as the 64 digit pixels, as
    /// squares). Empty when the samples are not images.
    func reconstructionTiles(_ data: Dataset, outputs: [Float], count: Int = 16) -> [ImageTile] {
        let n = data.featureCount
        var shape = data.featureShape
        let side = Int(Double(n).squareRoot().rounded())
        if shape.count == 1 && side * side == n { shape = [side, side] }
        guard shape.count >= 2, outputs.count == data.count * n else { return [] }
        let names = data.labelNames
        return (0..<min(count, data.count)).flatMap { i in
            [ImageTile(pixels: data.row(i).map(Double.init), shape: shape, caption: "input (\(names[data.labels[i]]))"),
             ImageTile(pixels: outputs[i * n..<(i + 1) * n].map(Double.init), shape: shape, caption: "reconstruction")]
        }
    }
}
