import Foundation

/// Reads a run folder's `history.csv` (History.csv(): a header `epoch,<metric>,...`, then one row
/// per epoch numbered from 1; `nan`/`inf` allowed, an empty cell is a missing value).
public enum HistoryFile {
    /// A problem with a run folder or its history, `file:line: message`.
    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// The run in `folder` (name: the folder's last component); fails when the folder is not a
    /// run (no history.csv) or the file is malformed.
    public static func load(folder: String) throws(Error) -> RunHistory {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Error(description: "\(folder): not a folder; expected a run folder written by nnrun fit")
        }
        let path = (folder as NSString).appendingPathComponent("history.csv")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Error(description: "\(folder): not a run folder (no history.csv); expected a folder written by nnrun fit")
        }
        guard data.count <= 64 << 20, let text = String(data: data, encoding: .utf8) else {
            throw Error(description: "\(path): not a UTF-8 text file of at most 64 MB")
        }
        let name = (folder as NSString).standardizingPath.split(separator: "/").last.map(String.init) ?? folder
        return try parse(text, file: path, name: name)
    }

    public static func parse(_ text: String, file: String, name: String) throws(Error) -> RunHistory {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        guard let header = lines.first, !header.isEmpty else {
            throw Error(description: "\(file):1: empty file; expected a header such as epoch,accuracy,loss,val_accuracy,val_loss")
        }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard names.first == "epoch", names.count >= 2, Set(names).count == names.count, !names.contains("") else {
            throw Error(description: "\(file):1: received header \"\(header)\", expected epoch followed by distinct metric names")
        }
        var columns = [String: [Double]]()
        for n in names.dropFirst() { columns[n] = [] }
        var epoch = 0
        for (i, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == names.count else {
                throw Error(description: "\(file):\(i + 1): received \(cells.count) cells, expected \(names.count) (\(names.joined(separator: ",")))")
            }
            epoch += 1
            guard Int(cells[0]) == epoch else {
                throw Error(description: "\(file):\(i + 1): received epoch \"\(cells[0])\", expected \(epoch)")
            }
            for (k, cell) in cells.enumerated().dropFirst() {
                let value: Double
                switch cell {
                case "": value = .nan
                case "nan": value = .nan
                case "inf": value = .infinity
                case "-inf": value = -.infinity
                default:
                    guard let v = Double(cell), v.isFinite else {
                        throw Error(description: "\(file):\(i + 1): column \(names[k]): received \"\(cell)\", expected a number")
                    }
                    value = v
                }
                columns[names[k], default: []].append(value)
            }
        }
        guard epoch > 0 else { throw Error(description: "\(file):2: no epochs; expected one row per epoch after the header") }
        return RunHistory(name: name, columns: columns)
    }
}
