import Foundation

/// When one created item was made and when it became final: the provider's busy time (each
/// item holds one of its credential's parallel slots until it is final), for `/_sim/stats`.
struct SimulatedItemSpan: Sendable, Equatable {
    var id: String
    /// The kind's name: song, instrumental, lyrics or stems (extends are songs or instrumentals).
    var kind: String
    var createdAt: Date
    /// Creation plus the item's scheduled processing time (already time-scaled).
    var finalAt: Date

    var seconds: TimeInterval { finalAt.timeIntervalSince(createdAt) }
}

extension SimulatorState {
    func itemSpans() -> [SimulatedItemSpan] {
        order.compactMap { items[$0] }.map { item in
            SimulatedItemSpan(id: item.id, kind: item.kind.rawValue, createdAt: item.createdAt, finalAt: item.createdAt + item.finishesAfter)
        }
    }
}
