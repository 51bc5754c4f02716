/// What a failed call means for money and for the run. Each provider maps its own errors (HTTP
/// statuses, business codes, transport failures) into these classes.
public enum FailureClass: Sendable, Equatable {
    /// Nothing was created (or the call was idempotent): try again later, after `retryAfter`
    /// seconds when given.
    case transient(retryAfter: Double?)
    /// This task cannot succeed as asked (bad parameter, moderated, unknown item).
    case permanent
    /// Stop submitting new work; paid work is still tracked (no balance, no credits upstream).
    case stopSubmitting
    /// Nothing in this run can succeed (the credentials were refused, the account needs a human).
    case fatal
    /// A create whose outcome is unknown: it may have been paid for.
    case ambiguous
}

/// A provider failure, classified for the runner. Its message never holds a credential.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public var failureClass: FailureClass
    public var message: String
    /// The provider asks for fewer parallel tasks (TemPolor 400007, HTTP 429).
    public var slowDown: Bool
    /// A signed result URL was refused (expired): ask the provider for a fresh one.
    public var urlExpired: Bool

    public init(_ failureClass: FailureClass, _ message: String, slowDown: Bool = false, urlExpired: Bool = false) {
        self.failureClass = failureClass
        self.message = message
        self.slowDown = slowDown
        self.urlExpired = urlExpired
    }

    public var description: String { message }
}
