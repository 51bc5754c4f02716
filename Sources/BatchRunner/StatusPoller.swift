import BatchManifest
import Foundation
import ProviderKit

/// Checks on submitted items in batches: every interval, the provider groups the items waiting
/// (TemPolor: up to 10 ids per query route; useapi: one job per call) and each group is one
/// status call. Tasks wait on it for their item's final report.
actor StatusPoller {
    struct Waiter {
        let continuation: CheckedContinuation<ItemReport, any Error>
        let progress: @Sendable (ItemReport) async -> Void
        /// After this the run stops waiting; the item stays submitted for the next run.
        let deadline: Date
    }

    private let provider: any GenerationProvider
    private let clock: any RunnerClock
    private let interval: Duration
    private let retrying: Retrying
    private let maxWait: TimeInterval
    /// Hears each poll round as one piece of outside activity (a test clock then never moves
    /// while the run's heartbeat is at work).
    private let activity: (any RunActivity)?
    private var waiters: [ItemRef: Waiter] = [:]
    private var order: [ItemRef] = []

    init(
        provider: any GenerationProvider, clock: any RunnerClock, interval: Duration, retrying: Retrying, maxWait: Duration = .seconds(2 * 3600),
        activity: (any RunActivity)? = nil
    ) {
        self.activity = activity
        self.maxWait = Backoff.seconds(maxWait)
        self.provider = provider
        self.clock = clock
        self.interval = interval
        self.retrying = retrying.holding(activity)
    }

    /// Suspends until the item is final (succeeded, part_failed or failed) and answers its report.
    /// `progress` hears every non-final report.
    func waitForFinal(_ ref: ItemRef, progress: @escaping @Sendable (ItemReport) async -> Void) async throws -> ItemReport {
        try Task.checkCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if let previous = waiters[ref] { previous.continuation.resume(throwing: CancellationError()) }
                else { order.append(ref) }
                waiters[ref] = Waiter(continuation: continuation, progress: progress, deadline: clock.now() + maxWait)
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
            do { try await clock.sleep(for: interval) } catch { break }
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

    func pollOnce() async {
        let now = clock.now()
        for (ref, waiter) in waiters where waiter.deadline < now {
            finish(ref, with: .failure(ProviderError(.transient(retryAfter: nil), "still not finished after \(Int(maxWait)) s; the next run checks again")))
        }
        for group in provider.statusGroups(order.filter { waiters[$0] != nil }) {
            await poll(group)
        }
    }

    private func poll(_ group: [ItemRef]) async {
        do {
            let provider = self.provider
            let reports = try await retrying.run { () async throws(ProviderError) in try await provider.status(group) }
            for ref in group {
                guard let waiter = waiters[ref] else { continue }
                // An item missing from the answer is asked about again next time.
                guard let report = reports[ref.id] else { continue }
                if report.isFinal {
                    finish(ref, with: .success(report))
                } else {
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
            // Transient trouble even after retries: keep the waiters and try at the next interval.
        }
    }

    private func finish(_ ref: ItemRef, with result: Result<ItemReport, any Error>) {
        guard let waiter = waiters.removeValue(forKey: ref) else { return }
        order.removeAll { $0 == ref }
        waiter.continuation.resume(with: result)
    }
}
