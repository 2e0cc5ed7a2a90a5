import NNConfig

/// A data file that could not be read at all: missing, a directory, unreadable, or larger than
/// the cap. Printed on one line, naming the path:
///
///     cannot read data file "data/iris.csv": no such file (looked in /home/me/run and /home/me/configs)
public struct DataFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path as the user wrote it (or as resolved, when that is clearer).
    public var path: String
    /// What went wrong, e.g. `no such file`, `it is 600.0 MiB, the limit is 512 MiB`.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot read data file \"\(path)\": \(reason)" }
}

/// A problem in the content of a CSV file, at a position in that file. Printed on one line:
///
///     data/iris.csv:4:9: column "sepal_width": received "3,1x", expected a finite number
///
/// `location.line` is the 1-based line of the file, `location.column` the 1-based character column
/// where the offending field starts (column 1 when the problem is the whole line).
public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    /// The header name of the column involved, when there is one.
    public var columnName: String?
    public var message: String

    public init(location: SourceLocation, columnName: String? = nil, message: String) {
        self.location = location
        self.columnName = columnName
        self.message = message
    }

    public var description: String {
        var s = "\(location): "
        if let columnName { s += "column \"\(columnName)\": " }
        return s + message
    }
}

/// The value of a CSV field for "received ..." in a message: quoted, control characters escaped,
/// cut to 40 characters.
func briefField(_ text: String) -> String {
    let shown = text.count > 40 ? String(text.prefix(37)) + "..." : text
    return ConfigNode.jsonString(shown)
}
