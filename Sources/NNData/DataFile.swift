import Foundation

/// Finding and reading data files named in a configuration.
public enum DataFile {
    /// The largest data file nnrun reads: 512 MiB. Checked before anything is parsed.
    public static let maxBytes = 512 << 20

    /// The file that a configuration's `path` names.
    ///
    /// An absolute path is used as it is. A relative one is looked up in the current directory
    /// first, then in `baseDirectory` (the folder of the configuration file), and the first that
    /// exists wins. The result keeps the user's spelling when the current directory matched, so
    /// messages show `data/iris.csv` rather than a long absolute path.
    ///
    /// Throws `DataFileError` ("no such file (looked in ...)") when neither exists, or when the
    /// path names a directory.
    public static func resolve(_ path: String, baseDirectory: String?) throws -> String {
        let fm = FileManager.default
        guard !path.isEmpty else { throw DataFileError(path: path, reason: "the path is empty") }
        var candidates = [path]
        if !path.hasPrefix("/"), let base = baseDirectory, !base.isEmpty {
            let joined = base.hasSuffix("/") ? base + path : base + "/" + path
            if joined != path { candidates.append(joined) }
        }
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: candidate, isDirectory: &isDirectory) {
                if isDirectory.boolValue {
                    throw DataFileError(path: candidate, reason: "it is a directory, expected a file")
                }
                return candidate
            }
        }
        if path.hasPrefix("/") { throw DataFileError(path: path, reason: "no such file") }
        var places = [fm.currentDirectoryPath]
        if let base = baseDirectory, !base.isEmpty, candidates.count > 1 { places.append(base) }
        throw DataFileError(path: path, reason: "no such file (looked in \(places.joined(separator: " and ")))")
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
