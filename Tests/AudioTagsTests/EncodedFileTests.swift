import AudioTags
import Foundation
import TestSupport
import Testing

/// Files written by a real encoder (sox with LAME and libFLAC), not by our own generators.
@Suite("files encoded by sox")
struct EncodedFileTests {
    @Test("are tagged, read back by mutagen and still decode", arguments: AudioFormat.allCases)
    func soxFiles(format: AudioFormat) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = scratch.folder.appendingPathComponent("tone.\(format.rawValue)")
        _ = try runTool("sox", "-n", "-r", "44100", "-c", "2", file.path, "synth", "1", "sine", "440")
        let secondsBefore = try AudioDecoding.seconds(file)

        try AudioTagger.tag(fileAt: file, tags: everyTag)

        switch format {
        case .mp3: expectEveryTag(try Mutagen.id3(mp3: file))
        case .wav: expectEveryTag(try Mutagen.id3(wav: file))
        case .flac:
            let reading = try Mutagen.flac(file)
            #expect(reading.values("TITLE") == ["Café ☕️ Nights"] && reading.values("PROVIDER") == ["tempolor"])
            #expect(reading.blocks.first == 0 && reading.blocks.filter { $0 == 4 }.count == 1)
        }
        #expect(AudioDecoding.problem(file) == nil)
        #expect(try AudioDecoding.seconds(file) == secondsBefore)
    }
}
