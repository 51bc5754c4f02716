public import ProviderKit

/// Everything that can go wrong in a call, with what it means for money: whether the request
/// can have reached the server, and whether the server can have acted on it.
public struct TemPolorError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The request provably never reached the server (connection refused, no connection).
        case notSent
        /// Sent, but no usable answer came back (connection closed, timeout, garbage): the
        /// server may have acted on it.
        case answerLost
        /// The server answered with an HTTP error status.
        case http(status: Int, retryAfter: Double?)
        /// The server answered the envelope with a business code other than 200000.
        case business(code: Int)
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String {
        switch kind {
        case .notSent: "request not sent: \(message)"
        case .answerLost: "no answer: \(message)"
        case .http(let status, _): "HTTP \(status): \(message)"
        case .business(let code): "\(code): \(message)"
        }
    }

    /// Classifies the error for a create call (`isCreate`) or an idempotent call (queries,
    /// balance). A create is retried only when it provably created nothing: the request never
    /// left, the server refused it with a business code, or it was rate-limited (HTTP 429).
    public func classification(isCreate: Bool) -> FailureClass {
        switch kind {
        case .notSent:
            return .transient(retryAfter: nil)
        case .answerLost:
            return isCreate ? .ambiguous : .transient(retryAfter: nil)
        case .http(let status, let retryAfter):
            if status == 429 { return .transient(retryAfter: retryAfter) }
            if status == 401 || status == 403 { return .fatal }
            if status >= 500 { return isCreate ? .ambiguous : .transient(retryAfter: retryAfter) }
            return isCreate ? .ambiguous : .permanent
        case .business(let code):
            switch code {
            case 400001, 400006, 400007: return .transient(retryAfter: nil)
            case 400002: return .fatal
            case 400005: return .stopSubmitting
            // 400003, 400004, 400008–400011, and codes this client does not know yet.
            default: return .permanent
            }
        }
    }

    /// 400007 and HTTP 429: the provider asks for fewer parallel tasks.
    public var asksToSlowDown: Bool {
        switch kind {
        case .business(code: 400007), .http(status: 429, _): true
        default: false
        }
    }
}
