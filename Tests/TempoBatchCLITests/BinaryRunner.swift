import Foundation
import TestSupport

/// Runs the built `tempo-batch` binary and captures what it prints.
struct BinaryRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The products folder of this build (where the test bundle itself lives).
    static var productsFolder: URL {
        let bundle = Bundle.main.bundleURL
        let candidates = [bundle, bundle.deletingLastPathComponent(), URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("tempo-batch").path) } ?? bundle
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    /// This process's environment with `extra` on top, less `NO_COLOR`: the test runner may set
    /// it, and the binary's colour decisions are under test (pass it in `extra` to test it).
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var variables = ProcessInfo.processInfo.environment
        variables["NO_COLOR"] = nil
        return variables.merging(extra) { $1 }
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], in directory: URL = repositoryRoot) throws -> Result {
        let output = try ExternalProgram.run(
            productsFolder.appendingPathComponent("tempo-batch"), arguments, environment: Self.environment(environment), directory: directory
        )
        return Result(status: output.status, stdout: output.stdout, stderr: output.stderr)
    }
}
