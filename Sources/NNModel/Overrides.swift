import Foundation
import NNConfig

/// Command-line `--set path=value` overrides applied to a resolved config tree.
public enum Overrides {
    /// One step of an override path: a mapping key or a list index.
    enum Step: Equatable {
        case key(String)
        case index(Int)
    }

    /// A problem with one override; becomes a ConfigError located at the override text.
    struct Problem: Error {
        var message: String
        var suggestion: String?
        var path = ""
    }

    /// Applies `--set` overrides, in order, to a resolved config tree. Each override is `path=value`
    /// where path is dotted keys with optional list indices: `training.epochs=5`,
    /// `model.layers[2].dense.units=32`, `optimizer.adam.learning_rate=1e-4`, `data.classes=[0, 1]`.
    /// The value is parsed as a YAML flow value (scalar, [list] or {mapping}) through YAMLLoader.
    /// Every key on the path must already exist in `tree` (the tree has every default filled in);
    /// otherwise a ConfigError: `--set training.epohcs=5: no key "epohcs" under "training"; expected one of: batch_size, epochs, ... (did you mean "epochs"?)`. Index out of range is an error too.
    /// The new value node gets location SourceLocation(file: "--set training.epochs=5", line: 0, column: 0)
    /// so later decoding errors about it print `--set training.epochs=ten: training.epochs: received ten, expected ...`.
    ///
    /// Later overrides see the effect of earlier ones. All problems are collected and thrown
    /// together as `ConfigErrors`.
    public static func apply(_ overrides: [String], to tree: ConfigNode) throws -> ConfigNode {
        var result = tree
        var errors: [ConfigError] = []
        for override in overrides {
            let origin = SourceLocation(file: "--set \(override)", line: 0, column: 0)
            do {
                result = try applyOne(override, to: result, origin: origin)
            } catch let problem as Problem {
                errors.append(ConfigError(location: origin, path: problem.path, message: problem.message,
                                          suggestion: problem.suggestion))
            } catch {
                errors.append(ConfigError(location: origin, path: "", message: "\(error)"))
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return result
    }

    static let example = "expected path=value, such as training.epochs=5"

    private static func applyOne(_ override: String, to tree: ConfigNode, origin: SourceLocation) throws -> ConfigNode {
        guard let equals = override.firstIndex(of: "=") else { throw Problem(message: example) }
        let pathText = override[..<equals].trimmingCharacters(in: .whitespaces)
        let valueText = String(override[override.index(after: equals)...])
        guard !pathText.isEmpty else { throw Problem(message: "the path before \"=\" is empty; \(example)") }
        guard let steps = parsePath(pathText) else {
            throw Problem(message: "malformed path \"\(pathText)\"; write keys separated by dots and list indices in brackets, such as model.layers[2].dense.units")
        }
        let value = try parseValue(valueText, path: pathText, origin: origin)
        return try replacing(in: tree, steps[...], done: [], with: value)
    }

    /// Splits `a.b[2].c` into steps; nil when malformed (empty key, bad index, stray bracket).
    static func parsePath(_ text: String) -> [Step]? {
        var steps: [Step] = []
        var chars = Substring(text)
        while !chars.isEmpty {
            if chars.first == "[" {
                guard !steps.isEmpty, let close = chars.firstIndex(of: "]") else { return nil }
                let digits = chars[chars.index(after: chars.startIndex)..<close]
                guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                      let index = Int(digits) else { return nil }
                steps.append(.index(index))
                chars = chars[chars.index(after: close)...]
                if chars.first == "." {
                    chars = chars.dropFirst()
                    guard !chars.isEmpty, chars.first != "[" else { return nil }
                } else if let next = chars.first, next != "[" {
                    return nil
                }
                continue
            }
            let end = chars.firstIndex { $0 == "." || $0 == "[" || $0 == "]" } ?? chars.endIndex
            let key = chars[..<end]
            guard !key.isEmpty, !key.contains(where: \.isWhitespace) else { return nil }
            steps.append(.key(String(key)))
            chars = chars[end...]
            if chars.first == "]" { return nil }
            if chars.first == "." {
                chars = chars.dropFirst()
                guard !chars.isEmpty else { return nil }
            }
        }
        return steps
    }

    /// `a.b[2].c` for display.
    static func describe(_ steps: [Step]) -> String {
        var out = ""
        for step in steps {
            switch step {
            case .key(let k): out += out.isEmpty ? k : ".\(k)"
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }

    /// Parses the right-hand side as a YAML flow value, every node located at the override.
    private static func parseValue(_ text: String, path: String, origin: SourceLocation) throws -> ConfigNode {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty {
            throw Problem(message: "the value is empty; write \(path)=null to go back to the default", path: path)
        }
        if trimmed.hasPrefix("#") {
            throw Problem(message: "a value starting with # reads as a YAML comment; quote it: \(path)='\(trimmed)'", path: path)
        }
        let node: ConfigNode
        do {
            node = try YAMLLoader.parseValue(text, file: origin.file)
        } catch let errors as ConfigErrors {
            let first = errors.errors.first.map { error in
                error.path.isEmpty ? error.message : "\(error.path): \(error.message)"
            } ?? "cannot read the value"
            throw Problem(message: "cannot read the value: \(first)", path: path)
        }
        if node.items != nil || node.entries != nil, !(trimmed.hasPrefix("[") || trimmed.hasPrefix("{")) {
            throw Problem(message: "expected a single value, a [list] or a {mapping}; write lists as [a, b] and mappings as {key: value}",
                          path: path)
        }
        return relocated(node, to: origin)
    }

    /// `node` with every node and key located at `origin`.
    static func relocated(_ node: ConfigNode, to origin: SourceLocation) -> ConfigNode {
        switch node.kind {
        case .scalar, .null:
            return ConfigNode(node.kind, location: origin)
        case .sequence(let items):
            return ConfigNode(.sequence(items.map { relocated($0, to: origin) }), location: origin)
        case .mapping(let entries):
            return ConfigNode(.mapping(entries.map {
                ConfigNode.Entry(key: $0.key, keyLocation: origin, value: relocated($0.value, to: origin))
            }), location: origin)
        }
    }

    /// `node` with the value at `steps` replaced; `done` is the path walked so far (for messages).
    private static func replacing(in node: ConfigNode, _ steps: ArraySlice<Step>, done: [Step],
                                  with value: ConfigNode) throws -> ConfigNode {
        guard let step = steps.first else { return value }
        let here = describe(done)
        let shown = here.isEmpty ? "the top level" : "\"\(here)\""
        switch step {
        case .key(let key):
            guard var entries = node.entries else {
                throw Problem(message: "\(shown) is \(node.brief), not a mapping, so it has no key \"\(key)\"" + hint(node, here))
            }
            guard let i = entries.firstIndex(where: { $0.key == key }) else {
                let known = entries.map(\.key).sorted()
                let expected = known.isEmpty ? "it has no keys" : "expected one of: \(known.joined(separator: ", "))"
                let under = here.isEmpty ? "at the top level" : "under \"\(here)\""
                throw Problem(message: "no key \"\(key)\" \(under); \(expected)", suggestion: didYouMean(key, among: known))
            }
            entries[i].value = try replacing(in: entries[i].value, steps.dropFirst(), done: done + [step], with: value)
            return ConfigNode(.mapping(entries), location: node.location)
        case .index(let index):
            guard var items = node.items else {
                throw Problem(message: "\(shown) is \(node.brief), not a list, so it has no index [\(index)]" + hint(node, here))
            }
            guard items.indices.contains(index) else {
                let range = items.isEmpty ? "it is empty" : "it has \(items.count) item\(items.count == 1 ? "" : "s"), [0] to [\(items.count - 1)]"
                throw Problem(message: "index [\(index)] is out of range for \(shown): \(range)")
            }
            items[index] = try replacing(in: items[index], steps.dropFirst(), done: done + [step], with: value)
            return ConfigNode(.sequence(items), location: node.location)
        }
    }

    private static func hint(_ node: ConfigNode, _ here: String) -> String {
        guard case .null = node.kind, !here.isEmpty else { return "" }
        return "; set the whole value instead, such as \(here)={...}"
    }
}
