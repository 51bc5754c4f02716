import BatchManifest
import Foundation
import ProviderKit

/// How the status poller times its checks (``RunOptions/pollTiming``).
public enum PollTiming: String, Sendable, CaseIterable {
    /// Every item in flight is checked every poll interval: the poller before it learned
    /// durations, kept so the two can be measured side by side.
    case fixed
    /// Each item is checked around its expected finish, learned per kind and model from the
    /// items this run saw finish: sparsely before it, every interval near and after it.
    case expected
}

/// What the poller learns durations for: the kind and model of an item submitted in this run.
struct PollProfile: Hashable, Sendable, CustomStringConvertible {
    var kind: TaskKind
    /// Nil: the provider's default model.
    var model: String?

    var description: String { "\(kind.rawValue) \(model ?? "default")" }
}

/// When to check an item next, in seconds since the poller started waiting for it: sparse
/// before its expected finish, dense near it, capped.
/// - Before the expected finish, every `cap` seconds, the last of these checks landing on the
///   expected finish itself. The expected finish is a low quantile of what was seen, so most
///   items are not final before it: checking more often before would mostly cost calls.
/// - For one interval after it, every quarter interval: an item that just missed its expected
///   finish (a create answered a little later than usual) is seen within a quarter interval.
/// - From there on, or while nothing is learned, every interval.
struct PollSchedule: Sendable, Equatable {
    /// Seconds between checks once an item is an interval past its expected finish.
    let interval: Double
    /// The longest gap between two checks of one item, in seconds.
    let cap: Double
    /// The default cap, in poll intervals: 60 s at the default interval of 5 s.
    static let capIntervals = 12.0
    /// Checks per interval during the interval after the expected finish.
    static let denseFactor = 4.0

    init(interval: Double, cap: Double? = nil) {
        self.interval = interval
        self.cap = max(interval, cap ?? interval * Self.capIntervals)
    }

    /// The next check after one at `elapsed` (0: the item was just submitted), for an item
    /// expected to be final `expected` seconds after it was submitted (nil: not learned yet).
    func nextCheck(elapsed: Double, expected: Double?) -> Double {
        guard let expected else { return elapsed + interval }
        if elapsed < expected { return min(elapsed + cap, expected) }
        if elapsed < expected + interval { return elapsed + interval / Self.denseFactor }
        return elapsed + interval
    }

    /// The status calls of one round: the items due by `now` (within a millisecond, for a
    /// clock that wakes a hair early), grouped by `groups` (the provider's `statusGroups`).
    /// A group with room takes not-yet-due items of the same kind along (the soonest due
    /// first), since a call costs the same with one id or ten; a group with nothing due is
    /// not called.
    static func round(
        _ refs: [ItemRef], due: (ItemRef) -> Date, now: Date, groups: ([ItemRef]) -> [[ItemRef]]
    ) -> [[ItemRef]] {
        let limit = now + 0.001
        let sorted = refs.enumerated().sorted { lhs, rhs in
            let left = due(lhs.element), right = due(rhs.element)
            return left == right ? lhs.offset < rhs.offset : left < right
        }.map(\.element)
        return groups(sorted).filter { group in group.contains { due($0) <= limit } }
    }
}

/// The durations seen per profile, the last `window` of them: seconds from submission to the
/// first check that found the item final (the moment the check was due, so the clock's
/// lateness in waking does not creep in). Each is an upper bound: the item turned final
/// somewhere since the check before. Which one the poller aims at depends on their spread:
/// - Tight (the 10th and 90th percentiles within `band`, e.g. half an interval): the 90th
///   percentile at first, then corrected by what each first check on the aim finds (see
///   ``checkedAtAim(_:final:)``). Nearly every item is final at that one check; waiting for
///   the slowest of a tight band costs less than a second check for most items.
/// - Spread out: the 10th percentile. Few items are final before it, and from it on the
///   schedule checks densely, so an early finisher is not kept waiting for the slow ones.
/// One slow or lost-and-retried item moves neither.
///
/// Why the correction: a duration learned is where a check found the item final, never
/// earlier. Once the aim sits late, every item is final at its first check and teaches the
/// late aim again, so the durations alone can only ever move it later. The check due on the
/// aim tells more: final there, the aim comes down by `step × 0.1`; not final, it goes up by
/// `step × 0.9`. It settles where nine items in ten are final at that check (the 90th
/// percentile of when they turn final, as the checks actually reach the provider), and a
/// late aim comes back down by itself.
struct DurationBook: Sendable {
    private var seen: [PollProfile: [Double]] = [:]
    /// Per profile while its band is tight: the aim as corrected by the checks due on it.
    private var aims: [PollProfile: Double] = [:]
    let window: Int
    /// The spread under which the durations count as tight, in seconds.
    let band: Double
    /// How far one check due on the aim moves it (0: never).
    let step: Double
    static let low = 0.1
    static let high = 0.9

    init(window: Int = 31, band: Double = 0, step: Double = 0) {
        self.window = max(1, window)
        self.band = band
        self.step = max(0, step)
    }

    mutating func learn(_ seconds: Double, for profile: PollProfile) {
        var durations = seen[profile, default: []]
        durations.append(max(0, seconds))
        if durations.count > window { durations.removeFirst(durations.count - window) }
        seen[profile] = durations
        // Spread out again: the next tight band starts from its own 90th percentile.
        if quantiles(profile).map({ $0.high - $0.low > band }) ?? true { aims[profile] = nil }
    }

    /// The check due on an item's aim (the tight band's) found it final, or not.
    mutating func checkedAtAim(_ profile: PollProfile, final: Bool) {
        guard step > 0, let bounds = quantiles(profile), bounds.high - bounds.low <= band else { return }
        let aim = aims[profile] ?? bounds.high
        aims[profile] = max(0, aim + (final ? -step * (1 - Self.high) : step * Self.high))
    }

    private func quantiles(_ profile: PollProfile) -> (low: Double, high: Double)? {
        guard let durations = seen[profile], !durations.isEmpty else { return nil }
        let sorted = durations.sorted()
        func quantile(_ q: Double) -> Double { sorted[Int(Double(sorted.count - 1) * q)] }
        return (quantile(Self.low), quantile(Self.high))
    }

    /// Nil until an item of the profile was seen to finish.
    func expected(for profile: PollProfile) -> Double? {
        guard let (low, high) = quantiles(profile) else { return nil }
        return high - low <= band ? aims[profile] ?? high : low
    }
}
