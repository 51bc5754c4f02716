public import Foundation

/// Where the runner reads the time and how it waits. Tests inject a virtual clock whose
/// `sleep` moves time forward at once, so no test waits for real time.
public protocol RunnerClock: Sendable {
    func now() -> Date
    func sleep(for duration: Duration) async throws
}

public struct SystemRunnerClock: RunnerClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// A seeded random source shared by the run's tasks (backoff jitter).
public final class RandomSource: @unchecked Sendable {
    private let lock = NSLock()
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A uniform value in [0, 1).
    public func unit() -> Double {
        lock.withLock {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }
}

/// Exponential backoff with full jitter: attempt n waits a uniform time in
/// [0, min(max, initial·2ⁿ)], and never less than a server's `Retry-After`.
public struct Backoff: Sendable {
    public var initial: Duration
    public var max: Duration

    public init(initial: Duration, max: Duration) {
        self.initial = initial
        self.max = max
    }

    public func delay(attempt: Int, retryAfter: Double?, random: RandomSource) -> Duration {
        let initialSeconds = Self.seconds(initial), maxSeconds = Self.seconds(max)
        let ceiling = Swift.min(maxSeconds, initialSeconds * pow(2, Double(Swift.min(attempt, 30))))
        let jittered = ceiling * random.unit()
        // Honour Retry-After, within reason: a task waiting holds a provider slot.
        let wait = Swift.max(jittered, Swift.min(retryAfter ?? 0, Swift.max(maxSeconds, Self.retryAfterCeiling)))
        return .milliseconds(Int64((wait * 1000).rounded()))
    }

    /// The longest `Retry-After` honoured, in seconds.
    static let retryAfterCeiling = 600.0

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
