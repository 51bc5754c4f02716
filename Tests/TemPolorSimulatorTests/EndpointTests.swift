import Foundation
import Testing
@testable import TemPolorSimulator

@Suite("Every Open API endpoint, happy path")
struct EndpointTests {
    @Test func songGenerateExtendAndQuery() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.fixedDuration = nil }, clock: clock) { sim in
            let id = try await sim.createSong()
            #expect(id.hasPrefix("song_"))
            clock.advance(by: 120)
            let song = try #require(try await sim.query("song", [id]).first)
            #expect(song["status"] as? String == "succeeded")
            let extend = try await sim.post("song/extend", ["item_id": id, "start_time": 20, "lyrics": "[outro]\nJoy unfolds before sunrise", "callback_url": Harness.callback])
            #expect(extend.status == 200000, "\(extend.json)")
            #expect(extend.itemID != id)
            clock.advance(by: 120)
            let extended = try #require(try await sim.query("song", [extend.itemID]).first)
            #expect(extended["status"] as? String == "succeeded")
            #expect((extended["lyrics"] as? String)?.contains("Joy unfolds before sunrise") == true)
            #expect((extended["duration"] as? Int ?? 0) > 20)
        }
    }

    @Test func instrumentalGenerateExtendAndQuery() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.fixedDuration = nil }, clock: clock) { sim in
            let created = try await sim.post("instrumental/generate", ["prompt": "BPM 85, calm piano bed, 100 seconds", "model": "TemPolor i3", "callback_url": Harness.callback])
            #expect(created.status == 200000)
            clock.advance(by: 120)
            let item = try #require(try await sim.query("instrumental", [created.itemID]).first)
            #expect(item["status"] as? String == "succeeded")
            #expect(item["duration"] as? Int == 100)
            #expect(item["lyrics_sections"] == nil && item["lyrics"] == nil && item["lyrics_sections_status"] == nil)
            #expect((item["audio_url"] as? String)?.isEmpty == false)
            let extend = try await sim.post("instrumental/extend", ["item_id": created.itemID, "start_time": 60, "callback_url": Harness.callback])
            #expect(extend.status == 200000)
            #expect(extend.itemID.hasPrefix("inst_"))
        }
    }

    @Test func lyricsGenerateAndQuery() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let created = try await sim.post("lyrics/generate", ["prompt": "a ballad about lighthouse keepers", "song_model": "TemPolor v3.5", "callback_url": Harness.callback])
            #expect(created.status == 200000)
            #expect(try await sim.query("lyrics", [created.itemID]).first?["status"] as? String == "waiting")
            clock.advance(by: 4)
            #expect(try await sim.query("lyrics", [created.itemID]).first?["status"] as? String == "running")
            clock.advance(by: 10)
            let lyrics = try #require(try await sim.query("lyrics", [created.itemID]).first)
            #expect(lyrics["status"] as? String == "succeeded")
            let text = lyrics["lyric"] as? String ?? ""
            #expect(text.split(separator: "\n").contains("[verse]"))
            #expect((lyrics["title"] as? String)?.isEmpty == false)
        }
    }

    @Test func stemsCreateAndQuery() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let created = try await sim.post("stems", ["url": "https://cdn.example.com/old-mix.mp3", "callback_url": Harness.callback])
            #expect(created.status == 200000)
            #expect(created.itemID.hasPrefix("mss_"))
            #expect(try await sim.query("stems", [created.itemID]).first?["stems_url"] as? String == "")
            clock.advance(by: 31)
            let stems = try #require(try await sim.query("stems", [created.itemID]).first)
            #expect(stems["status"] as? String == "succeeded")
            #expect((stems["stems_url"] as? String)?.contains("/files/\(created.itemID)/stems.zip?expires=") == true)
        }
    }

    @Test func billingAnswersTheBalanceAfterSpending() async throws {
        try await Harness.with(Harness.configuration { $0.initialBalance = 500 }) { sim in
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 500)
            _ = try await sim.createSong()
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 470)
            // A song without lyrics has the platform write them: a lyrics call on top.
            _ = try await sim.post("song/generate", ["prompt": "x", "model": "TemPolor v3.5", "callback_url": Harness.callback])
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 433)
        }
    }

    @Test func queriesTakeUpToTenIDsAndKeepTheirOrder() async throws {
        try await Harness.with { sim in
            var ids: [String] = []
            for index in 0..<10 { ids.append(try await sim.createSong(prompt: "song \(index)")) }
            let songs = try await sim.query("song", ids.reversed())
            #expect(songs.map { $0["item_id"] as? String ?? "" } == ids.reversed())
            let stats = try await sim.stats()
            #expect(stats["query_item_ids_max"] as? Int == 10)
            #expect(stats["accepted_creates_total"] as? Int == 10)
            #expect((stats["accepted_creates"] as? [String: Int])?["song"] == 10)
        }
    }

    @Test func envelopeCarriesRequestIDAndMessage() async throws {
        try await Harness.with { sim in
            let answer = try await sim.post("account/billing", [:])
            #expect(answer.httpStatus == 200)
            #expect(answer.json["message"] as? String == "success")
            #expect(UUID(uuidString: answer.json["request_id"] as? String ?? "") != nil)
            #expect(answer.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
        }
    }
}
