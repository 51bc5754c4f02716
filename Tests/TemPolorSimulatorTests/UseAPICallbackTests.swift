import Foundation
import Testing
@testable import TemPolorSimulator

@Suite("useapi.net replyUrl callbacks")
struct UseAPICallbackTests {
    @Test func aFinishedJobIsPostedOnceWithItsReplyRef() async throws {
        try await CallbackTests.withReceiver(refusals: 1, refusalStatus: .serviceUnavailable) { receiver, hook in
            try await Harness.with(Harness.configuration { $0.timeScale = 0.002 }) { sim in
                let completed = try await sim.useapiSong(["replyUrl": hook, "replyRef": "ref-ok"])
                await sim.simulator.scriptOutcomes([.failed])
                let failed = try await sim.useapiSong(["replyUrl": hook])
                _ = try await sim.useapiSong(["replyUrl": "https://hooks.example.com/never"])
                try await CallbackTests.waitUntil { await receiver.bodies.count >= 3 }
                try await Task.sleep(for: .milliseconds(200))
                let bodies = await receiver.bodies.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
                // The first delivery is refused (503) and retried; then one body per job.
                #expect(bodies.count == 3)
                let byJob = Dictionary(grouping: bodies) { $0["job_id"] as? String ?? "" }
                #expect(Set(byJob.keys) == [completed, failed])
                let done = try #require(byJob[completed]?.last)
                #expect(done["status"] as? Int == 30)
                #expect(done["status_name"] as? String == "COMPLETED")
                #expect(done["replyRef"] as? String == "ref-ok")
                let gone = try #require(byJob[failed]?.last)
                #expect(gone["status"] as? Int == 10)
                #expect(gone["replyRef"] == nil)
                let stats = try await sim.stats()
                #expect(stats["callbacks_delivered"] as? Int == 2)
                #expect(stats["callback_attempts"] as? Int == 3)
            }
        }
    }
}
