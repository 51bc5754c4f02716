public import BatchManifest
import ProviderKit
import TemPolorClient
import UseAPIClient

/// Every provider the tool can run against, with what each can do. The one place that knows
/// them all; `validate`, `plan` and `run` check manifests against this catalogue.
public enum Providers {
    public static let catalogue = ProviderCatalogue([
        .tempolor: TemPolorProvider.capabilities,
        // The built-in simulator speaks the Open API.
        .simulator: TemPolorProvider.capabilities,
        .useapi: UseAPIProvider.capabilities,
    ])

    /// The wire API a provider speaks: the built-in simulator speaks the Open API.
    public static func api(of provider: Provider) -> Provider {
        provider == .simulator ? .tempolor : provider
    }

    /// Reads, checks and expands a manifest for the provider it will run on.
    public static func compile(_ path: String, environment: [String: String], provider: Provider?) -> ManifestCompilation {
        ManifestCompiler.compile(contentsOf: path, environment: environment, provider: provider, capabilities: catalogue)
    }
}
