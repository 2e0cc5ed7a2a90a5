import NNCheckpoint
import NNConfig

/// Keras' `CSVLogger`: writes the history so far to `filename` after every epoch (rewritten whole
/// and atomically, so it never holds half a row). With `append`, rows follow what the file held
/// when training started. Epochs are numbered from 1 as in `history.csv`; `separator` default `,`.
///
///     - csv_logger: {filename: training.csv, separator: ",", append: false}
public final class CSVLogger: Callback {
    public let typeName = "csv_logger"
    public let filename: String
    public let separator: String
    public let append: Bool
    private var previous = ""
    private var started = false

    init(_ r: MappingReader) {
        filename = r.string("filename")
        separator = r.string("separator", default: ",")
        append = r.bool("append", default: false)
        if r.has("filename"), filename.isEmpty { r.report("filename", "received an empty path, expected a file name") }
        if separator.count != 1 { r.report("separator", "received \"\(separator)\", expected one character") }
    }

    public func encodeConfig() -> ConfigNode {
        .map([("filename", .string(filename)), ("separator", .string(separator)), ("append", .bool(append))])
    }

    public func epochEnded(_ epoch: Int, logs: [String: Double], _ run: CallbackContext) throws -> Bool {
        if !started {
            started = true
            if append, let old = try? String(contentsOfFile: filename, encoding: .utf8) { previous = old }
        }
        var text = run.trainer.history.csv()
        if separator != "," { text = text.replacingOccurrences(of: ",", with: separator) }
        if !previous.isEmpty { text = previous + text.split(separator: "\n", maxSplits: 1).dropFirst().joined() }
        let folder = RunFolder.parentFolder(of: filename)
        if folder != "." { try RunFolder.makeFolders(folder) }
        try RunFolder.writeFileAtomically(filename, Array(text.utf8))
        return false
    }
}
