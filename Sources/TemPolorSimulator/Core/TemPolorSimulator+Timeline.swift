public import Foundation

/// When one created item was made and when it became final: what benchmarks need to compute
/// the provider's busy time (each item holds one of its credential's parallel slots until it
/// is final).
public struct SimulatedItemSpan: Sendable, Equatable {
    public var id: String
    /// The kind's name: song, instrumental, lyrics or stems (extends are songs or instrumentals).
    public var kind: String
    public var createdAt: Date
    /// Creation plus the item's scheduled processing time (already time-scaled).
    public var finalAt: Date

    public var seconds: TimeInterval { finalAt.timeIntervalSince(createdAt) }
}

extension TemPolorSimulator {
    /// Every item created so far, in creation order, with when it was (or will be) final.
    public func itemSpans() async -> [SimulatedItemSpan] { await state.itemSpans() }
}

extension SimulatorState {
    func itemSpans() -> [SimulatedItemSpan] {
        order.compactMap { items[$0] }.map { item in
            SimulatedItemSpan(id: item.id, kind: item.kind.rawValue, createdAt: item.createdAt, finalAt: item.createdAt + item.finishesAfter)
        }
    }
}
