import Foundation
import Testing
@testable import TemPolorSimulator

@Suite("State that advances over time")
struct LifecycleTests {
    /// The song object of `shared/seeds/tempolor-song-query.txt`, abridged to one section of each kind.
    static let seedSong = """
    {"item_id": "123", "status": "succeeded", "audio_hi_status": "sub_succeeded", "lyrics_sections_status": "sub_succeeded",
     "event": null, "model": "TemPolor v3", "title": "Owl's Moonlit Waltz", "style": "Pop",
     "prompt": "A Song About an Owl’s Moonlit Dance in Happy Style", "duration": 96, "created_at": 1747207597,
     "finished_at": 1747207721, "audio_url": "https://******", "audio_hi_url": "https://*****",
     "lyrics_sections": [{"start": 0.76, "end": 0.78, "text": "[intro]"}, {"start": 16.761, "end": 19.75, "text": "Under silver beams it flies"}]}
    """

    @Test func aSongGoesRunningMainSucceededSucceededWithEverySeedField() async throws {
        let clock = ManualSimulatorClock()
        let lyrics = "[intro]\n[verse]\nUnder silver beams it flies\nGraceful wings that paint the skies\n[chorus]\nMoonlight guides the silent flight\nOwls dance in pure delight"
        try await Harness.with(Harness.configuration { $0.fixedDuration = nil }, clock: clock) { sim in
            let id = try await sim.createSong(lyrics: lyrics)
            let seed = try JSONDecoder().decode([String: JSONValue].self, from: Data(Self.seedSong.utf8))

            func check(_ expected: (status: String, hi: String, sections: String)) async throws -> [String: Any] {
                let raw = try await sim.post("song/query", raw: try JSONSerialization.data(withJSONObject: ["item_ids": [id]])).rawBody
                let typed = try #require(try JSONDecoder().decode(JSONValue.self, from: raw)["data"]?["songs"]?[0])
                let song = try #require(try await sim.query("song", [id]).first)
                #expect(song["status"] as? String == expected.status)
                #expect(song["audio_hi_status"] as? String == expected.hi)
                #expect(song["lyrics_sections_status"] as? String == expected.sections)
                for (key, value) in seed {
                    let actual = try #require(typed[key], "missing \(key)")
                    if key == "event" { continue }          // null in queries, a string in callbacks
                    #expect(actual.typeName == value.typeName, "\(key) is \(actual.typeName), the seed has \(value.typeName)")
                }
                return song
            }

            let running = try await check(("running", "waiting", "waiting"))
            #expect(running["audio_url"] as? String == "")
            clock.advance(by: 41)
            let main = try await check(("main_succeeded", "running", "running"))
            #expect((main["audio_url"] as? String)?.hasPrefix("http://127.0.0.1") == true)
            #expect(main["audio_hi_url"] as? String == "")
            clock.advance(by: 11)
            _ = try await check(("main_succeeded", "running", "sub_succeeded"))
            clock.advance(by: 5)
            let done = try await check(("succeeded", "sub_succeeded", "sub_succeeded"))
            #expect((done["audio_hi_url"] as? String)?.contains("audio.wav?expires=") == true)
            #expect(done["finished_at"] as? Int ?? 0 >= done["created_at"] as? Int ?? .max)

            // Sections: markers as their own short entries ("\n[verse]" after the first), lines in order.
            let sections = try #require(done["lyrics_sections"] as? [[String: Any]])
            let texts = sections.map { $0["text"] as? String ?? "" }
            #expect(texts == ["[intro]", "\n[verse]", "Under silver beams it flies", "Graceful wings that paint the skies",
                              "\n[chorus]", "Moonlight guides the silent flight", "Owls dance in pure delight"])
            let duration = Double(done["duration"] as? Int ?? 0)
            var previousEnd = 0.0
            for section in sections {
                let start = section["start"] as? Double ?? -1, end = section["end"] as? Double ?? -1
                #expect(start >= previousEnd && end >= start && end <= duration)
                previousEnd = end
            }
            #expect(done["lyrics"] as? String == lyrics)
        }
    }

    @Test func timeScaleMakesEverythingFaster() async throws {
        // At time scale 1 a song takes 40 s to its mp3 and 15 s more to its WAV; at 0.005, 0.2 s and 0.275 s.
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.timeScale = 0.005 }, clock: clock) { sim in
            let id = try await sim.createSong()
            func status() async throws -> String? { try await sim.query("song", [id]).first?["status"] as? String }
            #expect(try await status() == "running")
            clock.advance(by: 0.19)
            #expect(try await status() == "running")
            clock.advance(by: 0.02)
            #expect(try await status() == "main_succeeded")
            clock.advance(by: 0.075)
            #expect(try await status() == "succeeded")
        }
    }

    @Test func partFailedKeepsTheMP3() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            await sim.simulator.scriptOutcomes([.partFailed])
            let id = try await sim.createSong()
            clock.advance(by: 100)
            let song = try #require(try await sim.query("song", [id]).first)
            #expect(song["status"] as? String == "part_failed")
            #expect(song["audio_hi_status"] as? String == "sub_failed")
            #expect((song["audio_url"] as? String)?.isEmpty == false)
            #expect(song["audio_hi_url"] as? String == "")
        }
    }

    @Test func failedTasksAreNotBilled() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.initialBalance = 1000 }, clock: clock) { sim in
            await sim.simulator.scriptOutcomes([.failed])
            let id = try await sim.createSong()
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 970)
            clock.advance(by: 100)
            #expect(try await sim.query("song", [id]).first?["status"] as? String == "failed")
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 1000)
        }
    }

    @Test func lyricsSectionsAreMonotonicForAnyLyrics() {
        for lines in [1, 5, 40, 120] {
            let lyrics = (0..<lines).map { $0 % 5 == 0 ? "[verse]" : "line \($0)" }.joined(separator: "\n")
            let sections = LyricsTiming.sections(for: lyrics, duration: 60)
            // Every line gets its section (the loop below checks nothing when there are none).
            #expect(!sections.isEmpty)
            #expect(sections.count == lines, "\(lines) lines")
            var previous = 0.0
            for section in sections {
                #expect(section.start >= previous && section.end >= section.start && section.end <= 60)
                previous = section.end
            }
        }
    }
}
