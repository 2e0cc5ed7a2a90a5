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
    func reportHTML(test data: Dataset) -> [UInt8] {
        let predicted = trainer.predict(data).classes
        let report = ClassificationReport(labels: data.labelNames, truth: data.labels, predicted: predicted)
        var tiles: [ImageTile] = []
        let isImage = data.featureShape.count == 3 || (data.featureShape.count == 2)
        if isImage {
            for i in data.labels.indices where predicted[i] != data.labels[i] && tiles.count < 32 {
                let names = data.labelNames
                tiles.append(ImageTile(pixels: data.row(i).map(Double.init), shape: data.featureShape,
                                       caption: "true \(names[data.labels[i]]), predicted \(names.indices.contains(predicted[i]) ? names[predicted[i]] : "?")"))
            }
        }
        var facts: [(String, String)] = [("seed", String(recipe.config.seed)), ("epochs run", String(trainer.history.epochs.count))]
        if let test {
            facts += [("test loss", String(format: "%.4f", test.loss)), ("test accuracy", String(format: "%.4f", test.accuracy))]
        }
        if let stopped = trainer.stoppedEpoch { facts.append(("early stop", "after epoch \(stopped)")) }
        facts.append(("training time", String(format: "%.2f s", seconds)))
        let page = RunReport(title: recipe.config.name, facts: facts, history: runHistory,
                             summary: summary(of: trainer.model, name: recipe.config.name), configJSON: storedConfig.jsonText(),
                             confusion: report.confusion, labels: report.labels, misclassified: tiles)
        return Array(page.html().utf8)
    }
}
