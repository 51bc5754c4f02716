import ProviderKit

/// The one retry loop of the runner for idempotent calls (status checks, file locations,
/// reconciliation look-ups): transient failures are tried again after the backoff, up to
/// `attempts` calls in all; anything else, or the last failure, is thrown. Creates never go
/// through here: whether they may be retried depends on what the failure means for money.
struct Retrying: Sendable {
    let attempts: Int
    let backoff: Backoff
    let clock: any RunnerClock
    let random: RandomSource
    /// Activity its caller holds, given back while it sleeps (the poll round's).
    var held: (any RunActivity)?

    /// The same retries for a caller that holds `activity` around them.
    func holding(_ activity: (any RunActivity)?) -> Retrying {
        var copy = self
        copy.held = activity
        return copy
    }

    /// Sleeps for the backoff of `attempt`, giving held activity back meanwhile; false when
    /// the caller was cancelled.
    func pause(attempt: Int, retryAfter: Double?) async -> Bool {
        held?.end()
        defer { held?.begin() }
        do {
            try await clock.sleep(for: backoff.delay(attempt: attempt, retryAfter: retryAfter, random: random))
            return true
        } catch {
            return false
        }
    }

    func run<T: Sendable>(_ call: () async throws(ProviderError) -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await call()
            } catch {
                guard case .transient(let retryAfter) = error.failureClass, attempt + 1 < attempts else { throw error }
                guard await pause(attempt: attempt, retryAfter: retryAfter) else { throw CancellationError() }
                attempt += 1
            }
        }
    }
}
