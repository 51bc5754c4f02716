public import Foundation

/// Tags RIFF/WAVE files with an `id3 ` chunk holding an ID3v2.4 tag (the chunk mutagen, ffmpeg
/// and most players read).
public enum WAV {
    /// The WAV with every `id3 ` or `ID3 ` chunk removed and one new `id3 ` chunk appended after
    /// the other chunks. `fmt `, `data` and all other chunks are kept byte for byte and in order;
    /// each is followed by its pad byte when its size is odd (added if the file lacked it); the
    /// RIFF size is rewritten. Fewer than eight stray bytes after the last chunk are dropped.
    ///
    /// Throws ``AudioTagError/malformed(_:reason:file:)`` for anything but a RIFF/WAVE file whose
    /// chunks fit in the file and include `fmt ` and `data`.
    public static func tagged(_ wav: Data, with tags: TrackTags) throws -> Data {
        let data = wav.rebased
        guard data.ascii(at: 0, count: 4) == "RIFF", data.ascii(at: 8, count: 4) == "WAVE" else {
            throw malformed("it does not start with a RIFF header of form WAVE")
        }
        var kept: [Range<Int>] = []      // whole chunks: header and payload, without pad byte
        var ids: Set<String> = []
        var offset = 12
        while offset + 8 <= data.count {
            let id = data.ascii(at: offset, count: 4) ?? ""
            let size = Int(data.littleEndian32(at: offset + 4))
            guard offset + 8 + size <= data.count else {
                throw malformed("chunk '\(id)' at offset \(offset) claims \(size) bytes but only \(data.count - offset - 8) remain")
            }
            ids.insert(id)
            if id.lowercased() != "id3 " { kept.append(offset..<(offset + 8 + size)) }
            offset += 8 + size + size % 2
        }
        for required in ["fmt ", "data"] where !ids.contains(required) {
            throw malformed("it has no '\(required)' chunk")
        }

        let tag = try ID3v2.tag(for: tags)
        var result = Data(capacity: data.count + tag.count + 16)
        result.append(contentsOf: Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WAVE".utf8))
        for chunk in kept {
            result.append(data[chunk])
            if chunk.count % 2 == 1 { result.append(0) }
        }
        var header: [UInt8] = []
        header.append(ascii: "id3 ")
        header.appendLittleEndian(UInt32(tag.count))
        result.append(contentsOf: header)
        result.append(tag)
        if tag.count % 2 == 1 { result.append(0) }
        guard result.count - 8 <= Int(UInt32.max) else {
            throw AudioTagError.invalidTags("the tagged WAV would exceed the 4 GiB a RIFF file can hold")
        }
        var riffSize: [UInt8] = []
        riffSize.appendLittleEndian(UInt32(result.count - 8))
        result.replaceSubrange(4..<8, with: riffSize)
        return result
    }

    private static func malformed(_ reason: String) -> AudioTagError {
        .malformed(.wav, reason: reason, file: nil)
    }
}
