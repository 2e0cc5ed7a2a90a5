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
        discussion: "Exit status: 0 on success, 2 for a configuration error, 1 for any other failure.",
        version: versionText(),
        subcommands: [Fit.self, Check.self, Summary.self, Bench.self])

    static func versionText() -> String {
        let gemm = (try? GEMM.fromEnvironment(ProcessInfo.processInfo.environment))?.backendDescription ?? "unavailable"
        return "nnrun \(nnrunVersion)\nGEMM backend: \(gemm)"
    }
}
