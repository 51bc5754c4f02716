import AudioTags
import Foundation
import TestSupport
import Testing

@Suite("input that is not what it claims")
struct InvalidInputTests {
    /// Deterministic noise (a linear congruential generator), so a failure can be replayed.
    static func noise(count: Int, seed: UInt64) -> Data {
        var state = seed
        return Data((0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(state >> 56)
        })
    }

    static let garbage: [(String, Data)] = [
        ("empty", Data()),
        ("text", Data("this is not audio at all\n".utf8)),
        ("noise", noise(count: 8_192, seed: 1)),
        ("more noise", noise(count: 100_000, seed: 2)),
        ("an ID3 header with nothing after it", Data([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0])),
        ("an ID3 header claiming more than there is", Data([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0x7F, 0x7F])),
    ]

    static func expectMalformed(_ format: AudioFormat, _ data: Data, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try AudioTagger.tagged(data, format: format, tags: everyTag)
            Issue.record("\(label) was tagged as \(format)", sourceLocation: sourceLocation)
        } catch let error as AudioTagError {
            guard case .malformed(let reported, _, nil) = error, reported == format else {
                Issue.record("\(label): unexpected \(error)", sourceLocation: sourceLocation)
                return
            }
        } catch {
            Issue.record("\(label): unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("garbage throws for every format", arguments: AudioFormat.allCases)
    func garbageThrows(format: AudioFormat) {
        for (label, data) in Self.garbage { Self.expectMalformed(format, data, label) }
    }

    @Test("one format is not taken for another")
    func wrongFormatThrows() {
        let mp3 = AudioSamples.mp3(), wav = AudioSamples.wav(), flac = AudioSamples.flac()
        Self.expectMalformed(.mp3, wav, "a WAV")
        Self.expectMalformed(.mp3, flac, "a FLAC")
        Self.expectMalformed(.wav, mp3, "an mp3")
        Self.expectMalformed(.wav, flac, "a FLAC")
        Self.expectMalformed(.flac, mp3, "an mp3")
        Self.expectMalformed(.flac, wav, "a WAV")
    }

    @Test("truncated and inconsistent files throw")
    func truncatedThrows() {
        let wav = AudioSamples.wav(), flac = AudioSamples.flac()
        Self.expectMalformed(.wav, wav.prefix(wav.count - 10), "a WAV cut inside its data chunk")
        Self.expectMalformed(.wav, wav.prefix(36), "a WAV without a data chunk")
        Self.expectMalformed(.flac, flac.prefix(30), "a FLAC cut inside STREAMINFO")
        var noLastFlag = flac
        noLastFlag[4] = 0x00                                       // STREAMINFO no longer last: frames read as metadata
        Self.expectMalformed(.flac, noLastFlag, "a FLAC whose metadata never ends")
        Self.expectMalformed(.mp3, AudioSamples.mp3().prefix(50), "half an mp3 frame")
    }

    @Test("tagging a garbage file names it and leaves it and its folder as they were")
    func garbageFileUnchanged() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let bytes = Self.noise(count: 4_096, seed: 3)
        let file = try scratch.file("song.mp3.part", bytes)
        #expect {
            try AudioTagger.tag(fileAt: file, tags: everyTag)
        } throws: { error in
            guard let error = error as? AudioTagError, case .malformed(.mp3, _, let path) = error else { return false }
            return path == file.path && error.description.contains("song.mp3.part") && error.description.contains("MP3")
        }
        #expect(try Data(contentsOf: file) == bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.folder.path) == ["song.mp3.part"])
    }

    @Test("the format comes from the extension, through .part")
    func formatFromFileName() throws {
        #expect(AudioFormat(fileName: "a.mp3") == .mp3)
        #expect(AudioFormat(fileName: "a.b.WAV") == .wav)
        #expect(AudioFormat(fileName: "vocals.flac.part") == .flac)
        #expect(AudioFormat(fileName: "a.part") == nil)
        #expect(AudioFormat(fileName: "mp3") == nil)
        #expect(AudioFormat(fileName: "a.ogg") == nil)

        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = try scratch.file("song.ogg", AudioSamples.mp3())
        #expect(throws: AudioTagError.unknownFormat(file: file.path)) { try AudioTagger.tag(fileAt: file, tags: everyTag) }
        try AudioTagger.tag(fileAt: file, format: .mp3, tags: everyTag)   // an explicit format wins
        expectEveryTag(try Mutagen.id3(mp3: file))
    }

    @Test("values ID3 cannot carry are refused, not truncated")
    func invalidTagsThrow() {
        let mp3 = AudioSamples.mp3()
        #expect(throws: AudioTagError.self) { try MP3.tagged(mp3, with: TrackTags(title: "a\u{0}b")) }
        #expect(throws: AudioTagError.self) { try MP3.tagged(mp3, with: TrackTags(syncedLyrics: [SyncedLine(milliseconds: 1, text: "x\u{0}")])) }
        #expect(throws: AudioTagError.self) { try MP3.tagged(mp3, with: TrackTags(language: "en")) }
        #expect(throws: AudioTagError.self) { try MP3.tagged(mp3, with: TrackTags(custom: [CustomField("", "x")])) }
    }
}
