import Foundation
import Testing
@testable import TemPolorSimulator

/// The provider's span in `/_sim/stats`: its length and its two ends on the system clock, which
/// the makespan bench compares with its own clock to tell start-up and tail from the span.
@Suite("Stats: the provider's span")
struct SpanStatsTests {
    @Test func theSpanRunsFromTheFirstCreationToTheLastFinalMoment() async throws {
        let clock = ManualSimulatorClock()
        let start = clock.now().timeIntervalSince1970
        try await Harness.with(Harness.configuration { $0.initialBalance = 1000 }, clock: clock) { sim in
            let before = try await sim.stats()
            #expect(before["first_created_at"] == nil && before["last_final_at"] == nil)

            let first = try await sim.post("song/generate", ["prompt": "A calm piano song", "model": "TemPolor v4.5", "callback_url": Harness.callback])
            #expect(first.status == 200000, "\(first.json)")
            clock.advance(by: 7)
            let second = try await sim.post("song/generate", ["prompt": "A brisk guitar song", "model": "TemPolor v4.5", "callback_url": Harness.callback])
            #expect(second.status == 200000, "\(second.json)")

            let stats = try await sim.stats()
            let firstCreated = try #require((stats["first_created_at"] as? NSNumber)?.doubleValue)
            let lastFinal = try #require((stats["last_final_at"] as? NSNumber)?.doubleValue)
            let span = try #require((stats["span_seconds"] as? NSNumber)?.doubleValue)
            let busy = try #require((stats["busy_seconds"] as? NSNumber)?.doubleValue)
            #expect(firstCreated == start)
            #expect(abs(lastFinal - firstCreated - span) < 1e-6)
            // Two items of equal length, the second created 7 s later: the span is one item and 7 s.
            #expect(abs(span - (busy / 2 + 7)) < 1e-6)
        }
    }
}
