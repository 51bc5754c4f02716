import Foundation
import Testing
@testable import TemPolorSimulator

@Suite("The 2026 items survive a restart through the state file")
struct StateFileTests {
    @Test func instrumentalsCoversAndTranscriptionsAreKnownAfterARestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sim-state-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = Harness.configuration { $0.stateFile = folder.appendingPathComponent("state.json") }
        let clock = ManualSimulatorClock()
        let ids = try await Harness.with(configuration, clock: clock) { sim in
            let instrumental = try await sim.post("song/generate", ["prompt": "x", "model": "TemPolor i3", "instrumental": true, "callback_url": Harness.callback])
            let cover = try await CoverTests.cover(sim, source: "https://cdn.example.com/a.mp3", lyrics: "[verse]\nx")
            let midi = try await MIDITests.create(sim, url: "https://cdn.example.com/a.mp3")
            return [instrumental.itemID, cover.itemID, midi.itemID]
        }
        #expect(ids.allSatisfy { !$0.isEmpty })
        clock.advance(by: 100)
        try await Harness.with(configuration, clock: clock) { sim in
            let songs = try await sim.query("song", [ids[0], ids[1]])
            #expect(songs.map { $0["status"] as? String } == ["succeeded", "succeeded"])
            #expect(try await sim.query("instrumental", [ids[0]]).first?["status"] as? String == "succeeded")
            let midi = try #require(try await sim.query("midi", [ids[2]]).first)
            #expect(midi["status"] as? String == "succeeded")
            let zip = try await sim.get(midi["midi_url"] as? String ?? "")
            #expect(try MIDITests.members(of: zip.body).count == 3)
        }
    }

    @Test func stateFilesWrittenBeforeCreatedAsStillLoad() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sim-state-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("state.json")
        let configuration = Harness.configuration { $0.stateFile = file }
        let clock = ManualSimulatorClock()
        let id = try await Harness.with(configuration, clock: clock) { sim in
            try await sim.post("song/generate", ["prompt": "x", "model": "TemPolor i3", "instrumental": true, "callback_url": Harness.callback]).itemID
        }
        // The file as an older simulator wrote it: no createdAs anywhere.
        var saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let items = try #require(saved["items"] as? [[String: Any]])
        #expect(items.contains { $0["createdAs"] as? String == "song" })
        saved["items"] = items.map { $0.filter { $0.key != "createdAs" } }
        try JSONSerialization.data(withJSONObject: saved).write(to: file)
        clock.advance(by: 100)
        try await Harness.with(configuration, clock: clock) { sim in
            let song = try await sim.query("song", [id]).first
            let instrumental = try await sim.query("instrumental", [id]).first
            #expect(song?["status"] as? String == "succeeded" && song?["lyrics"] as? String == "")
            #expect(instrumental?["status"] as? String == "succeeded")
        }
    }
}
