import ArgumentParser
import NNCheckpoint
import Foundation
import NNReport

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the learning curves of one or more runs (their history.csv) into one SVG.",
        discussion: "One run: training against validation, the gap shaded, the epoch of the lowest val_loss marked. Several runs: overlaid, one colour per run, validation dashed. Also prints a terminal chart of each run's loss.")

    @Argument(help: "Run folders written by nnrun fit, e.g. runs/overfit runs/regularized.")
    var runs: [String]

    @Option(help: "The SVG file to write.")
    var output = "plot.svg"

    func run() throws {
        try reportingErrors {
            var histories: [RunHistory] = []
            for folder in runs {
                var history = try HistoryFile.load(folder: folder)
                if let val = history.columns["val_loss"], let best = val.indices.filter({ val[$0].isFinite }).min(by: { val[$0] < val[$1] }) {
                    history.bestEpoch = best + 1
                }
                histories.append(history)
            }
            try RunFolder.writeFileAtomically(output, Array(Curves.svg(histories).utf8))
            // Colour only on a terminal, as fit's chart.
            let color = isatty(STDOUT_FILENO) != 0 && TerminalChart.colorAllowed(environment: ProcessInfo.processInfo.environment)
            for h in histories {
                writeOut("\(h.name):\n")
                writeOut(TerminalChart.render(["loss", "val_loss"].compactMap { k in h.columns[k].map { (k, $0) } }, color: color))
            }
            writeOut("wrote \(output) (\(histories.count) run\(histories.count == 1 ? "" : "s"))\n")
        }
    }

    func validate() throws {
        if runs.isEmpty { throw ValidationError("expected at least one run folder") }
    }
}
