import Foundation
import NNCheckpoint
import NNConfig
import NNModel

/// Keras' `ModelCheckpoint`: saves the weights (safetensors, as `weights.safetensors`) to
/// `filepath` after every epoch, or with `save_best_only` only when `monitor` improves. The path is
/// a template over the epoch and the logs, formatted like Python's: `{epoch:02d}`,
/// `{val_loss:.4f}`, `{val_accuracy:.3f}`; a relative path is relative to the current folder.
///
///     - model_checkpoint: {filepath: "checkpoints/{epoch:02d}-{val_loss:.4f}.safetensors",
///                          monitor: val_loss, mode: auto, save_best_only: false}
public final class ModelCheckpoint: Callback {
    public let typeName = "model_checkpoint"
    public let filepath: String
    public let monitor: String
    public let mode: MonitorMode
    public let saveBestOnly: Bool
    private var best: Double

    init(_ r: MappingReader) {
        filepath = r.string("filepath")
        monitor = r.string("monitor", default: "val_loss")
        mode = MonitorMode.decode(r, monitor: monitor)
        saveBestOnly = r.bool("save_best_only", default: false)
        best = mode.worst
        if r.has("filepath"), filepath.isEmpty { r.report("filepath", "received an empty path, expected a file path template") }
        if let problem = Self.format(filepath, values: ["epoch": 1]).problem {
            r.report("filepath", problem)
        }
    }

    public var monitoredNames: [(key: String, name: String)] { [("monitor", monitor)] + templateNames.filter { $0 != "epoch" }.map { ("filepath", $0) } }

    public func encodeConfig() -> ConfigNode {
        .map([("filepath", .string(filepath)), ("monitor", .string(monitor)), ("mode", .string(mode.rawValue)),
              ("save_best_only", .bool(saveBestOnly))])
    }

    /// The names the template uses (for the check that the run produces them).
    var templateNames: [String] { Self.placeholders(filepath).map(\.name) }

    public var banner: String? {
        "Model checkpoint: \(filepath)" + (saveBestOnly ? ", only when \(monitor) (\(mode.rawValue)) improves" : ", every epoch")
    }

    public func epochEnded(_ epoch: Int, logs: [String: Double], _ run: CallbackContext) throws -> Bool {
        if saveBestOnly {
            guard let current = logs[monitor], mode.improves(current, on: best) else { return false }
            best = current
        }
        var values = logs
        values["epoch"] = Double(epoch)
        let path = Self.format(filepath, values: values).text
        let folder = RunFolder.parentFolder(of: path)
        if folder != "." { try RunFolder.makeFolders(folder) }
        try RunFolder.writeFileAtomically(path, Checkpoint.weights(of: run.model))
        return false
    }

    public func encodeState() -> ConfigNode { .map([("best", .double(best))]) }

    public func restoreState(_ node: ConfigNode, folder: String, model: Model) throws {
        best = node["best"].flatMap(TrainingProgress.exactNumber) ?? mode.worst
    }

    /// `{name}` or `{name:spec}` placeholders of a template.
    static func placeholders(_ template: String) -> [(name: String, spec: String)] {
        var out: [(name: String, spec: String)] = []
        _ = substitute(template) { name, spec in out.append((name, spec)); return "" }
        return out
    }

    /// The template with each placeholder replaced by its value, formatted by its spec (`02d`,
    /// `.4f`, `.3e`, or none); `problem` describes the first spec that is not one of those.
    /// A value that is not finite is written as Python writes it (`nan`, `inf`).
    static func format(_ template: String, values: [String: Double]) -> (text: String, problem: String?) {
        var problem: String?
        let text = substitute(template) { name, spec in
            let value = values[name] ?? 0
            if spec.isEmpty { return name == "epoch" && value.isFinite ? String(Int(value)) : "\(value)" }
            if spec.hasSuffix("d"), spec.dropLast().allSatisfy(\.isNumber) {
                return value.isFinite ? String(format: "%\(spec.dropLast())d", Int(value)) : "\(value)"
            }
            if spec.hasPrefix("."), spec.count >= 3, "fe".contains(spec.last ?? " "), spec.dropFirst().dropLast().allSatisfy(\.isNumber) {
                return String(format: "%\(spec)", value)
            }
            problem = problem ?? "the placeholder {\(name):\(spec)} has format \"\(spec)\"; expected one like 02d, .4f or .3e"
            return ""
        }
        return (text, problem)
    }

    /// Scans `{name}` / `{name:spec}` placeholders, replacing each with `replacement(name, spec)`.
    private static func substitute(_ template: String, _ replacement: (String, String) -> String) -> String {
        var text = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            text += rest[..<open]
            let parts = rest[rest.index(after: open)..<close].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            text += replacement(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            rest = rest[rest.index(after: close)...]
        }
        return text + rest
    }
}
