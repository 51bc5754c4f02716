public import Foundation

/// Tags mp3 files with an ID3v2.4 tag at the front.
public enum MP3 {
    /// The mp3 with `tags` as its only ID3v2 tag, at the front. Existing ID3v2 tags at the start
    /// (one or several in a row) are replaced; the audio and any ID3v1 tag at the end are kept
    /// byte for byte, so tagging twice gives the same bytes as tagging once.
    ///
    /// Throws ``AudioTagError/malformed(_:reason:file:)`` unless two consecutive MPEG audio frame
    /// headers (or one frame filling the rest of the file) start within the first 4 KiB after
    /// the tags.
    public static func tagged(_ mp3: Data, with tags: TrackTags) throws -> Data {
        let data = mp3.rebased
        var audioStart = 0
        while let length = ID3v2.tagLength(in: data, at: audioStart) {
            guard audioStart + length <= data.count else {
                throw malformed("its ID3v2 tag claims \(length) bytes but only \(data.count - audioStart) remain")
            }
            audioStart += length
        }
        guard audioStart < data.count else { throw malformed("there is no audio after the ID3v2 tag") }
        guard firstFrame(in: data, from: audioStart) != nil else {
            throw malformed("no MPEG audio frames start within \(searchWindow) bytes of offset \(audioStart)")
        }
        var result = try ID3v2.tag(for: tags)
        result.append(data[audioStart...])
        return result
    }

    private static let searchWindow = 4096

    private static func malformed(_ reason: String) -> AudioTagError {
        .malformed(.mp3, reason: reason, file: nil)
    }

    /// The offset of the first frame header confirmed by the next one (or by ending the file).
    static func firstFrame(in data: Data, from start: Int) -> Int? {
        var offset = start
        while offset + 4 <= data.count, offset < start + searchWindow {
            if let header = FrameHeader(data, at: offset), let length = header.length {
                let next = offset + length
                if next == data.count || (next + 128 == data.count && data.ascii(at: next, count: 3) == "TAG") { return offset }
                if let following = FrameHeader(data, at: next), following.sameStream(as: header) { return offset }
            }
            offset += 1
        }
        return nil
    }

    /// The four-byte header of an MPEG-1, -2 or -2.5 audio frame (Layer I, II or III).
    struct FrameHeader {
        let version: Int        // 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5
        let layer: Int          // 3 Layer I, 2 Layer II, 1 Layer III (as coded)
        let bitrateIndex: Int
        let sampleRateIndex: Int
        let padding: Bool

        init?(_ data: Data, at offset: Int) {
            guard offset >= 0, offset + 4 <= data.count else { return nil }
            let b1 = data[offset + 1], b2 = data[offset + 2], b3 = data[offset + 3]
            guard data[offset] == 0xFF, b1 & 0xE0 == 0xE0 else { return nil }
            version = Int(b1 >> 3) & 3
            layer = Int(b1 >> 1) & 3
            bitrateIndex = Int(b2 >> 4)
            sampleRateIndex = Int(b2 >> 2) & 3
            padding = b2 & 0x02 != 0
            guard version != 1, layer != 0, bitrateIndex != 0xF, sampleRateIndex != 3, b3 & 3 != 2 else { return nil }
        }

        func sameStream(as other: FrameHeader) -> Bool {
            version == other.version && layer == other.layer && sampleRateIndex == other.sampleRateIndex
        }

        /// Bytes in the frame, header included; nil for free-format frames (bitrate index 0).
        var length: Int? {
            guard bitrateIndex != 0 else { return nil }
            let mpeg1 = version == 3
            let kbps: [Int] = switch (mpeg1, layer) {
            case (true, 3): [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448]
            case (true, 2): [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384]
            case (true, _): [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
            case (false, 3): [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256]
            case (false, _): [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
            }
            let bitrate = kbps[bitrateIndex - 1] * 1000
            let sampleRate = [44_100, 48_000, 32_000][sampleRateIndex] >> (mpeg1 ? 0 : version == 2 ? 1 : 2)
            let pad = padding ? 1 : 0
            switch layer {
            case 3: return (12 * bitrate / sampleRate + pad) * 4                  // Layer I
            case 1 where !mpeg1: return 72 * bitrate / sampleRate + pad            // Layer III, MPEG-2/2.5
            default: return 144 * bitrate / sampleRate + pad
            }
        }
    }
}
