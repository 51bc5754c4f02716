import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import TestSupport
import Testing

/// Every audio file a run files carries its tags, written before the file got its name, and
/// Python's mutagen (an independent reader) reads each kind back: ID3v2.4 in mp3, the `id3 `
/// chunk of WAV, Vorbis comments in FLAC stems.
@Suite("Tags read back from a run's files")
struct TagReadBackTests {
    static let openAPIManifest = """
    version: 1
    name: tagged
    tags:
      artist: Night Shift
      album: "{manifest} {style}"
    jobs:
      - name: neon
        matrix: { style: [Synth-pop] }
        song:
          prompt: "Bright {style} song about neon rain. Night drive."
          model: TemPolor v3.5
          lyrics: |
            [verse]
            Neon rain on the window
            [chorus]
            Drive all night
        extend:
          - start_time: 20
        stems: true
    """

    @Test func everyTagKindReadsBackFromMP3WAVAndFLAC() async throws {
        try await RunnerHarness.with { sim in
            let log = OutputLog()
            let result = await sim.run(try sim.manifest(Self.openAPIManifest), log: log)
            #expect(result.exitCode == 0, "\(result.message ?? "")\n\(log.text)")
            let ledger = try sim.ledger()
            let tasks = try ledger.allTasks()
            let song = try #require(tasks.first { $0.kind == "song" })
            let extend = try #require(tasks.first { $0.kind == "extend" })
            let stems = try #require(tasks.first { $0.kind == "stems" })
            let songResult = try #require(StoredResult.parse(song.result))
            let extendResult = try #require(StoredResult.parse(extend.result))
            let folder = sim.library.appendingPathComponent(song.output)

            for (name, reading) in [
                ("song.mp3", try Mutagen.id3(mp3: folder.appendingPathComponent("song.mp3"))),
                ("song.wav", try Mutagen.id3(wav: folder.appendingPathComponent("song.wav"))),
            ] {
                #expect(reading.version.prefix(2) == [2, 4], "\(name): \(reading.version)")
                #expect(reading.text("TIT2") == [try #require(songResult.title)], "\(name)")
                #expect(reading.text("TPE1") == ["Night Shift"], "\(name)")
                #expect(reading.text("TALB") == ["tagged Synth-pop"], "\(name)")
                #expect(reading.text("TRCK") == ["1/2"], "\(name)")
                #expect(reading.text("TDRC") == [TrackTagging.day(try #require(try ledger.generatedAt(song.key)))], "\(name)")
                #expect(reading.text("TCON") == ["Synth-pop"], "\(name)")
                #expect(reading.text("COMM::eng") == ["Bright Synth-pop song about neon rain. Night drive."], "\(name)")
                #expect(reading.text("USLT::eng") == [try #require(songResult.lyrics)], "\(name)")
                let synced = try #require(reading.frames["SYLT::eng"]?.synced, "\(name) has no SYLT: \(reading.frames.keys.sorted())")
                // Sung lines only: section markers (`[chorus]`) are not lyrics.
                let expected = songResult.sections.map { ($0.start, $0.text.trimmingCharacters(in: .whitespacesAndNewlines)) }
                    .filter { !$0.1.hasPrefix("[") && !$0.1.isEmpty }.map { (start: $0.0, text: $0.1) }
                #expect(synced.map(\.text) == expected.map(\.text), "\(name)")
                #expect(synced.map(\.ms) == expected.map { UInt32(($0.start * 1000).rounded()) }, "\(name)")
                #expect(!synced.isEmpty)
                #expect(reading.text("TXXX:PROVIDER") == ["tempolor"], "\(name)")
                #expect(reading.text("TXXX:ITEM_ID") == [try #require(song.itemID)], "\(name)")
                #expect(reading.text("TXXX:TASK_KEY") == [song.key], "\(name)")
                #expect(reading.text("TXXX:MODEL") == ["TemPolor v3.5"], "\(name)")
                #expect(reading.frames["TXXX:PARENT_ITEM"] == nil, "\(name)")
            }

            // The extend: its own item and title, the song as its parent, the next track.
            let extended = try Mutagen.id3(mp3: folder.appendingPathComponent("extend-1.mp3"))
            #expect(extended.text("TIT2") == [try #require(extendResult.title)])
            #expect(extended.text("TRCK") == ["2/2"])
            #expect(extended.text("TXXX:ITEM_ID") == [try #require(extend.itemID)])
            #expect(extended.text("TXXX:PARENT_ITEM") == [try #require(song.itemID)])
            #expect(extended.text("TXXX:MODEL") == ["TemPolor v3.5"])
            #expect(extended.text("COMM::eng") == ["Bright Synth-pop song about neon rain. Night drive."])

            // Stems of the chain's last audio (the extend): Vorbis comments.
            for stem in ["vocals", "drums"] {
                let flac = try Mutagen.flac(folder.appendingPathComponent("stems/\(stem).flac"))
                let title = try #require(extendResult.title)
                #expect(flac.values("TITLE") == ["\(title) (\(stem))"])
                #expect(flac.values("STEM") == [stem])
                #expect(flac.values("PARENT_TITLE") == [title])
                #expect(flac.values("PARENT_ITEM") == [try #require(extend.itemID)])
                #expect(flac.values("ITEM_ID") == [try #require(stems.itemID)])
                #expect(flac.values("ARTIST") == ["Night Shift"])
                #expect(flac.values("ALBUM") == ["tagged Synth-pop"])
                #expect(flac.values("GENRE") == ["Synth-pop"])
                #expect(flac.values("DATE") == [TrackTagging.day(try #require(try ledger.generatedAt(stems.key)))])
                #expect(flac.values("COMMENT") == ["Bright Synth-pop song about neon rain. Night drive."])
                #expect(flac.values("MODEL") == ["TemPolor v3.5"])
                #expect(flac.values("PROVIDER") == ["tempolor"])
            }

            // The ledger holds the hash of each file as tagged, and the audio still decodes.
            for task in tasks {
                for file in try ledger.files(of: task.key) {
                    let url = sim.library.appendingPathComponent(file.path)
                    #expect(FileHash.sha256(of: url)?.sha256 == file.sha256, "\(file.path)")
                    if ["mp3", "wav", "flac"].contains(url.pathExtension) {
                        #expect(AudioCheck.problem(url) == nil, "\(file.path)")
                    }
                }
            }
            // A resume finds every tagged file sound: nothing is downloaded or tagged again.
            let again = OutputLog()
            #expect(await sim.run(try sim.manifest(Self.openAPIManifest), log: again).exitCode == 0)
            #expect(again.text.contains("0 submitted, 0 credits, 0 files written"), "\(again.text)")
        }
    }

    @Test func tempoAndKeyComeFromTheProvidersAnswer() async throws {
        let manifest = """
        version: 1
        name: beds
        provider: useapi
        jobs:
          - name: tide
            matrix: { genre: [Ambient] }
            instrumental:
              prompt: "Calm piano bed"
              model: TemPolor i3.5
              tonality: "A:minor"
              bpm: 96
        """
        try await RunnerHarness.with { sim in
            let log = OutputLog()
            let result = await sim.run(try sim.manifest(manifest), log: log, provider: .useapi)
            #expect(result.exitCode == 0, "\(result.message ?? "")\n\(log.text)")
            let task = try #require(try sim.ledger().allTasks().first)
            let stored = try #require(StoredResult.parse(task.result))
            #expect(stored.bpm == 96)
            #expect(stored.key == "A:minor")
            let reading = try Mutagen.id3(mp3: sim.library.appendingPathComponent("\(task.output)/instrumental.mp3"))
            #expect(reading.text("TBPM") == ["96"])
            #expect(reading.text("TKEY") == ["Am"])
            #expect(reading.text("TCON") == ["Ambient"])
            #expect(reading.text("TPE1") == ["TemPolor i3.5"])
            #expect(reading.text("TALB") == ["beds"])
            #expect(reading.text("TIT2") == [try #require(stored.title)])
            #expect(reading.text("TXXX:PROVIDER") == ["useapi"])
            #expect(reading.frames["USLT::eng"] == nil)
        }
    }

    @Test func titlesFromPromptsAreFirstSentencesCutAtAWord() {
        #expect(TrackTagging.title(fromPrompt: "Bright song about rain. Night drive.") == "Bright song about rain")
        #expect(TrackTagging.title(fromPrompt: "  \n ") == nil)
        let long = TrackTagging.title(fromPrompt: String(repeating: "word ", count: 30))
        #expect(long?.hasSuffix("…") == true)
        #expect((long?.count ?? 99) <= 61)
        #expect(TrackTagging.musicalKey("F#:minor") == "F#m")
        #expect(TrackTagging.musicalKey("Eb:major") == "Eb")
        #expect(TrackTagging.musicalKey("weird") == "weird")
    }
}
