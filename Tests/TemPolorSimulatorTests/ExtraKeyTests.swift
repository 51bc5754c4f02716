import Foundation
import Testing
@testable import TemPolorSimulator

@Suite("Further API keys: one account each")
struct ExtraKeyTests {
    static let second = "Tempo-second-key-0f1e2d"

    @Test func eachKeyHasItsOwnItemsLimitAndBalance() async throws {
        let clock = ManualSimulatorClock()
        let configuration = Harness.configuration {
            $0.fixedDuration = nil
            $0.parallelLimit = 1
            $0.initialBalance = 500
            $0.extraKeys = [.init(apiKey: Self.second, parallelLimit: 2, balance: 40)]
        }
        try await Harness.with(configuration, clock: clock) { sim in
            let song = ["prompt": "An owl's waltz", "model": "TemPolor v3.5", "lyrics": "[verse]\nUnder silver beams", "callback_url": Harness.callback]
            // The primary key: one slot.
            let first = try await sim.post("song/generate", song)
            #expect(first.status == 200000)
            #expect(try await sim.post("song/generate", song).status == 400007)
            // The second key: its own slots, its own balance (40: one song of 30, then 400005).
            let mine = try await sim.post("song/generate", song, key: Self.second)
            #expect(mine.status == 200000)
            #expect(try await sim.post("song/generate", song, key: Self.second).status == 400005)
            #expect(try await sim.post("account/billing", [:], key: Self.second).data["balance"] as? Double == 10)
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 470)
            // A key sees only its own items: the other key's id is unknown to it.
            #expect(try await sim.post("song/query", ["item_ids": [mine.itemID]]).status == 400008)
            #expect(try await sim.post("song/query", ["item_ids": [first.itemID]], key: Self.second).status == 400008)
            let own = try await sim.post("song/query", ["item_ids": [mine.itemID]], key: Self.second)
            #expect(own.status == 200000)
            // Nor can it extend the other key's song.
            clock.advance(by: 120)
            let extend = ["item_id": mine.itemID, "start_time": 20, "callback_url": Harness.callback] as [String: Any]
            #expect(try await sim.post("song/extend", extend).status == 400008)
            // An unknown key is refused.
            #expect(try await sim.post("song/query", ["item_ids": [first.itemID]], key: "Tempo-unknown").status == 400002)
            let stats = await sim.simulator.stats()
            #expect(stats.acceptedCreatesByKey == ["primary": 1, "key-2": 1])
            #expect(stats.peakUnfinishedByKey == ["primary": 1, "key-2": 1])
            #expect(stats.keyBalances == ["key-2": 10])
        }
    }
}
