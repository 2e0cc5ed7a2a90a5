import Foundation
import NNConfig

/// Finding and reading data files named in a configuration.
public enum DataFile {
    /// The largest data file nnrun reads: 512 MiB. Checked before anything is parsed.
    public static let maxBytes = 512 << 20

    /// The file that a configuration's `path` names, found as `ConfigPaths` looks for files: as
    /// written, then next to the configuration file (`baseDirectory`), then in that folder's parent.
    ///
    /// Throws `DataFileError` ("no such file (looked for ...)") when none exists, or when the path
    /// names a directory.
    public static func resolve(_ path: String, baseDirectory: String?) throws -> String {
        guard !path.isEmpty else { throw DataFileError(path: path, reason: "the path is empty") }
        guard let found = ConfigPaths.locate(path, configFolder: baseDirectory) else {
            throw DataFileError(path: path, reason: "no such file (\(ConfigPaths.lookedIn(path, configFolder: baseDirectory)))")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: found, isDirectory: &isDirectory), isDirectory.boolValue {
            throw DataFileError(path: found, reason: "it is a directory, expected a file")
        }
        return found
    }

    /// The bytes of the file at `path`, refusing files larger than `maxBytes` before reading them
    /// (and again while reading, in case the file grows).
    public static func read(_ path: String, maxBytes: Int = DataFile.maxBytes) throws -> [UInt8] {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw DataFileError(path: path, reason: "no such file")
        }
        if let type = attributes[.type] as? FileAttributeType, type == .typeDirectory {
            throw DataFileError(path: path, reason: "it is a directory, expected a file")
        }
        if let size = (attributes[.size] as? NSNumber)?.intValue, size > maxBytes {
            throw DataFileError(path: path, reason: "it is \(mebibytes(size)), the limit is \(mebibytes(maxBytes))")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DataFileError(path: path, reason: "permission denied or not a regular file")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            throw DataFileError(path: path, reason: "read failed (\(error.localizedDescription))")
        }
        if data.count > maxBytes {
            throw DataFileError(path: path, reason: "it is larger than the limit of \(mebibytes(maxBytes))")
        }
        return [UInt8](data)
    }

    static func mebibytes(_ bytes: Int) -> String {
        let mib = Double(bytes) / Double(1 << 20)
        return mib == mib.rounded() ? "\(Int(mib)) MiB" : "\((mib * 10).rounded() / 10) MiB"
    }
}
