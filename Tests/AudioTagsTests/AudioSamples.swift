import Foundation
@testable import TemPolorSimulator

/// Small well-formed audio files: the simulator's own downloads (`AudioFiles`), with the extra
/// RIFF chunks or FLAC metadata blocks a test needs put in.
enum AudioSamples {
    // MARK: MP3

    /// MPEG-1 Layer III, 44.1 kHz, 32 kbit/s, mono: `frames` frames of 1152 samples of silence.
    static func mp3(frames: Int = 40) -> Data {
        var frame = [UInt8](repeating: 0, count: AudioFiles.mp3FrameLength)
        frame.replaceSubrange(0..<AudioFiles.mp3FrameHeader.count, with: AudioFiles.mp3FrameHeader)
        return Data((0..<frames).flatMap { _ in frame })
    }

    // MARK: WAV

    /// 16-bit PCM mono WAV of a quiet tone, `seconds` long; `extraChunks` (id, payload) go
    /// between `fmt ` and `data`, `trailingChunks` after `data`, each with its pad byte when odd.
    static func wav(seconds: Int = 1, sampleRate: Int = 8_000, extraChunks: [(String, [UInt8])] = [],
                    trailingChunks: [(String, [UInt8])] = []) -> Data {
        let plain = riffChunks(AudioFiles.wav(seconds: seconds, sampleRate: sampleRate)).map { ($0.id, [UInt8]($0.payload)) }
        let chunks = plain.filter { $0.0 == "fmt " } + extraChunks + plain.filter { $0.0 == "data" } + trailingChunks
        var body = Array("WAVE".utf8)
        for (id, payload) in chunks {
            body += Array(id.utf8)
            body.append32(UInt32(payload.count))
            body += payload
            if payload.count % 2 == 1 { body.append(0) }
        }
        var file = Array("RIFF".utf8)
        file.append32(UInt32(body.count))
        return Data(file + body)
    }

    /// The chunks of a RIFF file as (id, payload), read independently of `AudioTags`.
    static func riffChunks(_ data: Data) -> [(id: String, payload: Data)] {
        let bytes = [UInt8](data)
        var chunks: [(String, Data)] = []
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = (0..<4).reduce(0) { $0 | Int(bytes[offset + 4 + $1]) << (8 * $1) }
            chunks.append((id, Data(bytes[(offset + 8)..<min(bytes.count, offset + 8 + size)])))
            offset += 8 + size + size % 2
        }
        return chunks
    }

    // MARK: FLAC

    /// FLAC, 44.1 kHz, stereo, 16-bit, `seconds` of silence. `extraBlocks` (type, body) follow
    /// STREAMINFO; the last block carries the last-block flag.
    static func flac(seconds: Int = 1, extraBlocks: [(UInt8, [UInt8])] = []) -> Data {
        var bytes = [UInt8](AudioFiles.flac(seconds: seconds))
        guard !extraBlocks.isEmpty else { return Data(bytes) }
        // "fLaC", then STREAMINFO (4-byte header, 34-byte body) as the only, last block.
        let framesStart = 4 + 4 + 34
        bytes[4] &= 0x7F
        var blocks: [UInt8] = []
        for (index, (type, body)) in extraBlocks.enumerated() {
            blocks.append((index == extraBlocks.count - 1 ? 0x80 : 0) | type)
            blocks += [UInt8(body.count >> 16), UInt8((body.count >> 8) & 0xFF), UInt8(body.count & 0xFF)]
            blocks += body
        }
        bytes.insert(contentsOf: blocks, at: framesStart)
        return Data(bytes)
    }
}

extension [UInt8] {
    mutating func append32(_ value: UInt32) { (0..<4).forEach { append(UInt8((value >> (8 * UInt32($0))) & 0xFF)) } }
}
