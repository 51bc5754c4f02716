import AudioTags
import Foundation
import TestSupport
import Testing

@Suite("WAV: ID3v2.4 in an id3 chunk")
struct WAVTaggingTests {
    @Test("every field reads back with mutagen.wave; fmt, data and other chunks are untouched")
    func everyFieldReadsBack() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let original = AudioSamples.wav(extraChunks: [("note", [1, 2, 3])])     // odd size: needs its pad byte
        let file = try scratch.file("song.wav", original)
        let secondsBefore = try AudioDecoding.seconds(file)

        try AudioTagger.tag(fileAt: file, tags: everyTag)

        expectEveryTag(try Mutagen.id3(wav: file))
        let tagged = try Data(contentsOf: file)
        let before = AudioSamples.riffChunks(original), after = AudioSamples.riffChunks(tagged)
        #expect(after.map(\.id) == ["fmt ", "note", "data", "id3 "])
        #expect(after[0].payload == before[0].payload && after[1].payload == before[1].payload && after[2].payload == before[2].payload)
        #expect(try id3v24Layout(after[3].payload).frames.count == 16)
        let riffSize = tagged[4..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(riffSize == tagged.count - 8)
        #expect(tagged.count % 2 == 0, "every chunk ends on a word boundary")
        #expect(AudioDecoding.problem(file) == nil)
        #expect(try AudioDecoding.seconds(file) == secondsBefore)
    }

    @Test("tagging twice leaves one id3 chunk; an uppercase ID3 chunk is replaced too")
    func taggingTwiceLeavesOneChunk() throws {
        let old = try ID3v2.tag(for: TrackTags(title: "Old"), padding: 1)       // odd-sized chunk
        let original = AudioSamples.wav(trailingChunks: [("ID3 ", [UInt8](old))])
        let once = try WAV.tagged(original, with: everyTag)
        #expect(AudioSamples.riffChunks(once).map(\.id) == ["fmt ", "data", "id3 "])
        #expect(try WAV.tagged(once, with: everyTag) == once, "the same tags give the same bytes")

        let scratch = try Scratch()
        defer { scratch.remove() }
        let twice = try WAV.tagged(once, with: TrackTags(title: "Second"))
        #expect(AudioSamples.riffChunks(twice).map(\.id) == ["fmt ", "data", "id3 "])
        let reading = try Mutagen.id3(wav: scratch.file("twice.wav", twice))
        #expect(reading.text("TIT2") == ["Second"] && reading.frames.count == 1)
    }

    @Test("an id3 chunk written by mutagen is replaced")
    func replacesAForeignChunk() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = try scratch.file("foreign.wav", AudioSamples.wav())
        try python("""
            import sys
            from mutagen.wave import WAVE
            from mutagen.id3 import TIT2, TXXX
            audio = WAVE(sys.argv[1])
            audio.add_tags()
            audio.tags.add(TIT2(encoding=3, text="Old title"))
            audio.tags.add(TXXX(encoding=3, desc="OLD", text="stale"))
            audio.save()
            """, file.path)
        #expect(try Mutagen.id3(wav: file).text("TXXX:OLD") == ["stale"])

        try AudioTagger.tag(fileAt: file, tags: everyTag)

        expectEveryTag(try Mutagen.id3(wav: file))
        #expect(AudioSamples.riffChunks(try Data(contentsOf: file)).filter { $0.id.lowercased() == "id3 " }.count == 1)
        #expect(AudioDecoding.problem(file) == nil)
    }
}
