/// A minimal SVG/XML writer: escaped text and attributes, numbers in a fixed short format, so
/// that every picture nnrun writes is well-formed XML (tests parse them) and byte-stable.
public enum SVG {
    /// Escapes `&`, `<`, `>`, `"` and `'` for XML text and attribute values; drops control
    /// characters XML 1.0 does not allow.
    public static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            default: if u.value >= 0x20 { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    /// A coordinate with at most two decimals, no trailing zeros (`12`, `3.5`, `-0.25`).
    public static func number(_ v: Double) -> String {
        // Far outside any drawing (a value that exploded): pinned, so it still parses.
        guard v.isFinite else { return "0" }
        let r = (max(-1e9, min(1e9, v)) * 100).rounded() / 100
        if r == r.rounded() { return String(Int(r)) }
        var s = formatFixed(r, decimals: 2)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    /// `<name a="v" ...>` + children + `</name>`, or `<name .../>` without children.
    public static func element(_ name: String, _ attributes: [(String, String)], _ children: String = "") -> String {
        let attrs = attributes.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
        return children.isEmpty ? "<\(name)\(attrs)/>" : "<\(name)\(attrs)>\(children)</\(name)>"
    }

    /// A text element with escaped content.
    public static func text(_ s: String, x: Double, y: Double, anchor: String = "start", size: Double = 11,
                            fill: String = "#333", extra: [(String, String)] = []) -> String {
        element("text", [("x", number(x)), ("y", number(y)), ("font-size", number(size)), ("text-anchor", anchor),
                         ("fill", fill)] + extra, escape(s))
    }

    /// A whole SVG document of `width` x `height` user units.
    public static func document(width: Double, height: Double, _ body: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(number(width))\" height=\"\(number(height))\" "
            + "viewBox=\"0 0 \(number(width)) \(number(height))\" font-family=\"sans-serif\">\n" + body + "</svg>\n"
    }
}
