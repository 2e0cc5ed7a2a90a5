import Foundation
import Testing
@testable import NNReport

/// `report.html`: well-formed (an XML parser reads it), self-contained, and rendered by a real
/// browser (headless Chromium, Debian's `chromium`) into a screenshot that shows the curves.
struct RunReportTests {
    static func report() -> RunReport {
        // Two misclassified 8x8 "digits": a bar and a ring.
        let bar = (0..<64).map { $0 % 8 == 3 || $0 % 8 == 4 ? 16.0 : 0 }
        let ring = (0..<64).map { i -> Double in let (y, x) = (i / 8, i % 8); return (y == 1 || y == 6 || x == 1 || x == 6) ? 12 : 0 }
        return RunReport(
            title: "digits-mlp <overfit> & co", facts: [("seed", "42"), ("test accuracy", "0.9513")],
            history: overfitting,
            summary: "Model: \"mlp\"\n┏━━━━━━━┓\n┃ Layer ┃\n┡━━━━━━━┩\n│ dense │\n└───────┘",
            configJSON: #"{"name": "digits-mlp", "note": "a < b && c > d"}"#,
            confusion: [[50, 2, 0], [1, 45, 4], [0, 3, 47]], labels: ["0", "1", "2"],
            misclassified: [ImageTile(pixels: bar, shape: [8, 8, 1], caption: "true 1, predicted 7"),
                            ImageTile(pixels: ring, shape: [8, 8, 1], caption: "true 0, predicted 6")])
    }

    @Test func htmlIsWellFormedXHTMLAndSelfContained() {
        let html = Self.report().html()
        let (elements, error) = parseXML(html)
        #expect(error == nil, "\(error ?? "")")
        #expect(elements.first == "html")
        #expect(elements.filter { $0 == "svg" }.count == 2)            // curves and the image grid
        #expect(elements.contains("table") && elements.contains("pre") && elements.contains("style"))
        #expect(html.contains("digits-mlp &lt;overfit&gt; &amp; co"))
        #expect(html.contains("a &lt; b &amp;&amp; c &gt; d"))
        #expect(html.contains("true 1, predicted 7"))
        // Nothing to fetch: no script, no external link, image or font.
        for forbidden in ["<script", "http://", "https://", "<link", "<img", "url("] {
            let rest = html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").replacingOccurrences(of: "http://www.w3.org/1999/xhtml", with: "")
            #expect(!rest.contains(forbidden), "report.html contains \(forbidden)")
        }
        // The confusion matrix: alpha 0.1 + 0.8 · share of the row: 50/52 → 0.87 (green diagonal), 2/52 → 0.13 (red error).
        #expect(html.contains("<td style=\"background: rgba(44,160,44,0.87)\">50</td>"))
        #expect(html.contains("<td style=\"background: rgba(214,39,40,0.13)\">2</td>"))
    }

    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: chromium != nil, "chromium is not installed (apt-get install -y chromium)"))
    func headlessChromiumRendersTheReport() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nnrun-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html"), shot = dir.appendingPathComponent("shot.png")
        try Self.report().html().write(to: page, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.chromium))
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1000,1400",
                             "--user-data-dir=\(dir.appendingPathComponent("profile").path)", "--screenshot=\(shot.path)", page.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { usleep(100_000) }
        if process.isRunning { process.terminate() }
        let png = try PNGImage(Array(try Data(contentsOf: shot)))
        #expect(png.width == 1000 && png.height == 1400)
        var nonWhite = 0, blue = 0, red = 0
        for p in stride(from: 0, to: png.rgb.count, by: 3) {
            let (r, g, b) = (Int(png.rgb[p]), Int(png.rgb[p + 1]), Int(png.rgb[p + 2]))
            if r < 240 || g < 240 || b < 240 { nonWhite += 1 }
            if abs(r - 0x1f) < 30 && abs(g - 0x77) < 30 && abs(b - 0xb4) < 30 { blue += 1 }       // training curves
            if abs(r - 0xd6) < 30 && abs(g - 0x27) < 30 && abs(b - 0x28) < 30 { red += 1 }        // validation curves
        }
        let total = png.width * png.height
        // Measured: about 8% of the pixels are not white; the curves alone a few thousand pixels each.
        #expect(nonWhite > total / 50, "\(nonWhite) of \(total) pixels are not white")
        #expect(blue > 300 && red > 300, "blue \(blue), red \(red) curve pixels")
    }
}
