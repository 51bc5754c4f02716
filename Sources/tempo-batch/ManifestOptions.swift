public import ArgumentParser
public import BatchManifest
import Foundation
import ProviderWiring

extension Provider: ExpressibleByArgument {}
extension BudgetPeriod: ExpressibleByArgument {}

/// Reads a manifest, prints its diagnostics to standard error and stops with exit code 2 when
/// there are errors.
enum ManifestLoading {
    static func compile(_ path: String, provider: Provider?) throws -> ManifestCompilation {
        let compilation = Providers.compile(path, environment: ProcessInfo.processInfo.environment, provider: provider)
        report(compilation.diagnostics)
        if compilation.hasErrors { throw ExitCode(ExitCodes.invalid) }
        return compilation
    }

    /// Manifest arguments with folders expanded; an empty folder is a usage error (exit 2).
    static func expand(_ arguments: [String]) throws -> [String] {
        do {
            return try ManifestPaths.expand(arguments).paths
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(ExitCodes.invalid)
        }
    }

    static func report(_ diagnostics: [Diagnostic]) {
        guard !diagnostics.isEmpty else { return }
        let text = diagnostics.map(\.description).joined(separator: "\n") + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// Unbuffered output for long-running commands whose lines must appear as they happen.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
