/// A small image for a grid: pixel values (H·W·C, NHWC without N, any range), its shape and a
/// caption (e.g. `true 3, predicted 8`).
public struct ImageTile: Sendable, Equatable {
    public var pixels: [Double]
    /// [H, W, C] (or [H, W]); C = 3 is drawn in colour, otherwise channel 0 in grey.
    public var shape: [Int]
    public var caption: String

    public init(pixels: [Double], shape: [Int], caption: String) {
        self.pixels = pixels
        self.shape = shape
        self.caption = caption
    }
}

/// A grid of images as SVG, each pixel a `<rect>` (fine for the small images of the course: an
/// 8x8 digit is 64 rects, a 28x28 one 784), grey levels from each tile's own min (white) to max
/// (black), as the digits are usually shown. Each tile is `cell` units wide, its caption below.
public enum ImageGrid {
    public static func svg(_ tiles: [ImageTile], columns: Int = 8, cell: Double = 64, title: String? = nil) -> String {
        let cols = max(1, min(columns, tiles.count)), rows = (tiles.count + cols - 1) / cols
        let captionHeight = 16.0, gap = 10.0, titleHeight = title == nil ? 0 : 24.0
        let width = Double(cols) * (cell + gap) + gap
        let height = titleHeight + Double(max(rows, 1)) * (cell + captionHeight + gap) + gap
        var body = SVG.element("rect", [("width", "100%"), ("height", "100%"), ("fill", "white")]) + "\n"
        if let title { body += SVG.text(title, x: gap, y: 17, size: 14, fill: "#000") + "\n" }
        for (i, tile) in tiles.enumerated() {
            let x = gap + Double(i % cols) * (cell + gap), y = titleHeight + gap + Double(i / cols) * (cell + captionHeight + gap)
            body += "<g class=\"tile\">" + pixels(tile, x: x, y: y, size: cell)
                + SVG.text(tile.caption, x: x + cell / 2, y: y + cell + 12, anchor: "middle", size: 10) + "</g>\n"
        }
        return SVG.document(width: width, height: height, body)
    }

    /// The rects of one tile inside a `size` x `size` box at (x, y), aspect ratio kept.
    static func pixels(_ tile: ImageTile, x: Double, y: Double, size: Double) -> String {
        guard tile.shape.count >= 2, tile.shape.allSatisfy({ $0 > 0 }) else { return "" }
        let h = tile.shape[0], w = tile.shape[1], c = tile.shape.count > 2 ? tile.shape[2] : 1
        guard tile.pixels.count >= h * w * c else { return "" }
        let finite = tile.pixels.filter(\.isFinite)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 1, span = hi > lo ? hi - lo : 1
        let p = size / Double(max(h, w))
        var s = SVG.element("rect", [("x", SVG.number(x)), ("y", SVG.number(y)), ("width", SVG.number(p * Double(w))),
                                     ("height", SVG.number(p * Double(h))), ("fill", "white"), ("stroke", "#ccc")])
        func level(_ v: Double) -> Int {
            let x = ((v - lo) / span * 255).rounded()
            return x.isFinite ? Int(max(0, min(255, x))) : 0
        }
        for row in 0..<h {
            for col in 0..<w {
                let base = (row * w + col) * c
                let fill: String
                if c == 3 {
                    fill = "rgb(\(level(tile.pixels[base])),\(level(tile.pixels[base + 1])),\(level(tile.pixels[base + 2])))"
                } else {
                    let g = 255 - level(tile.pixels[base])
                    if g == 255 { continue }
                    fill = "rgb(\(g),\(g),\(g))"
                }
                s += SVG.element("rect", [("x", SVG.number(x + Double(col) * p)), ("y", SVG.number(y + Double(row) * p)),
                                          ("width", SVG.number(p + 0.05)), ("height", SVG.number(p + 0.05)), ("fill", fill)])
            }
        }
        return s
    }
}
