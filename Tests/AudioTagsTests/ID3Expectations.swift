import AudioTags
import Foundation
import TestSupport
import Testing

/// Checks that mutagen read back exactly the frames `everyTag` should produce, all in UTF-8.
func expectEveryTag(_ reading: Mutagen.ID3Reading, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reading.version == [2, 4, 0], sourceLocation: sourceLocation)
    let expectedKeys: Set<String> = [
        "TIT2", "TPE1", "TALB", "TRCK", "TDRC", "TCON", "TBPM", "TKEY", "COMM::eng", "USLT::eng", "SYLT::eng",
        "TXXX:PROVIDER", "TXXX:ITEM_ID", "TXXX:TASK_KEY", "TXXX:MODEL", "TXXX:PARENT_ITEM",
    ]
    #expect(Set(reading.frames.keys) == expectedKeys, sourceLocation: sourceLocation)
    #expect(reading.frames.values.allSatisfy { $0.encoding == 3 }, "every frame is UTF-8", sourceLocation: sourceLocation)

    #expect(reading.text("TIT2") == ["Café ☕️ Nights"], sourceLocation: sourceLocation)
    #expect(reading.text("TPE1") == ["TemPolor AI"], sourceLocation: sourceLocation)
    #expect(reading.text("TALB") == ["demo · pop"], sourceLocation: sourceLocation)
    #expect(reading.text("TRCK") == ["3/12"], sourceLocation: sourceLocation)
    #expect(reading.text("TDRC") == ["2026-11-22"], sourceLocation: sourceLocation)
    #expect(reading.text("TCON") == ["Synth-pop"], sourceLocation: sourceLocation)
    #expect(reading.text("TBPM") == ["120"], sourceLocation: sourceLocation)
    #expect(reading.text("TKEY") == ["F#m"], sourceLocation: sourceLocation)

    let comment = reading.frames["COMM::eng"]
    #expect(comment?.text == ["made by tempo-batch\nsecond line"], sourceLocation: sourceLocation)
    #expect(comment?.lang == "eng" && comment?.desc == "", sourceLocation: sourceLocation)

    let lyrics = reading.frames["USLT::eng"]
    #expect(lyrics?.text == ["First line\nSecond line — ünïcode"], sourceLocation: sourceLocation)
    #expect(lyrics?.lang == "eng" && lyrics?.desc == "", sourceLocation: sourceLocation)

    let synced = reading.frames["SYLT::eng"]
    #expect(synced?.format == 2, "timestamps in milliseconds", sourceLocation: sourceLocation)
    #expect(synced?.type == 1, "content type lyrics", sourceLocation: sourceLocation)
    #expect(synced?.lang == "eng", sourceLocation: sourceLocation)
    #expect(synced?.synced == [
        Mutagen.Synced(text: "First line", ms: 0),
        Mutagen.Synced(text: "Second line — ünïcode", ms: 1_500),
        Mutagen.Synced(text: "Ending 🎵", ms: 61_250),
    ], sourceLocation: sourceLocation)

    for field in everyTag.custom {
        let frame = reading.frames["TXXX:\(field.name)"]
        #expect(frame?.desc == field.name && frame?.text == [field.value], sourceLocation: sourceLocation)
    }
}

/// The frames of an ID3v2.4 tag at the start of `data`, walked with synchsafe sizes; it
/// throws a description of the first structural fault. Independent of `AudioTags`.
func id3v24Layout(_ data: Data) throws -> (frames: [String], tagLength: Int) {
    let bytes = [UInt8](data.prefix(1 << 20))
    guard bytes.count >= 10, Array(bytes[0..<5]) == [0x49, 0x44, 0x33, 4, 0], bytes[5] == 0 else {
        throw Mutagen.Failure(description: "no ID3v2.4.0 header without flags")
    }
    func synchsafe(_ at: Int) -> Int? {
        let field = bytes[at..<at + 4]
        guard field.allSatisfy({ $0 < 0x80 }) else { return nil }
        return field.reduce(0) { $0 << 7 | Int($1) }
    }
    guard let size = synchsafe(6), 10 + size <= bytes.count else {
        throw Mutagen.Failure(description: "tag size is not synchsafe or runs past the data")
    }
    var frames: [String] = []
    var offset = 10
    while offset + 10 <= 10 + size, bytes[offset] != 0 {
        let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
        guard let frameSize = synchsafe(offset + 4), offset + 10 + frameSize <= 10 + size else {
            throw Mutagen.Failure(description: "frame \(id) size is not synchsafe or runs past the tag")
        }
        guard bytes[offset + 8] == 0, bytes[offset + 9] == 0 else {
            throw Mutagen.Failure(description: "frame \(id) has flags")
        }
        frames.append(id)
        offset += 10 + frameSize
    }
    guard bytes[offset..<(10 + size)].allSatisfy({ $0 == 0 }) else {
        throw Mutagen.Failure(description: "bytes after the last frame are not padding")
    }
    return (frames, 10 + size)
}
