import ArgumentParser
import BatchManifest
import ProviderWiring
import Foundation

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check manifests and report every problem at once.",
        discussion: """
        Each problem is printed on standard error as file:line:col: error|warning: message, in file order; after a manifest's problems comes its summary line on the same stream (file: ok, N tasks; or file: N error(s)), so the two never interleave. Standard output stays empty.

        Exits 0 when every manifest is free of errors (warnings allowed), 2 otherwise.
        """
    )

    @Argument(help: "Manifest files, or folders of them (every *.yaml and *.yml directly in a folder, sorted).")
    var manifests: [String]

    @Option(help: "Check as if the manifest named this provider (tempolor, useapi, simulator).")
    var provider: Provider?

    func run() throws {
        var failed = false
        for path in try ManifestLoading.expand(manifests) {
            let compilation = Providers.compile(path, environment: ProcessInfo.processInfo.environment, provider: provider)
            ManifestLoading.report(compilation.diagnostics)
            let errors = compilation.diagnostics.filter { $0.severity == .error }.count
            let warnings = compilation.diagnostics.count - errors
            let summary: String
            if let graph = compilation.graph {
                summary = "\(path): ok, \(graph.count) tasks" + (warnings > 0 ? ", \(warnings) warning(s)" : "")
            } else {
                failed = true
                summary = "\(path): \(errors) error(s)" + (warnings > 0 ? ", \(warnings) warning(s)" : "")
            }
            // After the manifest's diagnostics, on the same unbuffered stream, so they never interleave.
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
        if failed { throw ExitCode(ExitCodes.invalid) }
    }
}
