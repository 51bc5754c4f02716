import Foundation
import Testing
import TestSupport
import ZIPFoundation
@testable import TemPolorSimulator

@Suite("MIDI transcription: POST midi and midi/query")
struct MIDITests {
    static func create(_ sim: Harness, url: String, callback: String = Harness.callback) async throws -> Harness.Answer {
        try await sim.post("midi", ["url": url, "callback_url": callback])
    }

    /// The members of a zip, by name.
    static func members(of zip: Data) throws -> [String: Data] {
        let archive = try Archive(data: zip, accessMode: .read, pathEncoding: nil)
        var members: [String: Data] = [:]
        for entry in archive {
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            members[entry.path] = data
        }
        return members
    }

    @Test func aTranscriptionRunsThenServesAMIDIZipAndAStemsZip() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.initialBalance = 1000 }, clock: clock) { sim in
            let created = try await Self.create(sim, url: "https://cdn.example.com/Night%20Drive.mp3")
            #expect(created.status == 200000, "\(created.json)")
            let id = created.itemID
            #expect(id.hasPrefix("midi_"))
            #expect((created.data["item_ids"] as? [String])?.count == 1)

            let running = try #require(try await sim.query("midi", [id]).first)
            #expect(running["item_id"] as? String == id)
            #expect(running["status"] as? String == "running")
            #expect(running["midi_url"] as? String == "" && running["stems_url"] as? String == "")
            clock.advance(by: 44)
            #expect(try await sim.query("midi", [id]).first?["status"] as? String == "running")

            clock.advance(by: 2)
            let done = try #require(try await sim.query("midi", [id]).first)
            #expect(done["status"] as? String == "succeeded")
            #expect(Set(done.keys) == ["item_id", "status", "midi_url", "stems_url"])
            let midiURL = try #require(done["midi_url"] as? String)
            let stemsURL = try #require(done["stems_url"] as? String)
            #expect(midiURL.contains("/files/\(id)/midi.zip?expires=") && midiURL.contains("signature="))
            #expect(stemsURL.contains("/files/\(id)/stems.zip?expires="))

            let midiZip = try await sim.get(midiURL)
            #expect(midiZip.status == 200)
            #expect(midiZip.headers.first(name: "Content-Type") == "application/zip")
            #expect(try Self.members(of: midiZip.body).keys.sorted() == ["Night_Drive_bass.mid", "Night_Drive_chords.mid", "Night_Drive_melody.mid"])
            let stemsZip = try await sim.get(stemsURL)
            #expect(stemsZip.status == 200)
            let stems = try Archive(data: stemsZip.body, accessMode: .read, pathEncoding: nil)
            #expect(stems.map(\.path).sorted().first == "Night_Drive_bass.flac")
            try Harness.expectDecodableStems(stems, seconds: 12)

            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 990)
            let stats = try await sim.stats()
            #expect(stats["accepted_creates"] as? [String: Int] == ["midi": 1])
            #expect(stats["accepted_creates_total"] as? Int == 1)
        }
    }

    @Test func theMIDIFilesParseWithMidoAsFormatOneWithATempoAndNotes() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.fixedDuration = nil }, clock: clock) { sim in
            // A source of our own: the transcription is as long as it (75 s).
            let source = try await sim.post("instrumental/generate", ["prompt": "funk groove, 75 seconds", "model": "TemPolor i3", "callback_url": Harness.callback])
            clock.advance(by: 100)
            let audio = try #require(try await sim.query("instrumental", [source.itemID]).first?["audio_url"] as? String)
            let created = try await Self.create(sim, url: audio)
            clock.advance(by: 50)
            let url = try #require(try await sim.query("midi", [created.itemID]).first?["midi_url"] as? String)
            let members = try Self.members(of: try await sim.get(url).body)
            #expect(members.count == 3)
            var tempos: Set<Double> = []
            for (name, data) in members.sorted(by: { $0.key < $1.key }) {
                #expect(name.hasPrefix("Funk_Groove_75_Seconds_") && name.hasSuffix(".mid"))
                #expect(data.prefix(4) == Data("MThd".utf8))
                let midi = try Mido.read(data)
                #expect(midi.type == 1, "\(name)")
                #expect(midi.tracks.count == 2, "\(name)")
                #expect(midi.ticksPerBeat == 480)
                #expect(midi.tracks[0].tempos.count == 1 && midi.tracks[0].notes == 0, "the conductor track holds the tempo")
                let notes = midi.tracks[1]
                #expect(notes.notes > 0, "\(name)")
                #expect(notes.unended == 0 && notes.strayOffs == 0, "every note-on has its note-off")
                #expect(midi.tracks.allSatisfy { $0.endsWithEndOfTrack })
                // As long as the source, to within one 4/4 bar.
                let bar = 4 * 60 / (midi.tempos.first ?? 1)
                #expect(midi.seconds >= 75 - 1 && midi.seconds <= 75 + bar, "\(name): \(midi.seconds) s")
                tempos.formUnion(midi.tempos)
                let part = name.dropFirst("Funk_Groove_75_Seconds_".count).dropLast(4)
                #expect(notes.name.hasSuffix(String(part)))
                if part == "bass" { #expect(notes.pitches.allSatisfy { $0 < 60 }, "the bass sits low") }
                if part == "chords" { #expect(notes.notes % 3 == 0, "triads") }
            }
            #expect(tempos.count == 1, "one tempo for all parts")
            #expect(tempos.allSatisfy { (80...140).contains($0.rounded()) })
        }
    }

    @Test func theMusicIsDeterministicPerItemAndDiffersBetweenItems() throws {
        let first = MIDIArchive.files(name: "a", seconds: 30, seed: 7)
        #expect(first.map { $0.data } == MIDIArchive.files(name: "a", seconds: 30, seed: 7).map { $0.data })
        #expect(first.map { $0.data } != MIDIArchive.files(name: "a", seconds: 30, seed: 8).map { $0.data })
        #expect(first.map { $0.part } == ["melody", "bass", "chords"])
        #expect(MIDIFile.variableLength(0) == [0x00])
        #expect(MIDIFile.variableLength(0x7F) == [0x7F])
        #expect(MIDIFile.variableLength(0x80) == [0x81, 0x00])
        #expect(MIDIFile.variableLength(0x3FFF) == [0xFF, 0x7F])
        #expect(MIDIFile.variableLength(0x0FFF_FFFF) == [0xFF, 0xFF, 0xFF, 0x7F])
    }

    @Test func twoTranscriptionsOfTheSameURLAreDifferentItems() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let first = try await Self.create(sim, url: "https://cdn.example.com/a.mp3")
            let second = try await Self.create(sim, url: "https://cdn.example.com/a.mp3")
            #expect(first.itemID != second.itemID)
            clock.advance(by: 50)
            let items = try await sim.query("midi", [second.itemID, first.itemID])
            #expect(items.map { $0["item_id"] as? String } == [second.itemID, first.itemID])
            var zips: [[String: Data]] = []
            for item in items { zips.append(try Self.members(of: try await sim.get(item["midi_url"] as? String ?? "").body)) }
            #expect(zips[0]["a_melody.mid"] != nil && zips[0]["a_melody.mid"] != zips[1]["a_melody.mid"])
        }
    }

    @Test func aFailedTranscriptionHasNoURLsAndIsNotBilled() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.initialBalance = 100 }, clock: clock) { sim in
            await sim.simulator.scriptOutcomes([.failed])
            let created = try await Self.create(sim, url: "https://cdn.example.com/a.mp3")
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 90)
            clock.advance(by: 50)
            let item = try #require(try await sim.query("midi", [created.itemID]).first)
            #expect(item["status"] as? String == "failed")
            #expect(item["midi_url"] as? String == "" && item["stems_url"] as? String == "")
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 100)
        }
    }

    @Test func thePriceAndTheDurationAreConfigurable() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(Harness.configuration { $0.initialBalance = 100; $0.prices.midi = 25; $0.schedule.midi = 5 }, clock: clock) { sim in
            let created = try await Self.create(sim, url: "https://cdn.example.com/a.mp3")
            #expect(try await sim.post("account/billing", [:]).data["balance"] as? Double == 75)
            clock.advance(by: 6)
            #expect(try await sim.query("midi", [created.itemID]).first?["status"] as? String == "succeeded")
        }
    }

    @Test func midiIDsBelongToMIDIQueryOnly() async throws {
        try await Harness.with { sim in
            let midi = try await Self.create(sim, url: "https://cdn.example.com/a.mp3")
            let stems = try await sim.post("stems", ["url": "https://cdn.example.com/a.mp3", "callback_url": Harness.callback])
            #expect(try await sim.post("stems/query", ["item_ids": [midi.itemID]]).status == 400008)
            #expect(try await sim.post("song/query", ["item_ids": [midi.itemID]]).status == 400008)
            #expect(try await sim.post("midi/query", ["item_ids": [stems.itemID]]).status == 400008)
            #expect(try await sim.post("midi/query", ["item_ids": [midi.itemID, "midi_nope"]]).status == 400008)
        }
    }

    @Test func midiCallbacksComeOnceWithTheItem() async throws {
        try await CallbackTests.withReceiver(refusals: 1) { receiver, hook in
            let clock = ManualSimulatorClock()
            try await Harness.with(clock: clock) { sim in
                let created = try await Self.create(sim, url: "https://cdn.example.com/a.mp3", callback: hook)
                await CallbackTests.step(sim, clock, by: 44)
                #expect(await receiver.received.isEmpty)
                await CallbackTests.step(sim, clock, by: 2)
                #expect(await receiver.received.count == 1, "refused once")
                await CallbackTests.step(sim, clock, by: CallbackTests.pastEveryRetry)
                await CallbackTests.step(sim, clock, by: CallbackTests.pastEveryRetry)
                let received = await receiver.received
                #expect(received.map(\.kind) == ["midis", "midis"])
                #expect(received.allSatisfy { $0.itemID == created.itemID })
                let body = try #require(await receiver.bodies.last)
                let item = try #require(((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["midis"] as? [[String: Any]])?.first)
                #expect(item["status"] as? String == "succeeded")
                #expect((item["midi_url"] as? String)?.contains("/files/\(created.itemID)/midi.zip?") == true)
                #expect((item["stems_url"] as? String)?.contains("/files/\(created.itemID)/stems.zip?") == true)
                #expect(try await sim.stats()["callbacks_delivered"] as? Int == 1)
            }
        }
    }
}
