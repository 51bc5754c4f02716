import BatchManifest
import Foundation

/// Checks on submitted items in batches: every interval, one status call per route kind carries
/// up to the provider's batch limit of item ids. Tasks wait on it for their item's final report.
actor StatusPoller {
    struct Waiter {
        let route: TaskKind
        let continuation: CheckedContinuation<ItemReport, any Error>
        let progress: @Sendable (ItemReport) async -> Void
        /// After this the run stops waiting; the item stays submitted for the next run.
        let deadline: Date
    }

    private let provider: any GenerationProvider
    private let clock: any RunnerClock
    private let interval: Duration
    private let backoff: Backoff
    private let random: RandomSource
    private let attempts: Int
    private let maxWait: TimeInterval
    private var waiters: [String: Waiter] = [:]
    private var order: [String] = []

    init(
        provider: any GenerationProvider, clock: any RunnerClock, interval: Duration, backoff: Backoff, random: RandomSource,
        attempts: Int, maxWait: Duration = .seconds(2 * 3600)
    ) {
        self.maxWait = Backoff.seconds(maxWait)
        self.provider = provider
        self.clock = clock
        self.interval = interval
        self.backoff = backoff
        self.random = random
        self.attempts = attempts
    }

    /// Suspends until the item is final (succeeded, part_failed or failed) and answers its report.
    /// `progress` hears every non-final report.
    func waitForFinal(route: TaskKind, itemID: String, progress: @escaping @Sendable (ItemReport) async -> Void) async throws -> ItemReport {
        try Task.checkCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if let previous = waiters[itemID] { previous.continuation.resume(throwing: CancellationError()) }
                else { order.append(itemID) }
                waiters[itemID] = Waiter(route: route, continuation: continuation, progress: progress, deadline: clock.now() + maxWait)
            }
        } onCancel: {
            Task { await self.cancel(itemID) }
        }
    }

    /// One fresh status of one item (for refreshing expired URLs), with retries.
    func refresh(route: TaskKind, itemID: String) async throws -> ItemReport {
        let reports = try await query(route: route, ids: [itemID])
        guard let report = reports[itemID] else { throw ProviderError(.permanent, "the provider does not know item \(itemID)") }
        return report
    }

    private func cancel(_ itemID: String) {
        guard let waiter = waiters.removeValue(forKey: itemID) else { return }
        order.removeAll { $0 == itemID }
        waiter.continuation.resume(throwing: CancellationError())
    }

    /// Polls until cancelled.
    func run() async {
        while !Task.isCancelled {
            await pollOnce()
            do { try await clock.sleep(for: interval) } catch { break }
        }
        for (_, waiter) in waiters { waiter.continuation.resume(throwing: CancellationError()) }
        waiters.removeAll()
        order.removeAll()
    }

    func pollOnce() async {
        let now = clock.now()
        for (id, waiter) in waiters where waiter.deadline < now {
            finish(id, with: .failure(ProviderError(.transient(retryAfter: nil), "still not finished after \(Int(maxWait)) s; the next run checks again")))
        }
        var byRoute: [TaskKind: [String]] = [:]
        for id in order { if let waiter = waiters[id] { byRoute[waiter.route, default: []].append(id) } }
        for route in [TaskKind.lyrics, .song, .instrumental, .stems] {
            let ids = byRoute[route] ?? []
            for start in stride(from: 0, to: ids.count, by: provider.statusBatchLimit) {
                let batch = Array(ids[start..<min(ids.count, start + provider.statusBatchLimit)])
                await poll(route: route, batch: batch)
            }
        }
    }

    private func poll(route: TaskKind, batch: [String]) async {
        do {
            let reports = try await query(route: route, ids: batch)
            for id in batch {
                guard let waiter = waiters[id] else { continue }
                // An item missing from the answer is asked about again next time.
                guard let report = reports[id] else { continue }
                if report.isFinal {
                    finish(id, with: .success(report))
                } else {
                    await waiter.progress(report)
                }
            }
        } catch let error as ProviderError where error.failureClass == .permanent && batch.count > 1 {
            // One unknown item fails the whole batch: ask one by one to find it.
            for id in batch { await poll(route: route, batch: [id]) }
        } catch let error as ProviderError where error.failureClass == .permanent || error.failureClass == .fatal {
            // The provider refuses to answer about these items (or about anything): stop waiting;
            // they stay submitted in the ledger and the next run asks again.
            for id in batch { finish(id, with: .failure(error)) }
        } catch {
            // Transient trouble even after retries: keep the waiters and try at the next interval.
        }
    }

    /// A status call with retries of transient failures.
    private func query(route: TaskKind, ids: [String]) async throws -> [String: ItemReport] {
        var attempt = 0
        while true {
            do {
                return try await provider.status(route: route, itemIDs: ids)
            } catch {
                guard case .transient(let retryAfter) = error.failureClass, attempt + 1 < attempts else { throw error }
                try await clock.sleep(for: backoff.delay(attempt: attempt, retryAfter: retryAfter, random: random))
                attempt += 1
            }
        }
    }

    private func finish(_ id: String, with result: Result<ItemReport, any Error>) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        order.removeAll { $0 == id }
        waiter.continuation.resume(with: result)
    }
}
