import Foundation
import Testing
import TestSupport
@testable import TemPolorSimulator

@Suite("Covers: song/generate with action upload_cover")
struct CoverTests {
    static func cover(_ sim: Harness, source: String, lyrics: String? = nil, model: String = "tempolor-latest") async throws -> Harness.Answer {
        var body: [String: Any] = ["action": "upload_cover", "upload_audio_url": source, "model": model,
                                   "prompt": "a jazz cover, smoky club", "callback_url": Harness.callback]
        if let lyrics { body["lyrics"] = lyrics }
        return try await sim.post("song/generate", body)
    }

    @Test func aCoverMovesThroughASongsStatesOnSongQuery() async throws {
        let clock = ManualSimulatorClock()
        let lyrics = "[verse]\nThe club lights hum\nA trumpet calls\n[chorus]\nSmoke and gold"
        try await Harness.with(Harness.configuration { $0.fixedDuration = nil }, clock: clock) { sim in
            let created = try await Self.cover(sim, source: "https://cdn.example.com/my-demo.mp3", lyrics: lyrics)
            #expect(created.status == 200000, "\(created.json)")
            let id = created.itemID
            #expect(id.hasPrefix("song_"))

            let running = try #require(try await sim.query("song", [id]).first)
            #expect(running["status"] as? String == "running")
            #expect(running["audio_url"] as? String == "" && running["lyrics"] as? String == "")

            clock.advance(by: 41)
            let main = try #require(try await sim.query("song", [id]).first)
            #expect(main["status"] as? String == "main_succeeded")
            #expect(main["lyrics_sections_status"] as? String == "running")
            #expect((main["audio_url"] as? String)?.contains("/files/\(id)/audio.mp3?expires=") == true)
            #expect(main["lyrics"] as? String == lyrics)

            clock.advance(by: 15)
            let done = try #require(try await sim.query("song", [id]).first)
            #expect(done["status"] as? String == "succeeded")
            #expect(done["model"] as? String == "tempolor-latest")
            #expect((done["audio_hi_url"] as? String)?.contains("/files/\(id)/audio.wav?expires=") == true)
            let sections = done["lyrics_sections"] as? [[String: Any]] ?? []
            #expect(sections.map { $0["text"] as? String } == ["[verse]", "The club lights hum", "A trumpet calls", "\n[chorus]", "Smoke and gold"])
            // Not one of our files: as long as its lyrics make it.
            #expect(done["duration"] as? Int == TextGenerator.songDuration(lyrics: lyrics))
            let mp3 = try await sim.get(done["audio_url"] as? String ?? "")
            #expect(abs(try AudioDecoding.seconds(of: mp3.body, fileExtension: "mp3") - Double(TextGenerator.songDuration(lyrics: lyrics))) < 0.1)

            let stats = try await sim.stats()
            #expect(stats["accepted_creates"] as? [String: Int] == ["cover": 1])
            #expect(stats["accepted_creates_total"] as? Int == 1)
        }
    }

    @Test func aCoverOfOneOfOurOwnFilesLastsAsLongAsItsSource() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.fixedDuration = nil }, clock: clock) { sim in
            let source = try await sim.post("instrumental/generate", ["prompt": "brass band, 75 seconds", "model": "TemPolor i3", "callback_url": Harness.callback])
            clock.advance(by: 100)
            let audio = try #require(try await sim.query("instrumental", [source.itemID]).first?["audio_url"] as? String)
            let created = try await Self.cover(sim, source: audio, lyrics: "[verse]\nshort")
            clock.advance(by: 100)
            let cover = try #require(try await sim.query("song", [created.itemID]).first)
            #expect(cover["duration"] as? Int == 75)
            #expect(TextGenerator.songDuration(lyrics: "[verse]\nshort") != 75)
        }
    }

    @Test func withoutLyricsThePlatformWritesThemAndBillsTheLyricsCall() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.initialBalance = 1000 }, clock: clock) { sim in
            let written = try await Self.cover(sim, source: "https://cdn.example.com/a.mp3", lyrics: "[verse]\nmine")
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 930)
            let generated = try await Self.cover(sim, source: "https://cdn.example.com/a.mp3")
            #expect(written.status == 200000 && generated.status == 200000)
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 853)
            clock.advance(by: 100)
            let cover = try #require(try await sim.query("song", [generated.itemID]).first)
            #expect((cover["lyrics"] as? String)?.split(separator: "\n").contains("[verse]") == true)
            #expect(try await sim.stats()["accepted_creates"] as? [String: Int] == ["cover": 2])
        }
    }

    @Test func thePriceIsConfigurable() async throws {
        try await Harness.with(Harness.configuration { $0.initialBalance = 100; $0.prices.cover = 55 }) { sim in
            let first = try await Self.cover(sim, source: "http://cdn.example.com/a.wav", lyrics: "[verse]\nx")
            #expect(first.status == 200000)
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 45)
            // 55 more than the 45 left: refused, nothing billed.
            let second = try await Self.cover(sim, source: "http://cdn.example.com/a.wav", lyrics: "[verse]\nx")
            #expect(second.status == 400005)
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 45)
        }
    }

    @Test(arguments: ["TemPolor v4.5", "TemPolor v3", "Mureka V9", "Eleven Music V2", "TemPolor i3"])
    func otherKnownModelsCannotCover(model: String) async throws {
        try await Harness.with { sim in
            let answer = try await Self.cover(sim, source: "https://cdn.example.com/a.mp3", lyrics: "[verse]\nx", model: model)
            #expect(answer.status == 400010, "\(answer.json)")
            #expect(try await sim.stats()["accepted_creates_total"] as? Int == 0)
        }
    }

    @Test func coverCallbacksAreSongCallbacks() async throws {
        try await CallbackTests.withReceiver(refusals: 0) { receiver, hook in
            let clock = ManualSimulatorClock()
            try await Harness.with(clock: clock) { sim in
                let created = try await sim.post("song/generate", ["action": "upload_cover", "upload_audio_url": "https://cdn.example.com/a.mp3",
                                                                   "model": "tempolor-latest", "prompt": "x", "callback_url": hook])
                #expect(created.status == 200000)
                await CallbackTests.step(sim, clock, by: 41)
                await CallbackTests.step(sim, clock, by: CallbackTests.pastEveryRetry)
                let received = await receiver.received
                #expect(received.allSatisfy { $0.kind == "songs" && $0.itemID == created.itemID })
                #expect(received.first?.event == "audio_complete")
                #expect(Set(received.map(\.event)) == ["audio_complete", "wav_complete", "lrcsections_complete"])
                #expect(received.count == 3)
            }
        }
    }
}
