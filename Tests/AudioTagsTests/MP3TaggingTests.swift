import AudioTags
import Foundation
import TestSupport
import Testing

@Suite("mp3: ID3v2.4 at the front")
struct MP3TaggingTests {
    @Test("every field reads back with mutagen and the audio still decodes")
    func everyFieldReadsBack() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let audio = AudioSamples.mp3(frames: 40)
        let file = try scratch.file("song.mp3", audio)
        let secondsBefore = try AudioDecoding.seconds(file)

        try AudioTagger.tag(fileAt: file, tags: everyTag)

        expectEveryTag(try Mutagen.id3(mp3: file))
        let tagged = try Data(contentsOf: file)
        let layout = try id3v24Layout(tagged)
        #expect(layout.frames.count == 16)
        #expect(tagged.dropFirst(layout.tagLength) == audio, "the audio follows the tag byte for byte")
        #expect(AudioDecoding.problem(file) == nil)
        #expect(try AudioDecoding.seconds(file) == secondsBefore)
    }

    @Test("frames longer than 127 bytes get synchsafe sizes")
    func longFramesAreSynchsafe() throws {
        let lyrics = String(repeating: "la la la, ", count: 60)
        let tagged = try MP3.tagged(AudioSamples.mp3(), with: TrackTags(title: "Long", lyrics: lyrics))
        #expect(try id3v24Layout(tagged).frames == ["TIT2", "USLT"])
        let scratch = try Scratch()
        defer { scratch.remove() }
        let reading = try Mutagen.id3(mp3: scratch.file("long.mp3", tagged))
        #expect(reading.frames["USLT::eng"]?.text == [lyrics])
    }

    @Test("tagging twice leaves one tag, the second one")
    func taggingTwiceLeavesOneTag() throws {
        let audio = AudioSamples.mp3()
        let once = try MP3.tagged(audio, with: everyTag)
        #expect(try MP3.tagged(once, with: everyTag) == once, "the same tags give the same bytes")

        var retitled = everyTag
        retitled.title = "Second"
        retitled.custom = [CustomField("PROVIDER", "useapi")]
        let twice = try MP3.tagged(once, with: retitled)
        #expect(twice == (try MP3.tagged(audio, with: retitled)))
        let layout = try id3v24Layout(twice)
        #expect(twice.dropFirst(layout.tagLength) == audio, "exactly one tag before the audio")

        let scratch = try Scratch()
        defer { scratch.remove() }
        let reading = try Mutagen.id3(mp3: scratch.file("twice.mp3", twice))
        #expect(reading.text("TIT2") == ["Second"])
        #expect(reading.text("TXXX:PROVIDER") == ["useapi"])
        #expect(reading.frames["TXXX:ITEM_ID"] == nil)
    }

    @Test("an ID3v2.3 tag written by mutagen is replaced")
    func replacesAForeignTag() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let audio = AudioSamples.mp3()
        let file = try scratch.file("foreign.mp3", audio)
        try python("""
            import sys
            from mutagen.id3 import ID3, TIT2, TXXX, COMM
            tags = ID3()
            tags.add(TIT2(encoding=1, text="Old title"))
            tags.add(TXXX(encoding=1, desc="OLD", text="stale"))
            tags.add(COMM(encoding=1, lang="deu", desc="", text="alt"))
            tags.save(sys.argv[1], v2_version=3)
            """, file.path)
        #expect(try Mutagen.id3(mp3: file).version == [2, 3, 0])

        try AudioTagger.tag(fileAt: file, tags: everyTag)

        expectEveryTag(try Mutagen.id3(mp3: file))
        let tagged = try Data(contentsOf: file)
        #expect(tagged.dropFirst(try id3v24Layout(tagged).tagLength) == audio)
    }

    @Test("a repeated custom name becomes one TXXX with several values")
    func repeatedCustomNames() throws {
        let tags = TrackTags(custom: [CustomField("PARENT_ITEM", "a"), CustomField("MODEL", "m"), CustomField("PARENT_ITEM", "b")])
        let scratch = try Scratch()
        defer { scratch.remove() }
        let reading = try Mutagen.id3(mp3: scratch.file("repeat.mp3", try MP3.tagged(AudioSamples.mp3(), with: tags)))
        #expect(reading.text("TXXX:PARENT_ITEM") == ["a", "b"])
        #expect(reading.text("TXXX:MODEL") == ["m"])
        #expect(reading.frames.count == 2)
    }

    @Test("no tags give an empty, valid tag; a track number without total is plain")
    func sparseTags() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let empty = try Mutagen.id3(mp3: scratch.file("empty.mp3", try MP3.tagged(AudioSamples.mp3(), with: TrackTags(title: ""))))
        #expect(empty.frames.isEmpty)
        let numbered = try Mutagen.id3(mp3: scratch.file("n.mp3", try MP3.tagged(AudioSamples.mp3(), with: TrackTags(trackNumber: 7, language: "deu", custom: []))))
        #expect(numbered.text("TRCK") == ["7"])
    }
}
