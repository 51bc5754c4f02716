public import Foundation

/// Tags FLAC files with a VORBIS_COMMENT metadata block.
public enum FLAC {
    public static let defaultVendor = "tempo-batch"

    /// The FLAC with its VORBIS_COMMENT block replaced by one holding `tags`, placed right after
    /// STREAMINFO. PADDING blocks are dropped (the file is rewritten anyway); SEEKTABLE, PICTURE
    /// and the other blocks are kept in order, and only the last block carries the last-block
    /// flag. An ID3v2 tag some tools put before `fLaC` is dropped. Audio frames are untouched.
    ///
    /// Throws ``AudioTagError/malformed(_:reason:file:)`` unless the data is `fLaC`, a STREAMINFO
    /// block, metadata blocks that fit in the file, then a frame sync code (or the end).
    public static func tagged(_ flac: Data, with tags: TrackTags, vendor: String = defaultVendor) throws -> Data {
        let data = flac.rebased
        let start = ID3v2.tagLength(in: data, at: 0) ?? 0
        guard data.ascii(at: start, count: 4) == "fLaC" else { throw malformed("it does not start with 'fLaC'") }
        var blocks: [(type: UInt8, body: Range<Int>)] = []
        var offset = start + 4
        var isLast = false
        while !isLast {
            guard offset + 4 <= data.count else { throw malformed("the metadata ends before its last block") }
            let type = data[offset] & 0x7F
            isLast = data[offset] & 0x80 != 0
            let length = data.bigEndian24(at: offset + 1)
            let body = (offset + 4)..<(offset + 4 + length)
            guard body.upperBound <= data.count else {
                throw malformed("metadata block type \(type) at offset \(offset) claims \(length) bytes but only \(data.count - offset - 4) remain")
            }
            guard type != 127 else { throw malformed("metadata block at offset \(offset) has the invalid type 127") }
            if blocks.isEmpty, type != 0 || length != 34 { throw malformed("the first metadata block is not a 34-byte STREAMINFO") }
            blocks.append((type, body))
            offset = body.upperBound
        }
        if offset + 2 <= data.count, !(data[offset] == 0xFF && data[offset + 1] & 0xFE == 0xF8) {
            throw malformed("no frame sync code follows the metadata at offset \(offset)")
        }

        let comment = try VorbisComment.block(for: tags, vendor: vendor)
        guard comment.count < 1 << 24 else {
            throw AudioTagError.invalidTags("the Vorbis comment block would be \(comment.count) bytes, more than FLAC allows (16 MiB)")
        }
        var output: [(type: UInt8, body: Data)] = [(0, data[blocks[0].body])]
        output.append((4, Data(comment)))
        for block in blocks.dropFirst() where block.type != 4 && block.type != 1 {
            output.append((block.type, data[block.body]))
        }

        var result = Data(capacity: data.count - start + comment.count)
        result.append(contentsOf: Array("fLaC".utf8))
        for (index, block) in output.enumerated() {
            let flag: UInt8 = index == output.count - 1 ? 0x80 : 0
            let length = block.body.count
            result.append(contentsOf: [flag | block.type, UInt8(length >> 16), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)])
            result.append(block.body)
        }
        result.append(data[offset...])
        return result
    }

    private static func malformed(_ reason: String) -> AudioTagError {
        .malformed(.flac, reason: reason, file: nil)
    }
}
