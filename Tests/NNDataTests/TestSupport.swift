import Foundation
import NNConfig
@testable import NNData

/// Builders for small `ConfigNode` trees with source positions, standing in for parsed YAML
/// (NNDataTests does not depend on the YAML loader).
enum Node {
    static let file = "test.yaml"

    static func at(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(file: file, line: line, column: column) }

    /// A plain scalar at `line:column`.
    static func s(_ text: String, _ line: Int = 0, _ column: Int = 0) -> ConfigNode {
        ConfigNode(.scalar(text: text, quoted: false), location: at(line, column))
    }

    static func list(_ items: [ConfigNode], _ line: Int = 0, _ column: Int = 0) -> ConfigNode {
        ConfigNode(.sequence(items), location: at(line, column))
    }

    /// A mapping; each key is placed one column before its value for simplicity.
    static func map(_ pairs: [(String, ConfigNode)], _ line: Int = 0, _ column: Int = 0) -> ConfigNode {
        ConfigNode(.mapping(pairs.map {
            ConfigNode.Entry(key: $0.0, keyLocation: $0.1.location.map { at($0.line, max(1, $0.column - 1)) }, value: $0.1)
        }), location: at(line, column))
    }
}

/// Decodes `node` as a `data:` mapping; returns the value and the errors found.
func decodeData(_ node: ConfigNode) -> (DataConfig?, [ConfigError]) {
    let diagnostics = Diagnostics()
    let config = DataConfig.decode(node, path: "data", diagnostics: diagnostics)
    return (config, diagnostics.errors)
}

/// A fresh temporary directory for one test.
func makeTempDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("nndata-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Writes `text` to `dir/name` and returns the full path.
@discardableResult
func writeFile(_ dir: String, _ name: String, _ text: String) throws -> String {
    let path = dir + "/" + name
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// A small iris-like CSV: string labels, CRLF line ends, a quoted field, a trailing newline.
let irisLike = """
sepal_length,sepal_width,"petal, length",species\r
5.1,3.5,1.4,setosa\r
7.0,3.2,4.7,versicolor\r
6.3,3.3,6.0,virginica\r
4.9,3.0,"1.4",setosa\r
6.4,3.2,4.5,versicolor\r
5.8,2.7,5.1,virginica\r

"""
