import Dispatch
import Foundation
import Testing

/// What one run of the `nnrun` executable produced.
struct CLIResult: CustomStringConvertible {
    var stdout: String
    var stderr: String
    var status: Int32

    /// The stderr lines (without the final empty one).
    var errorLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
    var outputLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }

    var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Locations the end-to-end tests need: the package (for configs/ and models/) and the built
/// `nnrun` executable.
enum CLI {
    /// The package root: three levels above this file (Tests/nnrunTests/CLISupport.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `nnrun` executable SwiftPM built next to the test bundle. `NNRUN_BINARY` overrides.
    static let binary: URL? = {
        let fm = FileManager.default
        if let forced = ProcessInfo.processInfo.environment["NNRUN_BINARY"], !forced.isEmpty {
            return URL(fileURLWithPath: forced)
        }
        // On Linux the test bundle `nnrunPackageTests.xctest` is an executable in the products
        // folder (`.build/debug/`): argv[0] and Bundle.main point at it or at its folder. On macOS
        // it is a bundle inside that folder.
        var folders: [URL] = []
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        folders.append(argv0.deletingLastPathComponent())
        for url in [Bundle.main.bundleURL, Bundle.main.executableURL].compactMap({ $0 }) {
            var u = url
            for _ in 0..<4 {
                folders.append(u)
                u = u.deletingLastPathComponent()
            }
        }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        for folder in folders {
            let candidate = folder.appendingPathComponent("nnrun")
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               fm.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }()

    /// The package folders a sandbox holds: `configs/`, `models/` and `data/` (where present).
    static let packageFolders: [String] = ["configs", "data", "models"].filter {
        FileManager.default.fileExists(atPath: packageRoot.appendingPathComponent($0).path)
    }

    /// The files of a complete run folder.
    static let runFiles = ["curves.svg", "history.csv", "metrics.json", "model.json", "optimizer.safetensors", "report.html",
                           "split.json", "weights.safetensors"]

    /// What a fresh sandbox lists, plus `more`, sorted.
    static func baseListing(plus more: String...) -> [String] { (packageFolders + more).sorted() }

    /// A fresh temporary folder holding copies of the package's `configs/`, `models/` and `data/`.
    static func sandbox() throws -> URL {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("nnrun-cli-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        for folder in packageFolders {
            try fm.copyItem(at: packageRoot.appendingPathComponent(folder), to: dir.appendingPathComponent(folder))
        }
        return dir
    }

    /// Runs `nnrun args...` in `directory` with stdout and stderr on pipes and stdin closed.
    /// The environment is this process's, with `COLUMNS=80` (help text wraps the same everywhere),
    /// without `NNRUN_GEMM`, and then `environment` on top (a nil value removes a variable).
    /// A run that takes longer than `timeout` seconds is killed (and the test fails).
    static func run(_ args: [String], in directory: URL, environment: [String: String?] = [:],
                    timeout: Double = 120) throws -> CLIResult {
        let binary = try #require(CLI.binary, "the nnrun executable was not found next to the test bundle; set NNRUN_BINARY")
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["COLUMNS"] = "80"
        env["LINES"] = nil
        env["NNRUN_GEMM"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice

        let outBox = DataBox(), errBox = DataBox()
        try process.run()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { outBox.data = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
        let timedOut = group.wait(timeout: .now() + timeout) == .timedOut
        if timedOut {
            process.terminate()
            _ = group.wait(timeout: .now() + 5)
        }
        process.waitUntilExit()
        #expect(!timedOut, "nnrun \(args.joined(separator: " ")) did not finish within \(timeout) s")
        return CLIResult(stdout: String(decoding: outBox.data, as: UTF8.self),
                         stderr: String(decoding: errBox.data, as: UTF8.self),
                         status: process.terminationStatus)
    }

    /// Writes `text` to `name` (a path relative to `directory`).
    static func write(_ text: String, to name: String, in directory: URL) throws {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }

    static func read(_ name: String, in directory: URL) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func remove(_ directory: URL) {
        try? FileManager.default.removeItem(at: directory)
    }

    /// File names in a folder, sorted (hidden ones included).
    static func listing(_ directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }
}

final class DataBox: @unchecked Sendable {
    var data = Data()
}

extension String {
    /// Runs of whitespace (newlines included) collapsed to one space: help text compared
    /// independently of where it wraps.
    var collapsingWhitespace: String {
        split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
