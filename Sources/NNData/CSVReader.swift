import NNConfig

/// A minimal CSV reader for numeric data sets, tracking positions for error messages.
///
/// Rules: the first non-blank line is the header (required); fields are separated by commas;
/// `\n` and `\r\n` line ends are accepted, as are a trailing newline, blank lines (skipped) and a
/// UTF-8 byte-order mark. Spaces and tabs around an unquoted field are ignored. A field may be
/// double-quoted to hold commas, with `""` standing for one quote; a quoted field cannot span
/// lines. Every data row must have as many fields as the header.
///
/// The header is parsed on `init`; rows are parsed by `forEachRow`, straight into whatever the
/// caller builds, so a large file is never held as millions of small strings.
public struct CSVReader: Sendable {
    /// The file name used in error messages.
    public let file: String
    /// Column names, trimmed, in file order.
    public let header: [String]
    let bytes: [UInt8]
    /// Byte offset and 1-based line number of the first line after the header.
    let bodyStart: Int
    let bodyLine: Int

    /// One field of a row: its byte range in the file (quotes and surrounding spaces excluded), the
    /// offset of its first character (the opening quote, if any; for its column), and its text
    /// when it was quoted.
    struct Field {
        var start: Int
        var end: Int
        var fieldStart: Int
        var unescaped: String?
    }

    /// Parses the header of `bytes`. `file` names the file in messages.
    public init(bytes: [UInt8], file: String) throws {
        self.file = file
        self.bytes = bytes
        var pos = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        var fields: [Field] = []
        while pos < bytes.count {
            let (lineEnd, next) = CSVReader.lineBounds(bytes, from: pos)
            if !CSVReader.isBlank(bytes, pos, lineEnd) {
                try CSVReader.split(bytes, pos, lineEnd, line: line, file: file, into: &fields)
                let names = fields.map { CSVReader.text(bytes, $0) }
                var seen: [String: Int] = [:]
                for (i, name) in names.enumerated() {
                    if let first = seen[name] {
                        throw CSVError(location: CSVReader.location(bytes, file, line, pos, fields[i].fieldStart),
                                       message: "duplicate column name \(briefField(name)) (also column \(first + 1) of the header)")
                    }
                    seen[name] = i
                }
                header = names
                bodyStart = next
                bodyLine = line + 1
                return
            }
            pos = next
            line += 1
        }
        throw CSVError(location: SourceLocation(file: file, line: 0, column: 0),
                       message: "the file is empty; expected a header row naming the columns")
    }

    /// Reads the file at `path` (resolved as `DataFile.resolve` does, size-capped) and parses its header.
    public static func open(_ path: String, baseDirectory: String?) throws -> CSVReader {
        let resolved = try DataFile.resolve(path, baseDirectory: baseDirectory)
        return try CSVReader(bytes: DataFile.read(resolved), file: resolved)
    }

    /// The index of the column named `name`, if any.
    public func columnIndex(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// Calls `body` for every data row (blank lines skipped) with the 1-based line number and a
    /// `CSVRow` to read fields from. Throws `CSVError` for a malformed line or a wrong field count,
    /// and passes on whatever `body` throws.
    func forEachRow(_ body: (CSVRow) throws -> Void) throws {
        var pos = bodyStart
        var line = bodyLine
        var fields: [Field] = []
        while pos < bytes.count {
            let (lineEnd, next) = CSVReader.lineBounds(bytes, from: pos)
            if !CSVReader.isBlank(bytes, pos, lineEnd) {
                try CSVReader.split(bytes, pos, lineEnd, line: line, file: file, into: &fields)
                guard fields.count == header.count else {
                    throw CSVError(location: SourceLocation(file: file, line: line, column: 1),
                                   message: "expected \(header.count) fields as in the header, found \(fields.count)")
                }
                try body(CSVRow(reader: self, line: line, lineStart: pos, fields: fields))
            }
            pos = next
            line += 1
        }
    }

    // MARK: Tokenizing

    /// End of the line starting at `pos` (before `\r\n` or `\n`) and the start of the next line.
    static func lineBounds(_ b: [UInt8], from pos: Int) -> (end: Int, next: Int) {
        var i = pos
        while i < b.count, b[i] != 0x0A { i += 1 }
        let next = i < b.count ? i + 1 : i
        let end = i > pos && b[i - 1] == 0x0D ? i - 1 : i
        return (end, next)
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    static func isBlank(_ b: [UInt8], _ start: Int, _ end: Int) -> Bool {
        (start..<end).allSatisfy { isSpace(b[$0]) }
    }

    /// Splits `b[start..<end]` (one line) into fields.
    static func split(_ b: [UInt8], _ start: Int, _ end: Int, line: Int, file: String, into fields: inout [Field]) throws {
        fields.removeAll(keepingCapacity: true)
        var i = start
        while true {
            while i < end, isSpace(b[i]) { i += 1 }
            if i < end, b[i] == 0x22 {  // quoted field
                let quoteAt = i
                var text: [UInt8] = []
                i += 1
                var closed = false
                while i < end {
                    if b[i] == 0x22 {
                        if i + 1 < end, b[i + 1] == 0x22 { text.append(0x22); i += 2; continue }
                        closed = true
                        i += 1
                        break
                    }
                    text.append(b[i])
                    i += 1
                }
                guard closed else {
                    throw CSVError(location: location(b, file, line, start, quoteAt),
                                   message: "unterminated quoted field (a quoted field must end on the same line)")
                }
                while i < end, isSpace(b[i]) { i += 1 }
                guard i == end || b[i] == 0x2C else {
                    throw CSVError(location: location(b, file, line, start, i),
                                   message: "unexpected text after a closing quote; expected a comma or the end of the line")
                }
                fields.append(Field(start: quoteAt + 1, end: i, fieldStart: quoteAt,
                                    unescaped: String(decoding: text, as: UTF8.self)))
            } else {
                let contentStart = i
                while i < end, b[i] != 0x2C { i += 1 }
                var contentEnd = i
                while contentEnd > contentStart, isSpace(b[contentEnd - 1]) { contentEnd -= 1 }
                fields.append(Field(start: contentStart, end: contentEnd, fieldStart: contentStart, unescaped: nil))
            }
            if i >= end { return }
            i += 1  // the comma
        }
    }

    static func text(_ b: [UInt8], _ f: Field) -> String {
        f.unescaped ?? String(decoding: b[f.start..<f.end], as: UTF8.self)
    }

    /// `file:line:column` of byte `offset` on the line starting at `lineStart`; the column counts
    /// characters, not bytes, from 1.
    static func location(_ b: [UInt8], _ file: String, _ line: Int, _ lineStart: Int, _ offset: Int) -> SourceLocation {
        let prefix = String(decoding: b[lineStart..<max(lineStart, offset)], as: UTF8.self)
        return SourceLocation(file: file, line: line, column: prefix.count + 1)
    }
}

/// One data row of a `CSVReader`, valid during the `forEachRow` callback.
struct CSVRow {
    let reader: CSVReader
    let line: Int
    let lineStart: Int
    let fields: [CSVReader.Field]

    /// The text of field `i`.
    func text(_ i: Int) -> String { CSVReader.text(reader.bytes, fields[i]) }

    /// Field `i` as a finite Float (correctly rounded from the decimal text).
    func number(_ i: Int) throws -> Float {
        let t = text(i)
        if let v = Float(t), v.isFinite { return v }
        let expected: String
        if t.isEmpty {
            expected = "received an empty cell, expected a finite number"
        } else if let d = Double(t), d.isFinite {
            expected = "received \(briefField(t)), expected a finite number within the 32-bit float range"
        } else {
            expected = "received \(briefField(t)), expected a finite number"
        }
        throw error(field: i, expected)
    }

    /// A `CSVError` at the start of field `i`, naming its column.
    func error(field i: Int, _ message: String) -> CSVError {
        CSVError(location: CSVReader.location(reader.bytes, reader.file, line, lineStart, fields[i].fieldStart),
                 columnName: reader.header[i], message: message)
    }
}
