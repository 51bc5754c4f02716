/// A counting limit on work in flight that the provider can lower: 400007 or HTTP 429 halves
/// it, and every `recoveryStep` successes raise it by one, back up to `maximum` (AIMD).
/// A fixed limit (downloads) is one that is never lowered.
actor AdaptiveLimiter {
    let maximum: Int
    let recoveryStep: Int
    private(set) var limit: Int
    private var inUse = 0
    /// Slots taken now.
    var inUseCount: Int { inUse }
    /// Acquirers waiting for a slot now.
    var waitingCount: Int { waiters.count }
    private var successes = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiter: UInt64 = 0

    init(maximum: Int, recoveryStep: Int = 3) {
        self.maximum = max(1, maximum)
        self.recoveryStep = max(1, recoveryStep)
        limit = self.maximum
    }

    /// Waits for a free slot; throws `CancellationError` if the task is cancelled meanwhile.
    func acquire() async throws {
        try Task.checkCancellation()
        if inUse < limit {
            inUse += 1
            return
        }
        let id = nextWaiter
        nextWaiter += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, continuation))
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    func release() {
        inUse -= 1
        wakeWaiters()
    }

    func slowDown() {
        limit = max(1, limit / 2)
        successes = 0
    }

    func recordSuccess() {
        guard limit < maximum else { return }
        successes += 1
        if successes >= recoveryStep {
            successes = 0
            limit += 1
            wakeWaiters()
        }
    }

    private func wakeWaiters() {
        while inUse < limit, !waiters.isEmpty {
            inUse += 1
            waiters.removeFirst().continuation.resume()
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
