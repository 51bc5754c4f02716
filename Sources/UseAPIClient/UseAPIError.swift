public import ProviderKit

/// Everything that can go wrong in a useapi.net call, with what it means for money.
public struct UseAPIError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The request provably never reached the server.
        case notSent
        /// Sent, but no usable answer came back: a create may have made a paid job.
        case answerLost
        /// The server answered an HTTP error status (`{"error": …, "code": N}`).
        case http(status: Int, retryAfter: Double?)
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var status: Int? {
        if case .http(let status, _) = kind { return status }
        return nil
    }

    public var description: String {
        switch kind {
        case .notSent: "request not sent: \(message)"
        case .answerLost: "no answer: \(message)"
        case .http(let status, _): "HTTP \(status): \(message)"
        }
    }

    /// Classifies the error for a create (POSTs are not idempotent) or for an idempotent GET.
    public func classification(isCreate: Bool) -> FailureClass {
        switch kind {
        case .notSent:
            return .transient(retryAfter: nil)
        case .answerLost:
            return isCreate ? .ambiguous : .transient(retryAfter: nil)
        case .http(let status, let retryAfter):
            switch status {
            // Too many requests or no free job slot: nothing was created.
            case 429: return .transient(retryAfter: retryAfter)
            // The useapi token was refused; the TemPolor session at useapi is broken.
            case 401, 596: return .fatal
            // No useapi subscription; the linked TemPolor account has no credits.
            case 402, 412: return .stopSubmitting
            // Bad request, moderated prompt, unknown job.
            case 400, 403, 404, 410, 422: return .permanent
            case 500...599: return isCreate ? .ambiguous : .transient(retryAfter: retryAfter)
            default: return isCreate ? .ambiguous : .permanent
            }
        }
    }

    /// What a person should do about it, where the status says more than its number.
    var advice: String? {
        switch status {
        case 401: "useapi.net refused the token (USEAPI_TOKEN)"
        case 402: "useapi.net asks for an active subscription"
        case 412: "the linked TemPolor account is out of credits"
        case 422: "the prompt or lyrics were moderated"
        case 596: "the TemPolor session at useapi.net is broken: re-link the TemPolor account at useapi.net"
        default: nil
        }
    }

    public var asksToSlowDown: Bool { status == 429 }
}
