import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import NNReport

/// Parses `text` as XML; returns the element names in document order, or the parser's error.
func parseXML(_ text: String) -> (elements: [String], error: String?) {
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) { elements.append(name) }
    }
    let parser = XMLParser(data: Data(text.utf8)), collector = Collector()
    parser.delegate = collector
    let ok = parser.parse()
    return (collector.elements, ok ? nil : "\(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)")
}

/// A history that overfits: training loss keeps falling, validation loss turns up after epoch 4.
let overfitting = RunHistory(
    name: "overfit & <co>",
    columns: ["loss": [2.0, 1.2, 0.8, 0.5, 0.3, 0.2, 0.1], "val_loss": [2.1, 1.4, 1.1, 1.0, 1.1, 1.3, 1.6],
              "accuracy": [0.3, 0.6, 0.75, 0.85, 0.92, 0.96, 0.99], "val_accuracy": [0.28, 0.55, 0.66, 0.7, 0.7, 0.69, 0.68]],
    bestEpoch: 4, stoppedEpoch: 7)

struct CurvesTests {
    @Test func singleRunSVGIsWellFormedWithPanelsGapAndMarks() {
        let svg = Curves.svg([overfitting])
        let (elements, error) = parseXML(svg)
        #expect(error == nil, "\(error ?? "")")
        #expect(elements.first == "svg")
        #expect(svg.contains("id=\"panel-loss\"") && svg.contains("id=\"panel-accuracy\""))
        #expect(svg.range(of: "id=\"panel-loss\"")!.lowerBound < svg.range(of: "id=\"panel-accuracy\"")!.lowerBound)
        #expect(elements.filter { $0 == "polygon" }.count == 2)       // the gap, in both panels
        #expect(elements.filter { $0 == "polyline" }.count == 4)      // train and validation, twice
        #expect(svg.components(separatedBy: "class=\"best\"").count - 1 == 2)
        #expect(svg.components(separatedBy: "class=\"stopped\"").count - 1 == 2)
        #expect(svg.contains("best 4") && svg.contains("stopped 7"))
        #expect(svg.contains("overfit &amp; &lt;co&gt; loss"))     // titles escaped
        // 7 points per series, 4 series.
        #expect(elements.filter { $0 == "circle" }.count == 28)
    }

    @Test func theLossPanelMapsValuesLinearly() {
        // y range [0.1, 2.1] padded 5% to [0, 2.2]: 0.1 sits 0.1/2.2 of 220 above the bottom (y = 34 + 220).
        let svg = Curves.svg([overfitting])
        let lossPanel = svg.components(separatedBy: "id=\"panel-accuracy\"")[0]
        let expectedY = SVG.number(34 + 220 - 0.1 / 2.2 * 220)
        #expect(lossPanel.contains("cx=\"416\" cy=\"\(expectedY)\""), "epoch 7 at x = 56 + 360, loss 0.1 at y \(expectedY)")
    }

    @Test func overlayOfRunsHasOneColourPerRunAndNoShading() {
        var second = overfitting
        second.name = "regularized"
        second.columns["val_loss"] = [2.0, 1.3, 0.9, 0.7, 0.6, 0.55, 0.5]
        let svg = Curves.svg([overfitting, second])
        let (elements, error) = parseXML(svg)
        #expect(error == nil)
        #expect(!elements.contains("polygon"))
        #expect(svg.contains("regularized validation") && svg.contains("stroke-dasharray=\"6,4\""))
        #expect(svg.contains(Curves.palette[0]) && svg.contains(Curves.palette[1]))
    }

    @Test func nonFiniteValuesLeaveAHole() {
        let run = RunHistory(name: "nan", columns: ["loss": [1, 0.5, .nan, 0.4, 0.3]])
        let (elements, error) = parseXML(Curves.svg([run]))
        #expect(error == nil)
        #expect(elements.filter { $0 == "polyline" }.count == 2)
        #expect(elements.filter { $0 == "circle" }.count == 4)
    }
}

struct TerminalChartTests {
    @Test func blocksFirstLastAndBest() {
        let text = TerminalChart.render([("loss", overfitting.columns["loss"]!), ("val_loss", overfitting.columns["val_loss"]!)])
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        // Levels round((v − 0.1) / 2 · 7) over the common range [0.1, 2.1]: loss 2.0 → 6.65 → █, 1.2 → 3.85 → ▅,
        // 0.8 → 2.45 → ▃, 0.5 → 1.4 → ▂, 0.3 → 0.7 → ▂, 0.2 → 0.35 → ▁; val_loss 1.4 → 4.55 → ▆, 1.1 → 3.5 → ▅, 1.0 → 3.15 → ▄.
        #expect(lines[0] == "loss      █▅▃▂▂▁▁  2.0000 → 0.1000 (best 0.1000, epoch 7)")
        #expect(lines[1] == "val_loss  █▆▅▄▅▅▆  2.1000 → 1.6000 (best 1.0000, epoch 4)")
        #expect(!text.contains("\u{1B}"))
        #expect(TerminalChart.render([("loss", [1, 2])], color: true).contains("\u{1B}[34m"))
    }

    @Test func noColorAndLongHistories() {
        #expect(!TerminalChart.colorAllowed(environment: ["NO_COLOR": "1"]))
        #expect(TerminalChart.colorAllowed(environment: ["NO_COLOR": ""]))
        #expect(!TerminalChart.colorAllowed(environment: ["TERM": "dumb"]))
        #expect(TerminalChart.colorAllowed(environment: [:]))
        let long = (0..<200).map { 1 / Double($0 + 1) }
        let row = TerminalChart.render([("loss", long)], width: 40).split(separator: "\n")[0]
        #expect(row.filter { "▁▂▃▄▅▆▇█".contains($0) }.count == 40)
    }
}

struct HistoryFileTests {
    @Test func parsesHistoryCSV() throws {
        let run = try HistoryFile.parse("epoch,accuracy,loss,val_accuracy,val_loss\n1,0.5,1.25,0.4,nan\n2,0.75,0.5,0.6,0.9\n",
                                        file: "h.csv", name: "r")
        #expect(run.columns["loss"] == [1.25, 0.5])
        #expect(run.columns["val_loss"]?[0].isNaN == true && run.columns["val_loss"]?[1] == 0.9)
        #expect(run.metrics == ["loss", "accuracy"])
    }

    @Test(arguments: [
        ("", "h.csv:1: empty file"),
        ("loss,epoch\n", "h.csv:1: received header \"loss,epoch\", expected epoch followed by distinct metric names"),
        ("epoch,loss\n1,0.5\n2,0.4,3\n", "h.csv:3: received 3 cells, expected 2 (epoch,loss)"),
        ("epoch,loss\n1,0.5\n3,0.4\n", "h.csv:3: received epoch \"3\", expected 2"),
        ("epoch,loss\n1,zero\n", "h.csv:2: column loss: received \"zero\", expected a number"),
        ("epoch,loss\n", "h.csv:2: no epochs"),
    ])
    func malformed(text: String, expected: String) {
        #expect(throws: HistoryFile.Error.self) { try HistoryFile.parse(text, file: "h.csv", name: "r") }
        do {
            _ = try HistoryFile.parse(text, file: "h.csv", name: "r")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
        }
    }

    @Test func aFolderThatIsNotARun() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nnrun-plot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: HistoryFile.Error(description: "\(dir.path): not a run folder (no history.csv); expected a folder written by nnrun fit")) {
            try HistoryFile.load(folder: dir.path)
        }
        try "epoch,loss\n1,0.5\n".write(to: dir.appendingPathComponent("history.csv"), atomically: true, encoding: .utf8)
        #expect(try HistoryFile.load(folder: dir.path).name == dir.lastPathComponent)
    }
}
