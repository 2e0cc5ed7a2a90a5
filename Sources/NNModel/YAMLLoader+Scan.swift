import NNConfig

/// A 1-based line and column (columns count Unicode scalars, as libyaml does).
struct TextPosition: Hashable {
    var line: Int
    var column: Int
}

/// A problem found by a pre-scan, before libyaml sees the text.
struct ScanProblem {
    var line: Int
    var column: Int
    var message: String
}

extension YAMLLoader {
    /// The first control character (other than tab and line breaks), DEL, C1 control, stray BOM or
    /// non-character in `text` (a leading BOM is removed before this check).
    static func firstControlCharacter(_ text: String) -> ScanProblem? {
        var line = 1, column = 1, previous: Unicode.Scalar = " "
        for u in text.unicodeScalars {
            defer { previous = u }
            let v = u.value
            if u == "\n" {
                if previous != "\r" { line += 1 }
                column = 1
                continue
            }
            if u == "\r" { line += 1; column = 1; continue }
            let bad = (v < 0x20 && u != "\t") || v == 0x7F || (0x80...0x9F).contains(v) && v != 0x85
                || v == 0xFFFE || v == 0xFFFF || v == 0xFEFF
            if bad {
                let hex = String(v, radix: 16, uppercase: true)
                let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                let name = v == 0 ? "NUL character" : "control character"
                return ScanProblem(line: line, column: column, message: "\(name) (\(code)) is not allowed in a config")
            }
            column += 1
        }
        return nil
    }

    /// Finds anchors (`&x`), aliases (`*x`), merge keys (`<<`) and flow nesting deeper than
    /// `maxDepth` without parsing: a small scanner that knows where a YAML node can start and skips
    /// quoted strings, comments and block scalars. It errs on the side of refusing.
    static func prescan(_ text: String, maxDepth: Int) -> ScanProblem? {
        var scanner = PreScanner(Array(text.unicodeScalars), maxDepth: maxDepth)
        return scanner.run()
    }

    /// `text` with the scalar at `position` (a duplicated mapping key) made unique by replacing one
    /// character with a private-use character; nil when the key cannot be renamed safely.
    static func renamingKey(in text: String, at position: TextPosition, attempt: Int) -> String? {
        var scalars = Array(text.unicodeScalars)
        guard var i = scalarIndex(of: position, in: scalars) else { return nil }
        let c = scalars[i]
        if c == "\"" || c == "'" {
            i += 1
            guard i < scalars.count, scalars[i] != c, scalars[i] != "\\", !isBreak(scalars[i]) else { return nil }
        } else if "[]{}&*!|>#,%@`".unicodeScalars.contains(c) || c == " " || isBreak(c) {
            return nil
        }
        guard let replacement = Unicode.Scalar(0xE000 + UInt32(attempt % 0x1000)) else { return nil }
        scalars[i] = replacement
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }

    /// The character at a 1-based line and column, if any.
    static func character(in text: String, line: Int, column: Int) -> Unicode.Scalar? {
        let scalars = Array(text.unicodeScalars)
        return scalarIndex(of: TextPosition(line: line, column: column), in: scalars).map { scalars[$0] }
    }

    /// Line and column of the `offset`-th Character of `text`.
    static func position(ofCharacterOffset offset: Int, in text: String) -> TextPosition? {
        guard let end = text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex) else { return nil }
        var position = TextPosition(line: 1, column: 1)
        var previous: Unicode.Scalar = " "
        for u in text[..<end].unicodeScalars {
            if u == "\n" {
                if previous != "\r" { position.line += 1 }
                position.column = 1
            } else if u == "\r" {
                position.line += 1
                position.column = 1
            } else {
                position.column += 1
            }
            previous = u
        }
        return position
    }

    static func scalarIndex(of position: TextPosition, in scalars: [Unicode.Scalar]) -> Int? {
        var line = 1, i = 0
        while line < position.line, i < scalars.count {
            if scalars[i] == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
            if isBreak(scalars[i]) { line += 1 }
            i += 1
        }
        let index = i + position.column - 1
        guard line == position.line, position.column >= 1, index < scalars.count else { return nil }
        guard !scalars[i..<index].contains(where: isBreak) else { return nil }
        return index
    }

    static func isBreak(_ c: Unicode.Scalar) -> Bool { c == "\n" || c == "\r" }
}

/// The state machine behind `YAMLLoader.prescan`.
private struct PreScanner {
    enum Indicator { case lineStart, dash, colon }

    let s: [Unicode.Scalar]
    let maxDepth: Int
    var i = 0, line = 1, column = 1
    var flow = 0
    /// True where a node (and so an anchor, alias, quote or flow collection) may begin.
    var nodeStart = true
    var lastIndicator = Indicator.lineStart
    var indicatorIndent = 0, entryIndent = 0, lineIndent = 0
    /// Inside a block scalar: lines indented more than this belong to it.
    var blockThreshold: Int?
    var afterQuoted = false

    init(_ s: [Unicode.Scalar], maxDepth: Int) {
        self.s = s
        self.maxDepth = maxDepth
    }

    func at(_ j: Int) -> Unicode.Scalar? { j < s.count ? s[j] : nil }
    func blankOrEnd(_ j: Int) -> Bool {
        guard let c = at(j) else { return true }
        return c == " " || c == "\t" || YAMLLoader.isBreak(c)
    }
    func problem(_ message: String) -> ScanProblem { ScanProblem(line: line, column: column, message: message) }

    mutating func advance(_ k: Int = 1) { i += k; column += k }

    mutating func newline() {
        if s[i] == "\r", at(i + 1) == "\n" { i += 1 }
        i += 1
        line += 1
        column = 1
    }

    mutating func skipToLineEnd() {
        while let c = at(i), !YAMLLoader.isBreak(c) { advance() }
    }

    mutating func run() -> ScanProblem? {
        startLine()
        while i < s.count {
            let c = s[i]
            if YAMLLoader.isBreak(c) { newline(); startLine(); continue }
            if c == " " || c == "\t" { advance(); continue }
            if c == "#", i == 0 || blankOrEnd(i - 1) { skipToLineEnd(); continue }
            if nodeStart {
                if let found = nodeStartCharacter(c) { return found }
            } else if let found = insideScalar(c) {
                return found
            }
        }
        return nil
    }

    /// Handles the start of a line: block scalar content, indentation, document markers.
    mutating func startLine() {
        while i < s.count {
            var j = i
            while at(j) == " " { j += 1 }
            let indent = j - i
            if let threshold = blockThreshold {
                var k = j
                while at(k) == " " || at(k) == "\t" { k += 1 }
                if at(k) == nil || YAMLLoader.isBreak(s[k]) || indent > threshold {
                    advance(k - i)
                    skipToLineEnd()
                    if i < s.count { newline() }
                    continue
                }
                blockThreshold = nil
            }
            advance(indent)
            if flow == 0 {
                nodeStart = true
                lastIndicator = .lineStart
                lineIndent = indent
            }
            if indent == 0, flow == 0, let c = at(i), c == "-" || c == ".", at(i + 1) == c, at(i + 2) == c, blankOrEnd(i + 3) {
                advance(3)
            }
            return
        }
    }

    mutating func nodeStartCharacter(_ c: Unicode.Scalar) -> ScanProblem? {
        switch c {
        case "&", "*":
            return problem(YAMLLoader.anchorMessage)
        case "<" where at(i + 1) == "<":
            var j = i + 2
            while at(j) == " " { j += 1 }
            if at(j) == ":" { return problem(YAMLLoader.mergeMessage) }
            beginScalar()
        case "\"", "'":
            beginScalar()
            skipQuoted(c)
            afterQuoted = true
        case "[", "{":
            return openFlow()
        case "]", "}", ",":
            return insideScalar(c)
        case "|" where flow == 0, ">" where flow == 0:
            switch lastIndicator {
            case .colon: blockThreshold = entryIndent
            case .dash: blockThreshold = indicatorIndent
            case .lineStart: blockThreshold = lineIndent - 1
            }
            skipToLineEnd()
        case "-" where flow == 0 && blankOrEnd(i + 1), "?" where flow == 0 && blankOrEnd(i + 1),
             ":" where flow == 0 && blankOrEnd(i + 1):
            indicatorIndent = column - 1
            lastIndicator = c == "-" || c == "?" ? .dash : .colon
            if c == ":" { entryIndent = column - 1 }
            advance()
        case ":" where flow > 0:
            advance()
        case "!":
            while !blankOrEnd(i) { advance() }
        case "%" where column == 1:
            skipToLineEnd()
        default:
            beginScalar()
            advance()
        }
        return nil
    }

    /// A character after the start of a scalar (or after a closed collection).
    mutating func insideScalar(_ c: Unicode.Scalar) -> ScanProblem? {
        if c == ":", blankOrEnd(i + 1) || (flow > 0 && (afterQuoted || at(i + 1).map { ",[]{}".unicodeScalars.contains($0) } == true)) {
            nodeStart = true
            lastIndicator = .colon
            afterQuoted = false
            advance()
            return nil
        }
        afterQuoted = false
        if flow > 0 {
            switch c {
            case ",": nodeStart = true
            case "[", "{": return openFlow()
            case "]", "}": flow -= 1; nodeStart = false
            default: break
            }
        }
        advance()
        return nil
    }

    mutating func openFlow() -> ScanProblem? {
        flow += 1
        if flow > maxDepth { return problem(YAMLLoader.depthMessage) }
        nodeStart = true
        advance()
        return nil
    }

    /// Records where a block entry's key begins (for block scalar indentation) and leaves node start.
    mutating func beginScalar() {
        if flow == 0, lastIndicator != .colon { entryIndent = column - 1 }
        nodeStart = false
    }

    /// Skips a quoted scalar (possibly over several lines); stops at the end of text if unclosed.
    mutating func skipQuoted(_ quote: Unicode.Scalar) {
        advance()
        while let c = at(i) {
            if YAMLLoader.isBreak(c) { newline(); continue }
            if c == "\\", quote == "\"" {
                advance()
                if let next = at(i), !YAMLLoader.isBreak(next) { advance() }
                continue
            }
            if c == quote {
                advance()
                if quote == "'", at(i) == "'" { advance(); continue }
                return
            }
            advance()
        }
    }
}
