import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `nnrun augment-preview` and `nnrun plot`: files written, well-formed, and one-line errors.
struct PictureCommandTests {
    static func wellFormed(_ url: URL) throws -> Bool {
        let parser = try #require(XMLParser(contentsOf: url))
        return parser.parse()
    }

    @Test func augmentPreviewWritesAGridOfOriginalsAndCopies() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["augment-preview", "configs/cnn.yaml", "--set", "data.augmentation.rotation=10",
                                  "--set", "data.augmentation.shift=1", "--samples", "3", "--variants", "4", "--output", "grid.svg"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.outputLines == ["wrote grid.svg: 3 training samples x 4 augmented copies"])
        let svg = try String(contentsOf: dir.appendingPathComponent("grid.svg"), encoding: .utf8)
        #expect(try Self.wellFormed(dir.appendingPathComponent("grid.svg")))
        #expect(svg.components(separatedBy: "class=\"tile\"").count - 1 == 15)
        #expect(svg.components(separatedBy: " original<").count - 1 == 3)
        // Seeded: the same command writes the same file.
        let again = try CLI.run(["augment-preview", "configs/cnn.yaml", "--set", "data.augmentation.rotation=10",
                                 "--set", "data.augmentation.shift=1", "--samples", "3", "--variants", "4", "--output", "grid2.svg"], in: dir)
        #expect(again.status == 0)
        #expect(try String(contentsOf: dir.appendingPathComponent("grid2.svg"), encoding: .utf8) == svg)
    }

    @Test func augmentPreviewErrors() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let flat = try CLI.run(["augment-preview", "configs/mlp.yaml", "--set", "data.augmentation.shift=2"], in: dir)
        #expect(flat.status == 2)
        #expect(flat.errorLines.count == 1 && flat.errorLines[0].contains("data.augmentation: received augmentation for flat samples (no data.shape)")
                && flat.errorLines[0].contains("set data.shape"), "\(flat)")
        let none = try CLI.run(["augment-preview", "configs/cnn.yaml"], in: dir)
        #expect(none.status == 2)
        #expect(none.errorLines.first?.contains("data.augmentation: the recipe has no augmentation to preview") == true, "\(none)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("augment-preview.svg").path))
    }

    static func writeRun(_ dir: URL, _ name: String, _ csv: String) throws {
        let run = dir.appendingPathComponent("runs/\(name)")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try csv.write(to: run.appendingPathComponent("history.csv"), atomically: true, encoding: .utf8)
    }

    @Test func plotOverlaysRuns() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        try Self.writeRun(dir, "overfit", "epoch,accuracy,loss,val_accuracy,val_loss\n1,0.5,1.5,0.5,1.6\n2,0.8,0.7,0.7,0.9\n3,0.95,0.2,0.72,1.1\n")
        try Self.writeRun(dir, "regularized", "epoch,accuracy,loss,val_accuracy,val_loss\n1,0.45,1.6,0.5,1.6\n2,0.7,0.9,0.7,0.85\n3,0.8,0.6,0.78,0.62\n")
        let result = try CLI.run(["plot", "runs/overfit", "runs/regularized", "--output", "both.svg"], in: dir,
                                 environment: ["NO_COLOR": "1"])
        #expect(result.status == 0, "\(result)")
        #expect(result.outputLines.last == "wrote both.svg (2 runs)")
        #expect(result.outputLines.contains("overfit:") && result.outputLines.contains("regularized:"))
        #expect(result.outputLines.contains { $0.hasPrefix("val_loss  ") && $0.contains("(best 0.9000, epoch 2)") })
        #expect(!result.stdout.contains("\u{1B}["))
        let svg = try String(contentsOf: dir.appendingPathComponent("both.svg"), encoding: .utf8)
        #expect(try Self.wellFormed(dir.appendingPathComponent("both.svg")))
        #expect(svg.contains("overfit validation") && svg.contains("regularized validation"))
        #expect(svg.contains("best 2") && svg.contains("best 3"))   // lowest val_loss of each run
    }

    @Test func plotErrors() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("runs/empty"), withIntermediateDirectories: true)
        try Self.writeRun(dir, "broken", "epoch,loss,val_loss\n1,0.5,0.6\n2,0.4\n")
        let notRun = try CLI.run(["plot", "runs/empty"], in: dir)
        #expect(notRun.status == 1)
        #expect(notRun.errorLines == ["error: runs/empty: not a run folder (no history.csv); expected a folder written by nnrun fit"])
        let broken = try CLI.run(["plot", "runs/broken", "--output", "x.svg"], in: dir)
        #expect(broken.status == 1)
        #expect(broken.errorLines == ["error: runs/broken/history.csv:3: received 2 cells, expected 3 (epoch,loss,val_loss)"])
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.svg").path))
    }
}
