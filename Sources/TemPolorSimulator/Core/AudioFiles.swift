import Foundation

/// Real, decodable audio bytes for the simulator's downloads. Content is silence or a quiet
/// tone; what matters is that the files are well-formed and as long as `duration` says.
enum AudioFiles {
    // MARK: MP3

    /// MPEG-1 Layer III, 44.1 kHz, 32 kbit/s, mono, no CRC: every frame is 104 bytes and holds
    /// 1152 samples. Side information and main data are all zeros, which decodes as silence.
    static let mp3FrameHeader: [UInt8] = [0xFF, 0xFB, 0x10, 0xC0]
    static let mp3FrameLength = 104
    static let mp3SamplesPerFrame = 1152
    static let mp3SampleRate = 44_100

    static func mp3(seconds: Int) -> Data {
        let frames = Int((Double(seconds) * Double(mp3SampleRate) / Double(mp3SamplesPerFrame)).rounded(.up))
        var frame = [UInt8](repeating: 0, count: mp3FrameLength)
        frame.replaceSubrange(0..<4, with: mp3FrameHeader)
        var data = Data(capacity: frames * mp3FrameLength)
        for _ in 0..<frames { data.append(contentsOf: frame) }
        return data
    }

    // MARK: WAV

    /// 16-bit PCM mono WAV carrying a quiet 440 Hz tone.
    static func wav(seconds: Int, sampleRate: Int) -> Data {
        let samples = seconds * sampleRate
        var data = Data(capacity: 44 + samples * 2)
        func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("RIFF".utf8)); append32(UInt32(36 + samples * 2))
        data.append(contentsOf: Array("WAVE".utf8))
        data.append(contentsOf: Array("fmt ".utf8)); append32(16)
        append16(1); append16(1)                                   // PCM, mono
        append32(UInt32(sampleRate)); append32(UInt32(sampleRate * 2))
        append16(2); append16(16)                                  // block align, bits per sample
        data.append(contentsOf: Array("data".utf8)); append32(UInt32(samples * 2))
        // One period of the tone, repeated: cheap for long files.
        let period = max(1, sampleRate / 440)
        var cycle = [UInt8]()
        cycle.reserveCapacity(period * 2)
        for index in 0..<period {
            let value = Int16(2000 * sin(2 * Double.pi * Double(index) / Double(period)))
            withUnsafeBytes(of: value.littleEndian) { cycle.append(contentsOf: $0) }
        }
        var written = 0
        while written < samples {
            let count = min(period, samples - written)
            data.append(contentsOf: cycle[0..<(count * 2)])
            written += count
        }
        return data
    }

    // MARK: FLAC

    /// FLAC, 44.1 kHz, stereo, 16-bit, fixed 4096-sample blocks of CONSTANT subframes (silence).
    static func flac(seconds: Int) -> Data {
        let sampleRate = 44_100, blockSize = 4096
        let totalSamples = seconds * sampleRate
        var data = Data(Array("fLaC".utf8))
        // STREAMINFO, the last metadata block.
        var info = BitWriter()
        info.write(UInt64(blockSize), bits: 16)      // min block size
        info.write(UInt64(blockSize), bits: 16)      // max block size
        info.write(0, bits: 24)                      // min frame size: unknown
        info.write(0, bits: 24)                      // max frame size: unknown
        info.write(UInt64(sampleRate), bits: 20)
        info.write(1, bits: 3)                       // channels - 1
        info.write(15, bits: 5)                      // bits per sample - 1
        info.write(UInt64(totalSamples), bits: 36)
        for _ in 0..<16 { info.write(0, bits: 8) }   // MD5: unknown
        data.append(0x80)                            // last block, type 0
        data.append(contentsOf: [0, 0, 34])
        data.append(contentsOf: info.bytes)

        var frameNumber: UInt64 = 0
        var remaining = totalSamples
        while remaining > 0 {
            let size = min(blockSize, remaining)
            data.append(contentsOf: flacFrame(number: frameNumber, blockSize: size, fixedSize: size == blockSize))
            remaining -= size
            frameNumber += 1
        }
        return data
    }

    private static func flacFrame(number: UInt64, blockSize: Int, fixedSize: Bool) -> [UInt8] {
        var header = BitWriter()
        header.write(0b11_1111_1111_1110, bits: 14)  // sync
        header.write(0, bits: 1)                     // reserved
        header.write(0, bits: 1)                     // fixed block size strategy
        header.write(fixedSize ? 0b1100 : 0b0111, bits: 4)  // 4096 = 256 * 2^(12-8), or 16-bit size at end
        header.write(0b1001, bits: 4)                // 44.1 kHz
        header.write(0b0001, bits: 4)                // 2 channels, independent
        header.write(0b100, bits: 3)                 // 16 bits per sample
        header.write(0, bits: 1)                     // reserved
        var bytes = header.bytes
        bytes.append(contentsOf: utf8Coded(number))
        if !fixedSize { bytes.append(contentsOf: [UInt8((blockSize - 1) >> 8), UInt8((blockSize - 1) & 0xFF)]) }
        bytes.append(crc8(bytes))
        for _ in 0..<2 {                             // one CONSTANT subframe of value 0 per channel
            bytes.append(0b0000_0000)
            bytes.append(contentsOf: [0, 0])
        }
        let crc = crc16(bytes)
        bytes.append(UInt8(crc >> 8))
        bytes.append(UInt8(crc & 0xFF))
        return bytes
    }

    /// FLAC's "UTF-8" coding of frame numbers.
    static func utf8Coded(_ value: UInt64) -> [UInt8] {
        if value < 0x80 { return [UInt8(value)] }
        var continuation: [UInt8] = []
        var rest = value
        var limit: UInt64 = 0x20                     // payload bits left in the first byte shrink
        var leading: UInt8 = 0xC0
        while true {
            continuation.insert(UInt8(0x80 | (rest & 0x3F)), at: 0)
            rest >>= 6
            if rest < limit { return [leading | UInt8(rest)] + continuation }
            leading = (leading >> 1) | 0x80
            limit >>= 1
        }
    }

    static func crc8(_ bytes: [UInt8]) -> UInt8 {
        var crc: UInt8 = 0
        for byte in bytes {
            crc ^= byte
            for _ in 0..<8 { crc = crc & 0x80 != 0 ? (crc << 1) ^ 0x07 : crc << 1 }
        }
        return crc
    }

    static func crc16(_ bytes: [UInt8]) -> UInt16 {
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
