import Foundation

/// Where each item's callbacks stand: delivered events, attempts, retry times and what is in
/// flight. Events of one item go out one at a time, in order; an event whose attempts ran out
/// is given up.
struct CallbackBook: Sendable {
    struct Progress: Sendable {
        var delivered: Set<String> = []
        var attempts: [String: Int] = [:]
        var notBefore: [String: Date] = [:]
        var inFlight: Set<String> = []
    }

    private var progress: [String: Progress] = [:]

    /// Starts following an item's callbacks.
    mutating func follow(_ itemID: String) { progress[itemID] = Progress() }

    /// The next event of each followed item that is due at `now`, marked in flight.
    /// `events` lists the events an item has had by `now`, in sending order.
    mutating func due(now: Date, maxAttempts: Int, item: (String) -> SimulatedItem?, events: (SimulatedItem) -> [String]) -> [(SimulatedItem, String)] {
        var result: [(SimulatedItem, String)] = []
        for (id, entry) in progress where entry.inFlight.isEmpty {
            guard let item = item(id) else { continue }
            let pending = events(item).first { event in
                !entry.delivered.contains(event) && entry.attempts[event, default: 0] < maxAttempts
            }
            guard let event = pending else { continue }
            if let notBefore = entry.notBefore[event], notBefore > now { continue }
            progress[id]?.inFlight.insert(event)
            result.append((item, event))
        }
        return result
    }

    /// Whether some delivery has been handed out by ``due(now:maxAttempts:item:events:)`` and not
    /// finished yet.
    var hasInFlight: Bool { progress.values.contains { !$0.inFlight.isEmpty } }

    /// Records one attempt; a failed one is retried after `backoff(attempts)`.
    mutating func finished(itemID: String, event: String, delivered: Bool, now: Date, backoff: (Int) -> TimeInterval) {
        guard var entry = progress[itemID] else { return }
        entry.inFlight.remove(event)
        let attempts = entry.attempts[event, default: 0] + 1
        entry.attempts[event] = attempts
        if delivered {
            entry.delivered.insert(event)
        } else {
            entry.notBefore[event] = now + backoff(attempts)
        }
        progress[itemID] = entry
    }
}
