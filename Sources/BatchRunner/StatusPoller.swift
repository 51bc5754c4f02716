import BatchManifest
import Foundation
import ProviderKit

/// Checks on submitted items in batches: the provider groups the items to check (TemPolor: up
/// to 10 ids per query route; useapi: one job per call) and each group is one status call.
/// Tasks wait on it for their item's final report.
///
/// With ``PollTiming/expected`` each item has its own next check (``PollSchedule``): sparse
/// until the duration learned for its kind and model (``DurationBook``), then every interval.
/// A round calls only the groups that hold a due item, filled up with items not due yet.
/// With ``PollTiming/fixed`` every item is checked every interval.
actor StatusPoller {
    struct Waiter {
        let continuation: CheckedContinuation<ItemReport, any Error>
        let progress: @Sendable (ItemReport) async -> Void
        /// After this the run stops waiting; the item stays submitted for the next run.
        let deadline: Date
        /// Learned from and scheduled by; nil (an item submitted by an earlier run, or a
        /// further item of a create) is checked every interval and teaches nothing.
        let profile: PollProfile?
        /// When the poller started waiting: for an item submitted in this run, its submission.
        let since: Date
        /// When the item is due its next check.
        var due: Date
        /// The expected finish its checks were aimed at, until the check due there is answered
        /// (what that check finds corrects the aim: ``DurationBook/checkedAtAim(_:final:)``).
        var aim: Date?
    }

    private let provider: any GenerationProvider
    private let clock: any RunnerClock
    private let interval: Duration
    private let timing: PollTiming
    private let schedule: PollSchedule
    private let retrying: Retrying
    private let maxWait: TimeInterval
    /// Hears each poll round as one piece of outside activity (a test clock then never moves
    /// while the run's heartbeat is at work).
    private let activity: (any RunActivity)?
    private var waiters: [ItemRef: Waiter] = [:]
    private var order: [ItemRef] = []
    private var durations = DurationBook()

    init(
        provider: any GenerationProvider, clock: any RunnerClock, interval: Duration, retrying: Retrying, maxWait: Duration = .seconds(2 * 3600),
        timing: PollTiming = .expected, activity: (any RunActivity)? = nil
    ) {
        self.activity = activity
        self.timing = timing
        schedule = PollSchedule(interval: Backoff.seconds(interval))
        durations = DurationBook(band: Backoff.seconds(interval) / 2, step: Backoff.seconds(interval) / 16)
        self.maxWait = Backoff.seconds(maxWait)
        self.provider = provider
        self.clock = clock
        self.interval = interval
        self.retrying = retrying.holding(activity)
    }

    /// Suspends until the item is final (succeeded, part_failed or failed) and answers its report.
    /// `progress` hears every non-final report. `learning` names the kind and model of an item
    /// submitted just now: its checks are timed by, and its duration teaches, that profile.
    func waitForFinal(
        _ ref: ItemRef, learning profile: PollProfile? = nil, progress: @escaping @Sendable (ItemReport) async -> Void
    ) async throws -> ItemReport {
        try Task.checkCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if let previous = waiters[ref] { previous.continuation.resume(throwing: CancellationError()) }
                else { order.append(ref) }
                let now = clock.now()
                let expected = profile.flatMap { durations.expected(for: $0) }
                let first = schedule.nextCheck(elapsed: 0, expected: expected)
                waiters[ref] = Waiter(continuation: continuation, progress: progress, deadline: now + maxWait, profile: profile, since: now,
                                      due: now + first, aim: expected.map { now + $0 })
            }
        } onCancel: {
            Task { await self.cancel(ref) }
        }
    }

    private func cancel(_ ref: ItemRef) {
        guard let waiter = waiters.removeValue(forKey: ref) else { return }
        order.removeAll { $0 == ref }
        waiter.continuation.resume(throwing: CancellationError())
    }

    /// Polls until cancelled.
    func run() async {
        while !Task.isCancelled {
            activity?.begin()
            await pollOnce()
            activity?.end()
            do { try await clock.sleep(for: pause()) } catch { break }
        }
        for (_, waiter) in waiters { waiter.continuation.resume(throwing: CancellationError()) }
        waiters.removeAll()
        order.removeAll()
    }

    /// A callback arrived: check the items it names (or, naming none known, every item) now,
    /// between the regular rounds. Only a wake-up: the answer comes from the query.
    func wake(_ wakeup: Wakeup) async {
        let waiting = order.filter { waiters[$0] != nil }
        let chosen: [ItemRef]
        switch wakeup {
        case .all: chosen = waiting
        case .items(let ids):
            let named = Set(ids)
            chosen = waiting.filter { named.contains($0.id) }
        }
        guard !chosen.isEmpty else { return }
        activity?.begin()
        for group in provider.statusGroups(chosen) { await poll(group) }
        activity?.end()
    }

    /// How long to sleep before the next round: the interval, or with the expected timing until
    /// the next item is due, but never longer than the interval (an item registered meanwhile
    /// is due an interval after it at the earliest, unless its kind finishes sooner) and never
    /// less than a millisecond.
    private func pause() -> Duration {
        guard timing == .expected, let next = waiters.values.map(\.due).min() else { return interval }
        let seconds = min(schedule.interval, max(0.001, next.timeIntervalSince(clock.now())))
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// One round: fails the items past their deadline, then calls every group that is due
    /// (with the fixed timing: every group).
    func pollOnce() async {
        let now = clock.now()
        for (ref, waiter) in waiters where waiter.deadline < now {
            finish(ref, with: .failure(ProviderError(.transient(retryAfter: nil), "still not finished after \(Int(maxWait)) s; the next run checks again")))
        }
        let waiting = order.filter { waiters[$0] != nil }
        let groups: [[ItemRef]]
        switch timing {
        case .fixed: groups = provider.statusGroups(waiting)
        case .expected:
            let waiters = self.waiters, provider = self.provider
            groups = PollSchedule.round(waiting, due: { waiters[$0]?.due ?? .distantFuture }, now: now, groups: provider.statusGroups)
        }
        for group in groups {
            await poll(group)
        }
    }

    private func poll(_ group: [ItemRef]) async {
        let asked = clock.now()
        // When each was due: an item found final at its due check learns that moment.
        var scheduled: [ItemRef: Date] = [:]
        for ref in group { scheduled[ref] = waiters[ref]?.due }
        // Whatever the answer, every item of the group gets its next check (an item missing
        // from the answer, or of a call that kept failing, is asked again an interval later).
        for ref in group { waiters[ref]?.due = asked + schedule.interval }
        do {
            let provider = self.provider
            let reports = try await retrying.run { () async throws(ProviderError) in try await provider.status(group) }
            for ref in group {
                guard let waiter = waiters[ref], let report = reports[ref.id] else { continue }
                let elapsed = asked.timeIntervalSince(waiter.since)
                // The check due on the aim (not one taken along before it): did it find the item final?
                if let profile = waiter.profile, let aim = waiter.aim, let due = scheduled[ref], abs(due.timeIntervalSince(aim)) < 1e-6,
                   asked.timeIntervalSince(due) > -0.001 {
                    durations.checkedAtAim(profile, final: report.isFinal)
                    waiters[ref]?.aim = nil
                }
                if report.isFinal {
                    if let profile = waiter.profile, report.phase == .succeeded || report.phase == .partFailed {
                        durations.learn(min(asked, scheduled[ref] ?? asked).timeIntervalSince(waiter.since), for: profile)
                    }
                    finish(ref, with: .success(report))
                } else {
                    let next = schedule.nextCheck(elapsed: elapsed, expected: waiter.profile.flatMap { durations.expected(for: $0) })
                    waiters[ref]?.due = waiter.since + next
                    await waiter.progress(report)
                }
            }
        } catch let error as ProviderError where error.failureClass == .permanent && group.count > 1 {
            // One unknown item fails the whole group: ask one by one to find it.
            for ref in group { await poll([ref]) }
        } catch let error as ProviderError where error.failureClass == .permanent || error.failureClass == .fatal {
            // The provider refuses to answer about these items (or about anything): stop waiting;
            // they stay submitted in the ledger and the next run asks again.
            for ref in group { finish(ref, with: .failure(error)) }
        } catch {
            // Transient trouble even after retries: keep the waiters and try an interval from now.
            let now = clock.now()
            for ref in group { waiters[ref]?.due = now + schedule.interval }
        }
    }

    private func finish(_ ref: ItemRef, with result: Result<ItemReport, any Error>) {
        guard let waiter = waiters.removeValue(forKey: ref) else { return }
        order.removeAll { $0 == ref }
        waiter.continuation.resume(with: result)
    }
}
