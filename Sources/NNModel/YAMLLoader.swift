import Foundation
import NNConfig
import Yams

/// Reads YAML (and JSON, a subset of YAML) configuration files into `ConfigNode` trees, with every
/// node and key carrying its `file:line:column`.
///
/// Hazards of YAML and libyaml are refused up front, each with a one-line `ConfigError`
/// (reliability.md §3): oversized files (checked before reading), invalid UTF-8, control
/// characters, anchors/aliases/merge keys (refused *before* composing, so an alias bomb never
/// reaches Yams), nesting deeper than `maxDepth`, several documents, duplicate keys (both lines
/// named) and syntax errors (one line, never Yams' multi-line source dump).
public enum YAMLLoader {
    /// Largest config file accepted, in bytes (1 MiB).
    public static let maxBytes = 1 << 20
    /// Deepest nesting of lists and mappings accepted.
    public static let maxDepth = 64

    /// Most duplicate keys located precisely in one small file (each costs one more compose).
    static let maxDuplicateRenames = 20

    /// Reads and parses a config file. Errors are ConfigErrors (each a ConfigError with file:line:col).
    public static func load(path: String) throws -> ConfigNode {
        let data = try readBounded(path: path)
        let text = try decodeUTF8(data, file: path)
        return try parse(text, file: path)
    }

    /// Parses YAML text; `file` names the source in error locations. An empty document is an error.
    /// A leading UTF-8 byte order mark is ignored.
    public static func parse(_ text: String, file: String) throws -> ConfigNode {
        guard let node = try compose(text, file: file), node.kind != .null else {
            throw ConfigErrors([fileError(file, "config is empty")])
        }
        return node
    }

    /// Parses one value (a `--set` right-hand side): like `parse`, but empty text reads as `null`.
    static func parseValue(_ text: String, file: String) throws -> ConfigNode {
        try compose(text, file: file) ?? ConfigNode(.null, location: SourceLocation(file: file, line: 1, column: 1))
    }

    // MARK: Reading the file

    /// The file's bytes, refusing missing files, directories and files over `maxBytes` (checked with
    /// the file's attributes before reading, and again by reading at most `maxBytes + 1` bytes).
    static func readBounded(path: String) throws -> Data {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigErrors([fileError(path, "no such file")])
        }
        if isDirectory.boolValue {
            throw ConfigErrors([fileError(path, "is a directory, not a config file")])
        }
        if let size = fileSize(path), size > maxBytes {
            throw ConfigErrors([tooLarge(path, size)])
        }
        guard fm.isReadableFile(atPath: path), let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigErrors([fileError(path, "cannot read the file (permission denied?)")])
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            throw ConfigErrors([fileError(path, "cannot read the file: \(oneLine("\(error)", limit: 120))")])
        }
        if data.count > maxBytes { throw ConfigErrors([tooLarge(path, data.count)]) }
        return data
    }

    private static func fileSize(_ path: String) -> Int? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        switch attributes[.size] {
        case let n as NSNumber: return n.intValue
        case let n as UInt64: return Int(clamping: n)
        case let n as Int: return n
        default: return nil
        }
    }

    private static func tooLarge(_ path: String, _ size: Int) -> ConfigError {
        fileError(path, "file is \(size) bytes, larger than the limit of \(maxBytes) bytes (1 MiB) for a config")
    }

    /// Decodes UTF-8 strictly; an invalid sequence is reported with its byte offset and position.
    static func decodeUTF8(_ data: Data, file: String) throws -> String {
        let bytes = [UInt8](data)
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                offset += encoded.count
            case .emptyInput:
                return String(decoding: bytes, as: UTF8.self)
            case .error:
                let before = bytes[..<offset]
                let lineStart = (before.lastIndex(of: 0x0A)).map { $0 + 1 } ?? 0
                let line = before.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
                let column = bytes[lineStart..<offset].reduce(1) { ($1 & 0xC0) == 0x80 ? $0 : $0 + 1 }
                let hex = String(bytes[offset], radix: 16, uppercase: true)
                throw ConfigErrors([ConfigError(
                    location: SourceLocation(file: file, line: line, column: column), path: "",
                    message: "not valid UTF-8 (byte 0x\(hex.count < 2 ? "0" + hex : hex) at offset \(offset)); save the config as UTF-8")])
            }
        }
    }

    // MARK: Composing

    /// Checks, composes and converts `text`; nil for an empty or comments-only document.
    static func compose(_ source: String, file: String) throws -> ConfigNode? {
        let text = source.unicodeScalars.first == "\u{FEFF}" ? String(source.unicodeScalars.dropFirst()) : source
        if let problem = firstControlCharacter(text) ?? prescan(text, maxDepth: maxDepth) {
            throw ConfigErrors([ConfigError(location: SourceLocation(file: file, line: problem.line, column: problem.column),
                                            path: "", message: problem.message)])
        }
        // Yams refuses duplicate keys with a poor message and no option to turn the check off. On
        // such an error, rename the reported first occurrence (one character, so positions stay
        // the same) and compose again; the conversion walk restores the names and reports every
        // duplicate with both lines.
        // Each rename costs a compose, so large files get fewer (about 4 MiB of parsing in all).
        let renames = max(1, min(maxDuplicateRenames, (4 << 20) / max(text.utf8.count, 1)))
        var current = text
        var renamed: [TextPosition: String] = [:]
        for attempt in 0...renames {
            let parser: Parser
            let root: Node?
            do {
                parser = try Parser(yaml: current, resolver: .basic, constructor: .default, encoding: .utf8)
                root = try parser.singleRoot()
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let position = TextPosition(line: context.mark.line, column: context.mark.column)
                let key = duplicates.first ?? ""
                guard attempt < renames,
                      let next = renamingKey(in: current, at: position, attempt: attempt) else {
                    throw ConfigErrors([ConfigError(
                        location: SourceLocation(file: file, line: position.line, column: position.column), path: "",
                        message: "duplicate key \"\(oneLine(key, limit: 60))\": defined more than once in this mapping")])
                }
                renamed[position] = key
                current = next
                continue
            } catch let error as YamlError {
                throw ConfigErrors([translate(error, text: text, file: file)])
            } catch {
                throw ConfigErrors([fileError(file, "YAML error: " + oneLine("\(error)", limit: 150))])
            }
            guard let root else { return nil }
            return try withExtendedLifetime(parser) {
                let converter = NodeConverter(file: file, renamed: renamed, maxDepth: maxDepth)
                let node = converter.convert(root)
                try converter.diagnostics.throwIfAny()
                return node
            }
        }
        return nil
    }

    // MARK: Errors

    static func fileError(_ file: String, _ message: String) -> ConfigError {
        ConfigError(location: SourceLocation(file: file, line: 0, column: 0), path: "", message: message)
    }

    static let anchorMessage = "YAML anchors and aliases are not supported in nnrun configs; write the value out"
    static let mergeMessage = "YAML merge keys (<<) are not supported in nnrun configs; write the keys out"
    static var depthMessage: String { "nesting is deeper than the limit of \(maxDepth) levels for a config" }

    /// One line for a Yams error: `file:line:col: YAML syntax error: <problem> <context>`.
    static func translate(_ error: YamlError, text: String, file: String) -> ConfigError {
        func at(_ line: Int, _ column: Int, _ message: String) -> ConfigError {
            ConfigError(location: SourceLocation(file: file, line: line, column: column), path: "", message: message)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            if problem.contains("another document") || context?.text.contains("single document") == true {
                return at(mark.line, mark.column, "a config must be a single YAML document, but a second one starts here")
            }
            if problem.contains("Maximum nesting level") || context?.text.contains("Maximum nesting level") == true {
                return at(mark.line, mark.column, depthMessage)
            }
            var message = "YAML syntax error: " + oneLine(problem, limit: 100)
            if let context {
                message += " " + oneLine(context.text, limit: 60)
                if context.mark.line != mark.line || context.mark.column != mark.column {
                    message += " (started at line \(context.mark.line), column \(context.mark.column))"
                }
            }
            if character(in: text, line: mark.line, column: mark.column) == "\t" {
                message += "; tabs are not allowed for indentation, use spaces"
            }
            return at(mark.line, mark.column, message)
        case .reader(let problem, let offset, _, _):
            let place = offset.flatMap { position(ofCharacterOffset: $0, in: text) } ?? TextPosition(line: 1, column: 1)
            return at(place.line, place.column, "YAML reader error: " + oneLine(problem, limit: 120))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return at(context.mark.line, context.mark.column,
                      "duplicate key \"\(oneLine(duplicates.first ?? "", limit: 60))\": defined more than once in this mapping")
        case .memory:
            return fileError(file, "out of memory while parsing the config")
        default:
            return fileError(file, "YAML error: " + oneLine("\(error)", limit: 150))
        }
    }

    /// `s` on one line (whitespace runs collapsed), cut to `limit` characters.
    static func oneLine(_ s: String, limit: Int) -> String {
        let flat = s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        return flat.count > limit ? String(flat.prefix(limit - 3)) + "..." : flat
    }
}
