public import Foundation

/// Where the simulator reads the time. Inject ``ManualSimulatorClock`` in tests to move time
/// forward without sleeping.
public protocol SimulatorClock: Sendable {
    func now() -> Date
}

/// The wall clock: what `tempo-batch simulate` and the embedded simulator use.
public struct SystemSimulatorClock: SimulatorClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to.
public final class ManualSimulatorClock: SimulatorClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = start }

    public func now() -> Date { lock.withLock { current } }

    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
}
