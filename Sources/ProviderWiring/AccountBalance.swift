public import Foundation
import ProviderKit
import TemPolorClient

/// `tempo-batch balance`: the Open API account's remaining balance (useapi.net has no balance
/// route; its 412 answers stop a run instead).
public enum AccountBalance {
    public static func fetch(baseURL: URL?, credentialsFile: String?, environment: [String: String]) async throws -> Double {
        let key = try Credentials.value("TEMPOLOR_API_KEY", environment: environment, file: credentialsFile)
        let base = baseURL ?? environment["TEMPOLOR_BASE_URL"].flatMap(URL.init(string:)) ?? URL(string: "https://api.tempolor.com")
        guard let base else { throw BalanceError(message: "the base URL is not a URL") }
        let http = HTTPTransport.makeAPIClient()
        do {
            let balance = try await TemPolorClient(baseURL: base, key: APIKey(key), http: http).balance()
            try await http.shutdown()
            return balance
        } catch {
            try? await http.shutdown()
            throw BalanceError(message: Redactor(secrets: [key]).clean("\(error)"))
        }
    }

    public struct BalanceError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "cannot read the balance: \(message)" }
    }
}
