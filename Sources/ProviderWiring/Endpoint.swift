import AsyncHTTPClient
import BatchManifest
import BatchRunner
import Foundation
import ProviderKit
import TemPolorClient
import UseAPIClient

/// Which API, where, and the secrets that open it: one key, or a pool of keys (each its own
/// account at the provider). The secrets are only ever handed to the clients that send them and
/// to the redactor that keeps them out of every printed line; everything else names a key by
/// its fingerprint.
struct Endpoint: Sendable {
    let api: Provider
    let baseURL: URL
    /// At least one; the first is the key of items recorded without one.
    let secrets: [String]

    init(api: Provider, baseURL: URL, secrets: [String]) {
        self.api = api
        self.baseURL = baseURL
        self.secrets = secrets
    }

    init(api: Provider, baseURL: URL, secret: String) {
        self.init(api: api, baseURL: baseURL, secrets: [secret])
    }

    /// Same API, place and keys: the same account pool (the keys themselves stay in memory only).
    var account: String {
        "\(api.rawValue) \(baseURL.absoluteString) " + secrets.map(KeyFingerprint.of).joined(separator: ",")
    }

    /// The real service: credentials from the environment or the credentials file only.
    /// The Open API's base URL for each `api.region`.
    static let regionBaseURLs: [APISettings.Region: String] = [.global: "https://api.tempolor.com", .cn: "https://api.tianpuyue.cn"]

    static func live(_ api: Provider, options: RunOptions, variables: [String: String], region: APISettings.Region = .global) throws -> Endpoint {
        switch api {
        case .useapi:
            let tokens = try Credentials.values("USEAPI_TOKEN", environment: variables, file: options.credentialsFile)
            return Endpoint(api: .useapi, baseURL: try baseURL(options.baseURL, variables["USEAPI_BASE_URL"], default: "https://api.useapi.net"), secrets: tokens)
        case .tempolor, .simulator:
            let keys = try Credentials.values("TEMPOLOR_API_KEY", environment: variables, file: options.credentialsFile)
            return Endpoint(api: .tempolor, baseURL: try baseURL(options.baseURL, variables["TEMPOLOR_BASE_URL"], default: regionBaseURLs[region] ?? "https://api.tempolor.com"), secrets: keys)
        }
    }

    private static func baseURL(_ given: URL?, _ variable: String?, default fallback: String) throws -> URL {
        if let given { return given }
        guard let url = URL(string: variable ?? fallback), url.host != nil else { throw BadBaseURL(text: variable ?? fallback) }
        return url
    }

    struct BadBaseURL: Error, CustomStringConvertible {
        let text: String
        var description: String { "the base URL '\(text)' is not an http(s) URL" }
    }

    /// One provider per key, pooled: each create names its key, each item remembers it.
    func provider(http: HTTPClient, options: [String: String], output: @escaping @Sendable (String) -> Void) -> any GenerationProvider {
        KeyPoolProvider(secrets.map { secret in
            KeyPoolProvider.Member(fingerprint: KeyFingerprint.of(secret), provider: provider(secret: secret, http: http, options: options))
        })
    }

    private func provider(secret: String, http: HTTPClient, options: [String: String]) -> any GenerationProvider {
        switch api {
        case .useapi:
            return UseAPIProvider(client: UseAPIClient(baseURL: baseURL, token: secret, http: http),
                                  userID: options["user_id"], maxJobs: options["max_jobs"].flatMap(Int.init))
        case .tempolor, .simulator:
            let route = options[APISettings.instrumentalRouteOption].flatMap(APISettings.InstrumentalRoute.init(rawValue:)) ?? .song
            return TemPolorProvider(client: TemPolorClient(baseURL: baseURL, key: APIKey(secret), http: http), instrumentalRoute: route)
        }
    }
}
