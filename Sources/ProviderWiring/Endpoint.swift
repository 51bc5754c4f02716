import AsyncHTTPClient
import BatchManifest
import BatchRunner
import Foundation
import ProviderKit
import TemPolorClient
import UseAPIClient

/// Which API, where, and the secret that opens it. The secret is only ever handed to the
/// client that sends it and to the redactor that keeps it out of every printed line.
struct Endpoint: Sendable {
    let api: Provider
    let baseURL: URL
    let secret: String

    /// The real service: credentials from the environment or the credentials file only.
    /// The Open API's base URL for each `api.region`.
    static let regionBaseURLs: [APISettings.Region: String] = [.global: "https://api.tempolor.com", .cn: "https://api.tianpuyue.cn"]

    static func live(_ api: Provider, options: RunOptions, variables: [String: String], region: APISettings.Region = .global) throws -> Endpoint {
        switch api {
        case .useapi:
            let token = try Credentials.value("USEAPI_TOKEN", environment: variables, file: options.credentialsFile)
            return Endpoint(api: .useapi, baseURL: try baseURL(options.baseURL, variables["USEAPI_BASE_URL"], default: "https://api.useapi.net"), secret: token)
        case .tempolor, .simulator:
            let key = try Credentials.value("TEMPOLOR_API_KEY", environment: variables, file: options.credentialsFile)
            return Endpoint(api: .tempolor, baseURL: try baseURL(options.baseURL, variables["TEMPOLOR_BASE_URL"], default: regionBaseURLs[region] ?? "https://api.tempolor.com"), secret: key)
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

    func provider(http: HTTPClient, options: [String: String], output: @escaping @Sendable (String) -> Void) -> any GenerationProvider {
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
