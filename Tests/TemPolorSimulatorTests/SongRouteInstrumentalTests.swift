import Foundation
import Testing
@testable import TemPolorSimulator

@Suite("Instrumentals and models on song/generate (the 2026 API)")
struct SongRouteInstrumentalTests {
    static let songModels = ["TemPolor v3", "TemPolor v3.5", "TemPolor v4", "TemPolor v4.5", "TemPolor v4.6", "tempolor-latest",
                             "Eleven Music V2", "Lyria 3 Pro", "Mureka V9.5", "Mureka V9", "MiniMax 3.0"]
    static let instrumentalModels = ["TemPolor i3", "TemPolor i3.5", "TemPolor i4"]

    @Test func anInstrumentalThroughSongGenerateMovesThroughItsStatesOnSongQuery() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.fixedDuration = nil; $0.initialBalance = 1000 }, clock: clock) { sim in
            let created = try await sim.post("song/generate", [
                "prompt": "BPM 85, calm piano bed, 100 seconds", "model": "TemPolor i3.5", "instrumental": true, "callback_url": Harness.callback,
            ])
            #expect(created.status == 200000, "\(created.json)")
            let id = created.itemID
            #expect(id.hasPrefix("inst_"))

            let running = try #require(try await sim.query("song", [id]).first)
            #expect(running["status"] as? String == "running")
            #expect(running["audio_url"] as? String == "" && running["duration"] as? Int == 0)
            #expect(running["model"] as? String == "TemPolor i3.5")

            clock.advance(by: 41)
            let main = try #require(try await sim.query("song", [id]).first)
            #expect(main["status"] as? String == "main_succeeded")
            #expect(main["audio_hi_status"] as? String == "running")
            #expect((main["audio_url"] as? String)?.contains("/files/\(id)/audio.mp3?expires=") == true)
            #expect(main["audio_hi_url"] as? String == "")
            #expect(main["duration"] as? Int == 100)

            clock.advance(by: 15)
            let done = try #require(try await sim.query("song", [id]).first)
            #expect(done["status"] as? String == "succeeded")
            #expect(done["audio_hi_status"] as? String == "sub_succeeded")
            #expect((done["audio_hi_url"] as? String)?.contains("/files/\(id)/audio.wav?expires=") == true)
            #expect((done["finished_at"] as? Int ?? 0) > (done["created_at"] as? Int ?? .max))
            // Shown like a song, with its lyrics fields present and empty.
            #expect(done["lyrics"] as? String == "")
            #expect((done["lyrics_sections"] as? [Any])?.isEmpty == true)
            #expect(done["lyrics_sections_status"] is String)

            // The same item on the legacy query: the instrumental shape, without lyrics fields.
            let legacy = try #require(try await sim.query("instrumental", [id]).first)
            #expect(legacy["status"] as? String == "succeeded")
            #expect(legacy["lyrics"] == nil && legacy["lyrics_sections"] == nil && legacy["lyrics_sections_status"] == nil)

            // Billed as an instrumental (no lyrics call), counted as one.
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 980)
            let stats = try await sim.stats()
            #expect(stats["accepted_creates"] as? [String: Int] == ["instrumental": 1])
        }
    }

    @Test func theInstrumentalModelCapsTheLength() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.fixedDuration = nil }, clock: clock) { sim in
            let created = try await sim.post("song/generate", [
                "prompt": "an ambient drone, 200 seconds", "model": "TemPolor i3", "instrumental": true, "callback_url": Harness.callback,
            ])
            let unlimited = try await sim.post("song/generate", [
                "prompt": "an ambient drone, 200 seconds", "model": "TemPolor i4", "instrumental": true, "callback_url": Harness.callback,
            ])
            clock.advance(by: 100)
            let items = try await sim.query("song", [created.itemID, unlimited.itemID])
            #expect(items.map { $0["duration"] as? Int } == [120, 200])
            // i4 has its own price (30); i3 the instrumental price (20).
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 100_000 - 50)
        }
    }

    @Test func lyricsSentWithAnInstrumentalAreNotSungNorBilled() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.initialBalance = 100 }, clock: clock) { sim in
            let created = try await sim.post("song/generate", [
                "prompt": "lo-fi beat", "model": "TemPolor i3", "instrumental": true, "lyrics": "[verse]\nla la", "callback_url": Harness.callback,
            ])
            #expect(created.status == 200000)
            clock.advance(by: 100)
            let item = try #require(try await sim.query("song", [created.itemID]).first)
            #expect(item["lyrics"] as? String == "")
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 80)
        }
    }

    @Test func songQueryAnswersLegacyInstrumentalsAndInstrumentalQueryAnswersBothRoutes() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let legacy = try await sim.post("instrumental/generate", ["prompt": "piano", "model": "TemPolor i3", "callback_url": Harness.callback])
            let today = try await sim.post("song/generate", ["prompt": "piano", "model": "TemPolor i3", "instrumental": true, "callback_url": Harness.callback])
            let song = try await sim.createSong()
            clock.advance(by: 100)
            let viaSong = try await sim.query("song", [legacy.itemID, today.itemID, song])
            #expect(viaSong.map { $0["item_id"] as? String } == [legacy.itemID, today.itemID, song])
            #expect(viaSong.allSatisfy { $0["status"] as? String == "succeeded" })
            #expect(viaSong.allSatisfy { $0["lyrics"] is String && $0["lyrics_sections"] is [Any] })
            let viaInstrumental = try await sim.query("instrumental", [today.itemID, legacy.itemID])
            #expect(viaInstrumental.map { $0["item_id"] as? String } == [today.itemID, legacy.itemID])
            // A song is still no instrumental.
            #expect(try await sim.post("instrumental/query", ["item_ids": [song]]).status == 400008)
        }
    }

    @Test(arguments: songModels)
    func everySongModelMakesASong(model: String) async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let created = try await sim.post("song/generate", ["prompt": "a summer anthem", "model": model, "lyrics": "[verse]\nsun", "callback_url": Harness.callback])
            #expect(created.status == 200000, "\(created.json)")
            #expect(created.itemID.hasPrefix("song_"))
            clock.advance(by: 100)
            let song = try #require(try await sim.query("song", [created.itemID]).first)
            #expect(song["model"] as? String == model)
            #expect(song["status"] as? String == "succeeded")
            #expect(song["lyrics"] as? String == "[verse]\nsun")
            // An instrumental needs an instrumental model.
            let refused = try await sim.post("song/generate", ["prompt": "x", "model": model, "instrumental": true, "callback_url": Harness.callback])
            #expect(refused.status == 400010, "\(refused.json)")
        }
    }

    @Test(arguments: instrumentalModels)
    func everyInstrumentalModelMakesAnInstrumentalOnlyWhenAskedFor(model: String) async throws {
        try await Harness.with { sim in
            let created = try await sim.post("song/generate", ["prompt": "strings", "model": model, "instrumental": true, "callback_url": Harness.callback])
            #expect(created.status == 200000, "\(created.json)")
            #expect(created.itemID.hasPrefix("inst_"))
            for flag: Any in [false, NSNull()] {
                let refused = try await sim.post("song/generate", ["prompt": "strings", "model": model, "instrumental": flag, "callback_url": Harness.callback])
                #expect(refused.status == 400010, "\(refused.json)")
            }
        }
    }

    @Test func songRouteInstrumentalsAreCalledBackAsSongsAndLegacyOnesAsInstrumentals() async throws {
        try await CallbackTests.withReceiver(refusals: 0) { receiver, hook in
            let clock = ManualSimulatorClock()
            try await Harness.with(clock: clock) { sim in
                let today = try await sim.post("song/generate", ["prompt": "x", "model": "TemPolor i4", "instrumental": true, "callback_url": hook])
                let legacy = try await sim.post("instrumental/generate", ["prompt": "x", "model": "TemPolor i4", "callback_url": hook])
                await CallbackTests.step(sim, clock, by: CallbackTests.pastEveryRetry)
                let received = await receiver.received
                let todays = received.filter { $0.itemID == today.itemID }, legacies = received.filter { $0.itemID == legacy.itemID }
                #expect(todays.map(\.kind) == ["songs", "songs"])
                #expect(todays.map(\.event) == ["audio_complete", "wav_complete"])
                #expect(legacies.map(\.kind) == ["instrumentals", "instrumentals"])
                #expect(legacies.map(\.event) == ["audio_complete", "wav_complete"])
            }
        }
    }
}
