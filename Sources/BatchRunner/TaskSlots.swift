/// The slots a task holds while it is at the provider: its manifest's own limit
/// (`concurrency.tasks` per key), a slot of one key of its account pool (``KeySlots``: each key
/// its own adaptive limit, shared by every manifest of the run that uses the same keys) and the
/// run's `--max-parallel` across all manifests and keys. They are taken from the most specific
/// to the most general, always in that order, so two tasks never wait on each other's slots;
/// a task waiting for a key or the run holds only a slot its own manifest could not use either.
struct TaskSlots: Sendable {
    let manifest: AdaptiveLimiter?
    let keys: KeySlots
    let run: AdaptiveLimiter?

    init(manifest: AdaptiveLimiter? = nil, keys: KeySlots, run: AdaptiveLimiter? = nil) {
        self.manifest = manifest
        self.keys = keys
        self.run = run
    }

    /// Waits for every slot and answers the key taken (nil: a provider of one unnamed key).
    /// On cancellation, or when no key has balance left, the slots already taken are given back.
    func acquire(_ choice: KeySlots.Choice = .any) async throws -> String? {
        try await manifest?.acquire()
        let key: String?
        do {
            key = try await keys.acquire(choice)
        } catch {
            await manifest?.release()
            throw error
        }
        do {
            try await run?.acquire()
        } catch {
            await keys.release(key)
            await manifest?.release()
            throw error
        }
        return key
    }

    /// The most tasks these slots can ever let run at once.
    var capacity: Int {
        min(manifest?.maximum ?? .max, keys.count * keys.maximum, run?.maximum ?? .max)
    }

    func release(_ key: String?) async {
        await run?.release()
        await keys.release(key)
        await manifest?.release()
    }

    func slowDown(_ key: String?) async { await keys.slowDown(key) }

    func recordSuccess(_ key: String?) async { await keys.recordSuccess(key) }
}
