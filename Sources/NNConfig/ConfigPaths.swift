import Foundation

/// Where files named in a configuration (a model file, a CSV) are looked for, in order: the path
/// as written (absolute, or relative to the current folder), then relative to the folder of the
/// configuration file, then to that folder's parent (so `configs/` and `models/` can name each
/// other's files whatever the current folder). One rule for every file a recipe names.
public enum ConfigPaths {
    /// The places `reference` is looked for.
    public static func candidates(_ reference: String, configFolder: String?) -> [String] {
        guard !reference.hasPrefix("/") else { return [reference] }
        var out = [reference]
        if let folder = configFolder, !folder.isEmpty {
            for base in [folder, folder + "/.."] {
                let joined = base + "/" + reference
                if !out.contains(joined) { out.append(joined) }
            }
        } else {
            out.append("../" + reference)
        }
        return out
    }

    /// The folder of a file path ("" for a bare file name in the current folder).
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The file name without its folder and extension: `configs/mlp.yaml` → `mlp`.
    public static func stem(of path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    /// The first candidate that exists (a file or a folder), or nil.
    public static func locate(_ reference: String, configFolder: String?) -> String? {
        candidates(reference, configFolder: configFolder).first { FileManager.default.fileExists(atPath: $0) }
    }

    /// "looked in A, B and C", for messages.
    public static func lookedIn(_ reference: String, configFolder: String?) -> String {
        let places = candidates(reference, configFolder: configFolder)
        return places.count == 1 ? places[0] : "looked for " + places.joined(separator: ", ")
    }
}
