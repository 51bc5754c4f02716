import Foundation

/// Small well-formed audio files, built the way the simulator builds its downloads
/// (`TemPolorSimulator/Core/AudioFiles.swift`).
enum AudioSamples {
    // MARK: MP3

    /// MPEG-1 Layer III, 44.1 kHz, 32 kbit/s, mono: 104-byte frames of 1152 samples of silence.
    static func mp3(frames: Int = 40) -> Data {
        var frame = [UInt8](repeating: 0, count: 104)
        frame.replaceSubrange(0..<4, with: [0xFF, 0xFB, 0x10, 0xC0])
        return Data((0..<frames).flatMap { _ in frame })
    }

    // MARK: WAV

    /// 16-bit PCM mono WAV of a quiet tone; `extraChunks` (id, payload) go between `fmt ` and
    /// `data`, `trailingChunks` after `data`, each with its pad byte when odd.
    static func wav(samples: Int = 8_000, sampleRate: Int = 8_000, extraChunks: [(String, [UInt8])] = [],
                    trailingChunks: [(String, [UInt8])] = []) -> Data {
        var fmt: [UInt8] = []
        fmt.append16(1); fmt.append16(1)                          // PCM, mono
        fmt.append32(UInt32(sampleRate)); fmt.append32(UInt32(sampleRate * 2))
        fmt.append16(2); fmt.append16(16)                         // block align, bits per sample
        var pcm: [UInt8] = []
        for index in 0..<samples {
            let value = Int16(2000 * sin(2 * Double.pi * 440 * Double(index) / Double(sampleRate)))
            pcm.append16(UInt16(bitPattern: value))
        }
        let chunks = [("fmt ", fmt)] + extraChunks + [("data", pcm)] + trailingChunks
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

    /// FLAC, 44.1 kHz, stereo, 16-bit, fixed 4096-sample blocks of CONSTANT subframes (silence).
    /// `extraBlocks` (type, body) follow STREAMINFO; the last block carries the last-block flag.
    static func flac(samples: Int = 44_100, extraBlocks: [(UInt8, [UInt8])] = []) -> Data {
        let sampleRate = 44_100, blockSize = 4096
        var info = BitWriter()
        info.write(UInt64(blockSize), bits: 16)
        info.write(UInt64(blockSize), bits: 16)
        info.write(0, bits: 24)
        info.write(0, bits: 24)
        info.write(UInt64(sampleRate), bits: 20)
        info.write(1, bits: 3)                       // channels - 1
        info.write(15, bits: 5)                      // bits per sample - 1
        info.write(UInt64(samples), bits: 36)
        for _ in 0..<16 { info.write(0, bits: 8) }   // MD5 unknown
        let blocks = [(UInt8(0), info.bytes)] + extraBlocks
        var data = Array("fLaC".utf8)
        for (index, (type, body)) in blocks.enumerated() {
            data.append((index == blocks.count - 1 ? 0x80 : 0) | type)
            data += [UInt8(body.count >> 16), UInt8((body.count >> 8) & 0xFF), UInt8(body.count & 0xFF)]
            data += body
        }
        var number: UInt64 = 0, remaining = samples
        while remaining > 0 {
            let size = min(blockSize, remaining)
            data += flacFrame(number: number, blockSize: size, fixedSize: size == blockSize)
            remaining -= size
            number += 1
        }
        return Data(data)
    }

    private static func flacFrame(number: UInt64, blockSize: Int, fixedSize: Bool) -> [UInt8] {
        var header = BitWriter()
        header.write(0b11_1111_1111_1110, bits: 14)  // sync
        header.write(0, bits: 2)                     // reserved, fixed block size strategy
        header.write(fixedSize ? 0b1100 : 0b0111, bits: 4)
        header.write(0b1001, bits: 4)                // 44.1 kHz
        header.write(0b0001, bits: 4)                // 2 channels, independent
        header.write(0b100, bits: 3)                 // 16 bits per sample
        header.write(0, bits: 1)
        var bytes = header.bytes
        bytes += utf8Coded(number)
        if !fixedSize { bytes += [UInt8((blockSize - 1) >> 8), UInt8((blockSize - 1) & 0xFF)] }
        bytes.append(crc8(bytes))
        for _ in 0..<2 { bytes += [0, 0, 0] }        // CONSTANT subframe of value 0, per channel
        let crc = crc16(bytes)
        bytes += [UInt8(crc >> 8), UInt8(crc & 0xFF)]
        return bytes
    }

    private static func utf8Coded(_ value: UInt64) -> [UInt8] {
        if value < 0x80 { return [UInt8(value)] }
        var continuation: [UInt8] = []
        var rest = value, limit: UInt64 = 0x20, leading: UInt8 = 0xC0
        while true {
            continuation.insert(UInt8(0x80 | (rest & 0x3F)), at: 0)
            rest >>= 6
            if rest < limit { return [leading | UInt8(rest)] + continuation }
            leading = (leading >> 1) | 0x80
            limit >>= 1
        }
    }

    private static func crc8(_ bytes: [UInt8]) -> UInt8 {
        var crc: UInt8 = 0
        for byte in bytes {
            crc ^= byte
            for _ in 0..<8 { crc = crc & 0x80 != 0 ? (crc << 1) ^ 0x07 : crc << 1 }
        }
        return crc
    }

    private static func crc16(_ bytes: [UInt8]) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x8005 : crc << 1 }
        }
        return crc
    }
}

/// Writes big-endian bit fields.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var accumulator: UInt64 = 0
    private var count = 0

    mutating func write(_ value: UInt64, bits: Int) {
        for shift in stride(from: bits - 1, through: 0, by: -1) {
            accumulator = (accumulator << 1) | ((value >> UInt64(shift)) & 1)
            count += 1
            if count == 8 {
                bytes.append(UInt8(accumulator))
                accumulator = 0
                count = 0
            }
        }
    }
}

extension [UInt8] {
    mutating func append16(_ value: UInt16) { append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8)]) }
    mutating func append32(_ value: UInt32) { (0..<4).forEach { append(UInt8((value >> (8 * UInt32($0))) & 0xFF)) } }
}
