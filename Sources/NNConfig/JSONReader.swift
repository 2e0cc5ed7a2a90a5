/// A JSON syntax error at a byte offset of the text parsed.
public struct JSONSyntaxError: Error {
    public var offset: Int
    public var line: Int
    public var column: Int
    public var message: String
}

/// A strict JSON reader (RFC 8259) producing `ConfigNode`s with `file:line:column` positions:
/// numbers become unquoted scalars (their text kept, the reader of a field decides the type),
/// strings quoted scalars, `true`/`false` unquoted scalars, `null` null. Objects keep their key
/// order and a repeated key is an error (a JSON object with two entries of one name is ambiguous,
/// and the safetensors reference rejects duplicate tensor names). Nesting is capped at 64, so a
/// hostile file cannot exhaust the stack. Used for the safetensors header and for `model.json`.
public struct JSONReader {
    static let maxDepth = 64
    private let bytes: [UInt8]
    private let file: String
    private var i = 0
    private var line = 1
    private var lineStart = 0

    /// Parses `bytes[range]` as one JSON value with only whitespace around it.
    public static func parse(_ bytes: [UInt8], _ range: Range<Int>? = nil, file: String) throws(JSONSyntaxError) -> ConfigNode {
        var p = JSONReader(bytes: range.map { Array(bytes[$0]) } ?? bytes, file: file)
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i != p.bytes.count { throw p.fail("unexpected text after the JSON value") }
        return v
    }

    private var location: SourceLocation { SourceLocation(file: file, line: line, column: i - lineStart + 1) }

    private mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) {
            if bytes[i] == 0x0A { line += 1; lineStart = i + 1 }
            i += 1
        }
    }

    private func fail(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: i, line: line, column: i - lineStart + 1, message: message)
    }

    private mutating func value(depth: Int) throws(JSONSyntaxError) -> ConfigNode {
        guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end of the JSON text") }
        let at = location
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["):
            i += 1
            var items: [ConfigNode] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return ConfigNode(.sequence(items), location: at) }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated array") }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return ConfigNode(.sequence(items), location: at) }
                guard bytes[i] == UInt8(ascii: ",") else { throw fail("expected , or ] in an array") }
                i += 1
            }
        case UInt8(ascii: "\""): return ConfigNode(.scalar(text: try string(), quoted: true), location: at)
        case UInt8(ascii: "t"): try literal("true"); return ConfigNode(.scalar(text: "true", quoted: false), location: at)
        case UInt8(ascii: "f"): try literal("false"); return ConfigNode(.scalar(text: "false", quoted: false), location: at)
        case UInt8(ascii: "n"): try literal("null"); return ConfigNode(.null, location: at)
        default: return ConfigNode(.scalar(text: try number(), quoted: false), location: at)
        }
    }

    private mutating func object(depth: Int) throws(JSONSyntaxError) -> ConfigNode {
        let at = location
        i += 1
        var entries: [ConfigNode.Entry] = []
        var seen = Set<String>()
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return ConfigNode(.mapping(entries), location: at) }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key in an object") }
            let keyAt = location
            let keyError = fail("")
            let key = try string()
            guard seen.insert(key).inserted else {
                throw JSONSyntaxError(offset: keyError.offset, line: keyError.line, column: keyError.column, message: "duplicate key \"\(key)\"")
            }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected : after a key") }
            i += 1
            entries.append(ConfigNode.Entry(key: key, keyLocation: keyAt, value: try value(depth: depth + 1)))
            skipSpace()
            guard i < bytes.count else { throw fail("unterminated object") }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return ConfigNode(.mapping(entries), location: at) }
            guard bytes[i] == UInt8(ascii: ",") else { throw fail("expected , or } in an object") }
            i += 1
        }
    }
    private mutating func literal(_ word: String) throws(JSONSyntaxError) {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else { throw fail("invalid literal") }
        i += w.count
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, returned as its text.
    private mutating func number() throws(JSONSyntaxError) -> String {
        let start = i
        func isDigit(_ k: Int) -> Bool { k < bytes.count && bytes[k] >= 48 && bytes[k] <= 57 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { throw fail("invalid value") }
        if bytes[i] == UInt8(ascii: "0") { i += 1 } else { while isDigit(i) { i += 1 } }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { throw fail("invalid number") }
            while isDigit(i) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { throw fail("invalid number") }
            while isDigit(i) { i += 1 }
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    /// A string literal; the bytes must be valid UTF-8 and control characters must be escaped.
    private mutating func string() throws(JSONSyntaxError) -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("unterminated string") }
            let c = bytes[i]
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("a string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { throw fail("unterminated string") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): out += try unicodeEscape()
                default: throw fail("invalid escape in a string")
                }
            case 0..<0x20: throw fail("a control character in a string")
            default: out.append(c)
            }
        }
    }

    /// The UTF-8 bytes of a `\uXXXX` escape (after the `u`), joining surrogate pairs.
    private mutating func unicodeEscape() throws(JSONSyntaxError) -> [UInt8] {
        func hex4() throws(JSONSyntaxError) -> UInt32 {
            guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
                throw fail("invalid \\u escape")
            }
            i += 4
            return v
        }
        var v = try hex4()
        if (0xD800..<0xDC00).contains(v) {
            guard i + 2 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                throw fail("unpaired surrogate in a \\u escape")
            }
            i += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in a \\u escape") }
            v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(v) else { throw fail("invalid \\u escape") }
        return Array(String(scalar).utf8)
    }
}
