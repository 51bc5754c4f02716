import Foundation
import Testing
@testable import TemPolorSimulator

@Suite("useapi.net replyUrl callbacks")
struct UseAPICallbackTests {
    @Test func aFinishedJobIsPostedOnceWithItsReplyRef() async throws {
        try await CallbackTests.withReceiver(refusals: 1, refusalStatus: .serviceUnavailable) { receiver, hook in
            let clock = ManualSimulatorClock()
            try await Harness.with(clock: clock) { sim in
                let completed = try await sim.useapiSong(["replyUrl": hook, "replyRef": "ref-ok"])
                await sim.simulator.scriptOutcomes([.failed])
                let failed = try await sim.useapiSong(["replyUrl": hook])
                _ = try await sim.useapiSong(["replyUrl": "https://hooks.example.com/never"])
                // Failed at 40 s, completed at 55 s; nothing is posted while a job is generating.
                await CallbackTests.step(sim, clock, by: 39)
                #expect(await receiver.bodies.isEmpty)
                await CallbackTests.step(sim, clock, by: 17)
                #expect(await receiver.bodies.count == 2)
                // One of the two was refused (503): posted again 5 s later.
                await CallbackTests.step(sim, clock, by: 5.5)
                #expect(await receiver.bodies.count == 3)
                // Accepted posts are never repeated, and the non-loopback URL is never called.
                await CallbackTests.step(sim, clock, by: CallbackTests.pastEveryRetry)
                await CallbackTests.step(sim, clock, by: CallbackTests.pastEveryRetry)
                let bodies = await receiver.bodies.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
                #expect(bodies.count == 3)
                let byJob = Dictionary(grouping: bodies) { $0["job_id"] as? String ?? "" }
                #expect(Set(byJob.keys) == [completed, failed])
                #expect(byJob.values.map(\.count).sorted() == [1, 2], "one job posted once, the refused one twice")
                let done = try #require(byJob[completed]?.last)
                #expect(done["status"] as? Int == 30)
                #expect(done["status_name"] as? String == "COMPLETED")
                #expect(done["replyRef"] as? String == "ref-ok")
                let gone = try #require(byJob[failed]?.last)
                #expect(gone["status"] as? Int == 10)
                #expect(gone["status_name"] as? String == "FAILED")
                #expect(gone.keys.contains("replyRef") == false)
                let stats = try await sim.stats()
                #expect(stats["callbacks_delivered"] as? Int == 2)
                #expect(stats["callback_attempts"] as? Int == 3)
            }
        }
    }
}
