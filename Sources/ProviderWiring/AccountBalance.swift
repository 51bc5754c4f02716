public import Foundation
import BatchRunner
import ProviderKit
import TemPolorClient

/// `tempo-batch balance`: the Open API account's remaining balance (useapi.net has no balance
/// route; its 412 answers stop a run instead).
public enum AccountBalance {
    public static func fetch(baseURL: URL?, credentialsFile: String?, environment: [String: String]) async throws -> Double {
        var options = RunOptions()
        options.baseURL = baseURL
        options.credentialsFile = credentialsFile
        let endpoint = try Endpoint.live(.tempolor, options: options, variables: environment)
        let http = HTTPTransport.makeAPIClient()
        do {
            // A pool of keys: what they have left together.
            var balance = 0.0
            for secret in endpoint.secrets {
                balance += try await TemPolorClient(baseURL: endpoint.baseURL, key: APIKey(secret), http: http).balance()
            }
            try await http.shutdown()
            return balance
        } catch {
            try? await http.shutdown()
            throw BalanceError(message: Redactor(secrets: endpoint.secrets).clean("\(error)"))
        }
    }

    public struct BalanceError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "cannot read the balance: \(message)" }
    }
}
