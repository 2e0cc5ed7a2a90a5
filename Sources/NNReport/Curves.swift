/// Learning curves as SVG (`curves.svg`, and the overlay of `nnrun plot`).
///
/// One panel per metric (`loss` first, then e.g. `accuracy`), epochs on x. For a single run the
/// training curve is blue, the validation curve red, and the area between them is shaded: that
/// band is the generalisation gap, which widens when the model overfits. The best epoch is marked
/// by a green dashed line and the early-stop epoch by a grey one. With several runs, each run has
/// one colour, training solid and validation dashed, and no shading. Non-finite values (a diverged
/// loss) leave a hole in the line. The y range covers the finite values of the panel, plus 5%.
public enum Curves {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
    static let (plotWidth, plotHeight) = (360.0, 220.0)
    static let (left, right, top, bottom) = (56.0, 16.0, 34.0, 40.0)

    /// The SVG document for `runs` (one run: train against validation; several: overlaid).
    public static func svg(_ runs: [RunHistory]) -> String {
        var metrics: [String] = []
        for run in runs { for m in run.metrics where !metrics.contains(m) { metrics.append(m) } }
        if metrics.isEmpty { metrics = ["loss"] }
        let panelWidth = left + plotWidth + right, panelHeight = top + plotHeight + bottom
        let legendHeight = 18.0 * Double(runs.count > 1 ? runs.count : 1) + 8
        var body = ""
        for (i, metric) in metrics.enumerated() {
            body += panel(metric, runs, x0: Double(i) * panelWidth, y0: 0)
        }
        body += legend(runs, y0: panelHeight)
        return SVG.document(width: panelWidth * Double(metrics.count), height: panelHeight + legendHeight,
                            SVG.element("rect", [("width", "100%"), ("height", "100%"), ("fill", "white")]) + "\n" + body)
    }

    /// (training, validation) values of `metric` in `run`.
    static func series(_ run: RunHistory, _ metric: String) -> (train: [Double]?, validation: [Double]?) {
        (run.columns[metric], run.columns["val_" + metric])
    }

    static func panel(_ metric: String, _ runs: [RunHistory], x0: Double, y0: Double) -> String {
        let all = runs.flatMap { r -> [Double] in let s = series(r, metric); return (s.train ?? []) + (s.validation ?? []) }
            .filter(\.isFinite)
        var (lo, hi) = (all.min() ?? 0, all.max() ?? 1)
        if hi - lo < 1e-12 { (lo, hi) = (lo - 0.5, hi + 0.5) }
        let pad = (hi - lo) * 0.05
        (lo, hi) = (lo - pad, hi + pad)
        let epochs = max(1, runs.map(\.epochCount).max() ?? 1)
        let ox = x0 + left, oy = y0 + top
        func px(_ epoch: Int) -> Double { epochs == 1 ? ox + plotWidth / 2 : ox + Double(epoch - 1) / Double(epochs - 1) * plotWidth }
        func py(_ v: Double) -> Double { oy + (hi - v) / (hi - lo) * plotHeight }

        var s = "<g class=\"panel\" id=\"panel-\(SVG.escape(metric))\">\n"
        s += SVG.element("rect", [("x", SVG.number(ox)), ("y", SVG.number(oy)), ("width", SVG.number(plotWidth)),
                                  ("height", SVG.number(plotHeight)), ("fill", "#fafafa"), ("stroke", "#999")]) + "\n"
        s += SVG.text(metric, x: ox + plotWidth / 2, y: y0 + 20, anchor: "middle", size: 14, fill: "#000") + "\n"
        for k in 0...4 {
            let v = lo + (hi - lo) * Double(k) / 4, y = py(v)
            s += SVG.element("line", [("x1", SVG.number(ox)), ("x2", SVG.number(ox + plotWidth)), ("y1", SVG.number(y)),
                                      ("y2", SVG.number(y)), ("stroke", "#e0e0e0")]) + "\n"
            s += SVG.text(tick(v, span: hi - lo), x: ox - 6, y: y + 4, anchor: "end", size: 10) + "\n"
        }
        let step = max(1, Int((Double(epochs) / 8).rounded(.up)))
        for e in stride(from: 1, through: epochs, by: step) {
            s += SVG.text(String(e), x: px(e), y: oy + plotHeight + 14, anchor: "middle", size: 10) + "\n"
        }
        s += SVG.text("epoch", x: ox + plotWidth / 2, y: oy + plotHeight + 30, anchor: "middle", size: 11) + "\n"

        if runs.count == 1, let train = series(runs[0], metric).train, let val = series(runs[0], metric).validation {
            s += gap(train, val, px, py)
        }
        for (r, run) in runs.enumerated() {
            let (train, val) = series(run, metric)
            let trainColor = runs.count == 1 ? palette[0] : palette[r % palette.count]
            let valColor = runs.count == 1 ? palette[1] : trainColor
            if let train { s += line(train, trainColor, dashed: false, px, py, label: "\(run.name) \(metric)") }
            if let val { s += line(val, valColor, dashed: runs.count > 1, px, py, label: "\(run.name) val_\(metric)") }
            for (epoch, color, name) in [(run.bestEpoch, "#2ca02c", "best"), (run.stoppedEpoch, "#777", "stopped")] {
                guard let epoch, epoch >= 1, epoch <= epochs else { continue }
                let x = px(epoch)
                s += SVG.element("line", [("class", name), ("x1", SVG.number(x)), ("x2", SVG.number(x)), ("y1", SVG.number(oy)),
                                          ("y2", SVG.number(oy + plotHeight)), ("stroke", color), ("stroke-width", "1.5"),
                                          ("stroke-dasharray", "5,3")]) + "\n"
                s += SVG.text("\(name) \(epoch)", x: x + 3, y: oy + (name == "best" ? 12 : 24), size: 10, fill: color) + "\n"
            }
        }
        return s + "</g>\n"
    }

    /// The shaded band between training and validation values, where both are finite.
    static func gap(_ a: [Double], _ b: [Double], _ px: (Int) -> Double, _ py: (Double) -> Double) -> String {
        let n = min(a.count, b.count)
        let idx = (0..<n).filter { a[$0].isFinite && b[$0].isFinite }
        guard idx.count >= 2 else { return "" }
        let upper = idx.map { "\(SVG.number(px($0 + 1))),\(SVG.number(py(a[$0])))" }
        let lower = idx.reversed().map { "\(SVG.number(px($0 + 1))),\(SVG.number(py(b[$0])))" }
        return SVG.element("polygon", [("class", "gap"), ("points", (upper + lower).joined(separator: " ")),
                                       ("fill", "#d62728"), ("fill-opacity", "0.12"), ("stroke", "none")]) + "\n"
    }

    /// A polyline per run of finite values, and a dot per point.
    static func line(_ values: [Double], _ color: String, dashed: Bool, _ px: (Int) -> Double, _ py: (Double) -> Double,
                     label: String) -> String {
        var s = "", segment: [String] = []
        func flush() {
            if segment.count > 1 {
                s += SVG.element("polyline", [("points", segment.joined(separator: " ")), ("fill", "none"), ("stroke", color),
                                              ("stroke-width", "2")] + (dashed ? [("stroke-dasharray", "6,4")] : []),
                                 SVG.element("title", [], SVG.escape(label))) + "\n"
            }
            segment = []
        }
        for (i, v) in values.enumerated() {
            guard v.isFinite else { flush(); continue }
            let point = (px(i + 1), py(v))
            segment.append("\(SVG.number(point.0)),\(SVG.number(point.1))")
            s += SVG.element("circle", [("cx", SVG.number(point.0)), ("cy", SVG.number(point.1)), ("r", "2"), ("fill", color)]) + "\n"
        }
        flush()
        return s
    }

    static func legend(_ runs: [RunHistory], y0: Double) -> String {
        var s = "", y = y0 + 12
        func entry(_ x: Double, _ color: String, dashed: Bool, _ text: String) -> String {
            SVG.element("line", [("x1", SVG.number(x)), ("x2", SVG.number(x + 24)), ("y1", SVG.number(y - 4)), ("y2", SVG.number(y - 4)),
                                 ("stroke", color), ("stroke-width", "2")] + (dashed ? [("stroke-dasharray", "6,4")] : []))
                + SVG.text(text, x: x + 30, y: y, size: 11) + "\n"
        }
        if runs.count <= 1 {
            s += entry(left, palette[0], dashed: false, "training")
            s += entry(left + 120, palette[1], dashed: false, "validation (shaded: the gap)")
        } else {
            for (r, run) in runs.enumerated() {
                s += entry(left, palette[r % palette.count], dashed: false, "\(run.name) training")
                s += entry(left + 220, palette[r % palette.count], dashed: true, "\(run.name) validation")
                y += 18
            }
        }
        return s
    }

    /// A tick label with enough decimals for the axis span.
    static func tick(_ v: Double, span: Double) -> String {
        let decimals = span >= 10 ? 0 : span >= 1 ? 1 : span >= 0.1 ? 2 : span >= 0.01 ? 3 : 4
        return formatFixed(v, decimals: decimals)
    }
}

/// `v` with exactly `decimals` digits after the point (no Foundation needed).
func formatFixed(_ v: Double, decimals: Int) -> String {
    guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
    var p = 1.0
    for _ in 0..<decimals { p *= 10 }
    let scaled = (abs(v) * p).rounded()
    // Beyond 2^53 the digits are not exact integers any more (an exploding loss): exponent form.
    guard scaled < 9e15 else { return "\(v)" }
    let whole = Int(scaled / p), frac = Int(scaled - Double(whole) * p)
    let sign = v < 0 && scaled != 0 ? "-" : ""
    guard decimals > 0 else { return sign + String(whole) }
    let f = String(frac)
    return sign + "\(whole)." + String(repeating: "0", count: decimals - f.count) + f
}
