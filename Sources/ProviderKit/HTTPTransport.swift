public import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOPosix

/// What every provider client shares about HTTP: how API calls are configured, and how a
/// transport failure is sorted into "never sent" (safe to retry a create) and "answer lost"
/// (a create may have been paid for).
public enum HTTPTransport {
    /// An HTTP client configured for API calls: no automatic connect retries (so a refused
    /// connection is reported at once and known to be unsent), no redirects.
    public static func makeAPIClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: .seconds(120)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// True when the request provably never reached the server (refused, unresolvable, connect
    /// timeout): retrying it cannot pay twice.
    public static func neverReachedServer(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return error == .connectTimeout || error == .getConnectionFromPoolTimeout
        }
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        if let error = error as? NIOConnectionError {
            let allRefused = !error.connectionErrors.isEmpty
                && error.connectionErrors.allSatisfy { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
            let unresolvable = error.dnsAAAAError != nil && error.dnsAError != nil
            return allRefused || unresolvable
        }
        if case .connectTimeout? = error as? ChannelError { return true }
        return false
    }

    /// A short description of a transport failure (never the request, so never a credential).
    public static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        if let error = error as? IOError { return "I/O error \(error.errnoCode)" }
        return String(describing: type(of: error))
    }

    /// One API call's answer, read whole.
    public struct Answer: Sendable {
        public var status: Int
        public var reason: String
        public var retryAfter: Double?
        public var body: Data
        /// The body as JSON, when it is.
        public var json: JSONValue? { JSONValue.parse(body) }
    }

    /// A call that got no answer: `neverSent` when it provably never reached the server.
    public struct Failure: Error, Sendable {
        public var neverSent: Bool
        public var message: String
    }

    /// Sends `request` and reads the whole answer (up to 16 MiB), sorting transport failures.
    public static func send(_ request: HTTPClientRequest, on http: HTTPClient, timeout: Duration) async throws(Failure) -> Answer {
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.nanosecondsClamped))
            let bytes = try await response.body.collect(upTo: 16 << 20)
            return Answer(status: Int(response.status.code), reason: response.status.reasonPhrase, retryAfter: retryAfter(response),
                          body: Data(bytes.readableBytesView))
        } catch {
            throw Failure(neverSent: neverReachedServer(error), message: describe(error))
        }
    }

    /// `Retry-After` in seconds, when the header holds a number.
    public static func retryAfter(_ response: HTTPClientResponse) -> Double? {
        response.headers.first(name: "Retry-After").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }
}

extension Duration {
    /// Nanoseconds, clamped to `Int64`.
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        return seconds > 9_000_000_000 ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Removes secrets from text that is about to be printed or stored, wherever they appear.
public struct Redactor: Sendable {
    public let secrets: [String]

    public init(secrets: [String]) { self.secrets = secrets }

    public func clean(_ text: String) -> String {
        secrets.filter { $0.count >= 4 }.reduce(text) { $0.replacingOccurrences(of: $1, with: "<redacted>") }
    }
}
