/// The slots a task holds while it is at the provider: its manifest's own limit
/// (`concurrency.tasks`), its account's adaptive limit (shared by every manifest of the run that
/// uses the same credentials and API) and the run's `--max-parallel` across all manifests.
/// They are taken from the most specific to the most general, always in that order, so two
/// tasks never wait on each other's slots; a task waiting for the account or the run holds only
/// a slot its own manifest could not use either.
struct TaskSlots: Sendable {
    /// In acquisition order; the same limiter is never listed twice.
    let limiters: [AdaptiveLimiter]
    /// The one the provider's "too many tasks" answers lower (and successes raise again).
    let account: AdaptiveLimiter

    init(manifest: AdaptiveLimiter? = nil, account: AdaptiveLimiter, run: AdaptiveLimiter? = nil) {
        var limiters: [AdaptiveLimiter] = []
        for limiter in [manifest, account, run].compactMap({ $0 }) where !limiters.contains(where: { $0 === limiter }) {
            limiters.append(limiter)
        }
        self.limiters = limiters
        self.account = account
    }

    /// One limit for everything: a run of a single manifest.
    init(maximum: Int) {
        self.init(account: AdaptiveLimiter(maximum: maximum))
    }

    /// Waits for every slot; on cancellation the ones already taken are given back.
    func acquire() async throws {
        var taken: [AdaptiveLimiter] = []
        do {
            for limiter in limiters {
                try await limiter.acquire()
                taken.append(limiter)
            }
        } catch {
            for limiter in taken.reversed() { await limiter.release() }
            throw error
        }
    }

    func release() async {
        for limiter in limiters.reversed() { await limiter.release() }
    }

    func slowDown() async { await account.slowDown() }

    func recordSuccess() async { await account.recordSuccess() }
}
