/// The provider slots of one account pool: each key (``GenerationProvider/accounts``) has its
/// own limit, lowered by that key's "too many tasks" answers and raised again by its successes
/// (AIMD, as ``AdaptiveLimiter``), and its own balance: a key whose balance ran out takes no new
/// creates while the others go on. A new create takes the least loaded key with room (the
/// lowest share of its limit in use; the first such key on a tie); an item that exists, and a
/// child that must be created with its parent's key, take a slot of that key.
actor KeySlots {
    /// Which key a task needs.
    enum Choice: Sendable, Equatable {
        /// Any key with room and balance: a new create.
        case any
        /// This key (nil or an unknown fingerprint: the first key), balance or not.
        case key(String?)
    }

    /// Every key's balance ran out: no new create can be made.
    struct Exhausted: Error {}

    private struct Key {
        let fingerprint: String?
        var limit: Int
        var inUse = 0
        var successes = 0
        var exhausted = false
    }

    let maximum: Int
    let recoveryStep: Int
    /// How many keys.
    let count: Int
    private var keys: [Key]
    private var waiters: [(id: UInt64, choice: Choice, continuation: CheckedContinuation<String?, any Error>)] = []
    private var nextWaiter: UInt64 = 0

    /// One key per fingerprint (none: one key without a name), each starting at `maximum`.
    init(fingerprints: [String], maximum: Int, recoveryStep: Int = 3) {
        self.maximum = max(1, maximum)
        self.recoveryStep = max(1, recoveryStep)
        let names: [String?] = fingerprints.isEmpty ? [nil] : fingerprints
        keys = names.map { Key(fingerprint: $0, limit: max(1, maximum)) }
        count = keys.count
    }

    /// Slots in use per key, in the pool's order.
    var inUse: [Int] { keys.map(\.inUse) }

    /// Each key's current limit, in the pool's order.
    var limits: [Int] { keys.map(\.limit) }

    /// Waits for a slot and answers the key it belongs to. Throws ``Exhausted`` for `.any` when
    /// no key has balance left, `CancellationError` when the task is cancelled meanwhile.
    func acquire(_ choice: Choice = .any) async throws -> String? {
        try Task.checkCancellation()
        if let index = try pick(choice) {
            keys[index].inUse += 1
            return keys[index].fingerprint
        }
        let id = nextWaiter
        nextWaiter += 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, choice, continuation))
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    func release(_ fingerprint: String?) {
        keys[index(fingerprint)].inUse -= 1
        wakeWaiters()
    }

    /// The key answered "too many tasks": halve its limit.
    func slowDown(_ fingerprint: String?) {
        let index = index(fingerprint)
        keys[index].limit = max(1, keys[index].limit / 2)
        keys[index].successes = 0
    }

    func recordSuccess(_ fingerprint: String?) {
        let index = index(fingerprint)
        guard keys[index].limit < maximum else { return }
        keys[index].successes += 1
        if keys[index].successes >= recoveryStep {
            keys[index].successes = 0
            keys[index].limit += 1
            wakeWaiters()
        }
    }

    /// The key's balance ran out: it takes no new creates. Answers whether another key still
    /// has balance.
    func exhaust(_ fingerprint: String?) -> Bool {
        keys[index(fingerprint)].exhausted = true
        wakeWaiters()
        return keys.contains { !$0.exhausted }
    }

    private func index(_ fingerprint: String?) -> Int {
        keys.firstIndex { $0.fingerprint == fingerprint } ?? 0
    }

    /// The key a choice takes now; nil: wait.
    private func pick(_ choice: Choice) throws -> Int? {
        switch choice {
        case .key(let fingerprint):
            let index = index(fingerprint)
            return keys[index].inUse < keys[index].limit ? index : nil
        case .any:
            guard keys.contains(where: { !$0.exhausted }) else { throw Exhausted() }
            var best: Int?
            for (index, key) in keys.enumerated() where !key.exhausted && key.inUse < key.limit {
                // Least loaded: the lowest share of its limit in use (compared without division).
                if let chosen = best, key.inUse * keys[chosen].limit >= keys[chosen].inUse * key.limit { continue }
                best = index
            }
            return best
        }
    }

    private func wakeWaiters() {
        var index = 0
        while index < waiters.count {
            let waiter = waiters[index]
            do {
                if let key = try pick(waiter.choice) {
                    keys[key].inUse += 1
                    waiters.remove(at: index)
                    waiter.continuation.resume(returning: keys[key].fingerprint)
                } else {
                    index += 1
                }
            } catch {
                waiters.remove(at: index)
                waiter.continuation.resume(throwing: error)
            }
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
