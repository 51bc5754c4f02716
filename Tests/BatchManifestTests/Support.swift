import ProviderWiring
@testable import BatchManifest

/// Compiles YAML text as `test.yaml` with a fixed environment.
func compile(_ yaml: String, environment: [String: String] = ["HOOK_TOKEN": "s3cret", "STYLE": "Soul"], provider: Provider? = nil) -> ManifestCompilation {
    ManifestCompiler.compile(yaml: yaml, file: "test.yaml", environment: environment, provider: provider, capabilities: Providers.catalogue)
}

/// Compiles text that must be valid and returns its graph.
func graph(_ yaml: String, environment: [String: String] = [:], sourceLocation: SourceLocation? = nil) -> TaskGraph {
    let compilation = compile(yaml, environment: environment)
    guard let graph = compilation.graph else {
        fatalError("expected a valid manifest, got:\n" + compilation.diagnostics.map(\.description).joined(separator: "\n"))
    }
    return graph
}
