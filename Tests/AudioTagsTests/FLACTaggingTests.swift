import AudioTags
import Foundation
import TestSupport
import Testing

@Suite("FLAC: Vorbis comments")
struct FLACTaggingTests {
    static let stemTags = TrackTags(
        title: "Café ☕️ Nights (vocals)", artist: "TemPolor AI", album: "demo · pop", trackNumber: 3, trackTotal: 12,
        date: "2026-11-22", genre: "Synth-pop", comment: "stem of itm_8f3a", lyrics: "First line\nSecond line",
        syncedLyrics: [SyncedLine(milliseconds: 0, text: "First line")], bpm: 120, key: "F#m",
        custom: [
            CustomField("PROVIDER", "tempolor"), CustomField("ITEM_ID", "itm_stem_1"), CustomField("TASK_KEY", "demo/pop/song-1/stems"),
            CustomField("PARENT_ITEM", "itm_8f3a"), CustomField("STEM", "vocals"), CustomField("PARENT_TITLE", "Café ☕️ Nights"),
        ]
    )

    static let expectedFields: [Mutagen.Field] = [
        .init(name: "TITLE", value: "Café ☕️ Nights (vocals)"), .init(name: "ARTIST", value: "TemPolor AI"),
        .init(name: "ALBUM", value: "demo · pop"), .init(name: "TRACKNUMBER", value: "3"), .init(name: "TRACKTOTAL", value: "12"),
        .init(name: "DATE", value: "2026-11-22"), .init(name: "GENRE", value: "Synth-pop"),
        .init(name: "COMMENT", value: "stem of itm_8f3a"), .init(name: "LYRICS", value: "First line\nSecond line"),
        .init(name: "BPM", value: "120"), .init(name: "KEY", value: "F#m"),
        .init(name: "PROVIDER", value: "tempolor"), .init(name: "ITEM_ID", value: "itm_stem_1"),
        .init(name: "TASK_KEY", value: "demo/pop/song-1/stems"), .init(name: "PARENT_ITEM", value: "itm_8f3a"),
        .init(name: "STEM", value: "vocals"), .init(name: "PARENT_TITLE", value: "Café ☕️ Nights"),
    ]

    @Test("every field reads back with mutagen.flac in order, other blocks kept, flac -t passes")
    func everyFieldReadsBack() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let application: [UInt8] = Array("tmpo".utf8) + [1, 2, 3, 4]
        let file = try scratch.file("vocals.flac.part", AudioSamples.flac(extraBlocks: [(1, [UInt8](repeating: 0, count: 64)), (2, application)]))
        _ = try runTool("metaflac", "--set-tag=TITLE=Old title", "--set-tag=OLD=stale", file.path)   // an existing VORBIS_COMMENT
        #expect(try Mutagen.flac(file).values("OLD") == ["stale"])

        try AudioTagger.tag(fileAt: file, tags: Self.stemTags)             // the format is read through ".part"

        let reading = try Mutagen.flac(file)
        #expect(reading.vendor == "tempo-batch")
        #expect(reading.fields == Self.expectedFields)
        #expect(reading.values("STEM") == ["vocals"])
        #expect(reading.blocks == [0, 4, 2], "STREAMINFO, VORBIS_COMMENT, APPLICATION; PADDING dropped")
        #expect(reading.seconds == 1.0)
        let renamed = scratch.folder.appendingPathComponent("vocals.flac")     // as the runner's final rename
        try FileManager.default.moveItem(at: file, to: renamed)
        #expect(AudioDecoding.problem(renamed) == nil)
        #expect(try AudioDecoding.seconds(renamed) == 1.0)
        let list = try runTool("metaflac", "--list", renamed.path)
        #expect(list.components(separatedBy: "is last: true").count == 2, "exactly one block flagged last")
    }

    @Test("tagging twice leaves one VORBIS_COMMENT block")
    func taggingTwiceLeavesOneBlock() throws {
        let original = AudioSamples.flac()
        let once = try FLAC.tagged(original, with: Self.stemTags)
        #expect(try FLAC.tagged(once, with: Self.stemTags) == once, "the same tags give the same bytes")
        let twice = try FLAC.tagged(once, with: TrackTags(title: "Second", custom: [CustomField("STEM", "drums")]))
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = try scratch.file("twice.flac", twice)
        let reading = try Mutagen.flac(file)
        #expect(reading.blocks == [0, 4])
        #expect(reading.fields == [.init(name: "TITLE", value: "Second"), .init(name: "STEM", value: "drums")])
        #expect(AudioDecoding.problem(file) == nil)
        #expect(twice.suffix(original.count - 42) == original.suffix(original.count - 42), "frames untouched")
    }

    @Test("a field name Vorbis comments cannot hold is refused")
    func invalidFieldName() {
        #expect(throws: AudioTagError.self) {
            try FLAC.tagged(AudioSamples.flac(), with: TrackTags(custom: [CustomField("A=B", "x")]))
        }
        #expect(throws: AudioTagError.self) {
            try FLAC.tagged(AudioSamples.flac(), with: TrackTags(custom: [CustomField("", "x")]))
        }
    }
}
