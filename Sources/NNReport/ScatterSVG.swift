import Foundation

/// A labelled 2-D scatter plot as a self-contained SVG document (no scripts, fonts or external
/// references): one dot per row, coloured by class with the ten "tab10" colours of Matplotlib
/// (cycled beyond ten classes), a legend naming each class with its count, a title, axis labels
/// and the data range at the corners of the frame. All text is XML-escaped, so any label name
/// gives a well-formed document.
public enum ScatterSVG {
    public static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// `x`, `y`: coordinates; `classes[i]` indexes `classNames` (or all rows one class when nil).
    public static func render(x: [Double], y: [Double], classes: [Int]?, classNames: [String], title: String,
                              xLabel: String = "component 1", yLabel: String = "component 2", legendTitle: String = "class") -> String {
        precondition(x.count == y.count, "x and y differ in length")
        let width = 760.0, height = 560.0, left = 60.0, top = 44.0, plotW = 520.0, plotH = 460.0
        let finite = x.indices.filter { x[$0].isFinite && y[$0].isFinite }
        let xs = finite.map { x[$0] }, ys = finite.map { y[$0] }
        var (x0, x1) = (xs.min() ?? 0, xs.max() ?? 1), (y0, y1) = (ys.min() ?? 0, ys.max() ?? 1)
        if x1 - x0 < 1e-12 { x0 -= 1; x1 += 1 }
        if y1 - y0 < 1e-12 { y0 -= 1; y1 += 1 }
        let padX = (x1 - x0) * 0.03, padY = (y1 - y0) * 0.03
        func px(_ v: Double) -> Double { left + (v - x0 + padX) / (x1 - x0 + 2 * padX) * plotW }
        func py(_ v: Double) -> Double { top + plotH - (v - y0 + padY) / (y1 - y0 + 2 * padY) * plotH }
        let labels = classes ?? [Int](repeating: 0, count: x.count)
        let names = classes == nil ? ["all"] : classNames
        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(left + plotW / 2))" y="26" text-anchor="middle" font-size="15">\(escape(title))</text>
            <rect x="\(f(left))" y="\(f(top))" width="\(f(plotW))" height="\(f(plotH))" fill="none" stroke="#444"/>
            <text x="\(f(left + plotW / 2))" y="\(f(top + plotH + 34))" text-anchor="middle">\(escape(xLabel))</text>
            <text x="16" y="\(f(top + plotH / 2))" text-anchor="middle" transform="rotate(-90 16 \(f(top + plotH / 2)))">\(escape(yLabel))</text>
            <text x="\(f(left))" y="\(f(top + plotH + 16))" fill="#666">\(g(x0))</text>
            <text x="\(f(left + plotW))" y="\(f(top + plotH + 16))" text-anchor="end" fill="#666">\(g(x1))</text>
            <text x="\(f(left - 4))" y="\(f(top + plotH))" text-anchor="end" fill="#666">\(g(y0))</text>
            <text x="\(f(left - 4))" y="\(f(top + 10))" text-anchor="end" fill="#666">\(g(y1))</text>

            """
        // One group per class, drawn in class order.
        var counts = [Int](repeating: 0, count: names.count)
        for c in 0..<names.count {
            let rows = finite.filter { labels[$0] == c }
            counts[c] = rows.count
            if rows.isEmpty { continue }
            s += "<g fill=\"\(palette[c % palette.count])\" fill-opacity=\"0.75\">"
            for i in rows { s += "<circle cx=\"\(f(px(x[i])))\" cy=\"\(f(py(y[i])))\" r=\"2.4\"/>" }
            s += "</g>\n"
        }
        let legendX = left + plotW + 24
        s += "<text x=\"\(f(legendX))\" y=\"\(f(top + 4))\" font-weight=\"bold\">\(escape(classes == nil ? "rows" : legendTitle))</text>\n"
        for (c, name) in names.enumerated() {
            let yPos = top + 22 + Double(c) * 18
            if yPos > height - 10 { break }
            s += "<circle cx=\"\(f(legendX + 5))\" cy=\"\(f(yPos - 4))\" r=\"5\" fill=\"\(palette[c % palette.count])\"/>"
            s += "<text x=\"\(f(legendX + 16))\" y=\"\(f(yPos))\">\(escape(name)) (\(counts[c]))</text>\n"
        }
        return s + "</svg>\n"
    }

    private static func f(_ v: Double) -> String { SVG.number(v) }
    private static func escape(_ s: String) -> String { SVG.escape(s) }

    private static func g(_ v: Double) -> String { String(format: "%.4g", v) }
}
