import ArgumentParser
import Foundation
import NNTensor
import NNTraining

/// The `nnrun` command: a thin layer of argument parsing and printing over the libraries.
@main
struct NNRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nnrun",
        abstract: "Train and inspect neural networks described in YAML.",
        discussion: "Exit status: 0 on success, 2 for a configuration or command-line error, 1 for any other failure.",
        version: versionText(),
        subcommands: [Fit.self, Finetune.self, Evaluate.self, Predict.self, Check.self, Summary.self, Time.self, Bench.self,
                      Plot.self, AugmentPreview.self, Embed.self])

    /// Parses and runs a command. Command-line mistakes print one line and exit 2, like config
    /// errors (ArgumentParser would print usage and exit 64); `--help` and `--version` print as usual.
    static func main() {
        signal(SIGPIPE, SIG_IGN)   // `nnrun fit ... | head` must still write the run folder
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            // One line: ArgumentParser's continuation lines (e.g. the list of allowed values) joined on.
            let parts = message(for: error).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let items = parts.filter { $0.hasPrefix("- ") }.map { String($0.dropFirst(2)) }
            let text = parts.isEmpty ? "\(error)" : parts.filter { !$0.hasPrefix("- ") }.joined(separator: " ")
                + (items.isEmpty ? "" : " " + items.joined(separator: ", "))
            printError("error: \(text) (see 'nnrun --help')")
            Foundation.exit(2)
        }
    }

    static func versionText() -> String {
        let gemm: String
        do {
            gemm = try GEMM.fromEnvironment(ProcessInfo.processInfo.environment).backendDescription
        } catch {
            gemm = "error: \(error)"
        }
        return "nnrun \(nnrunVersion)\nGEMM backend: \(gemm)"
    }
}
