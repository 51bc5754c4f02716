import Foundation

extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }

    mutating func appendLittleEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)])
    }

    /// ID3v2.4's 28-bit "synchsafe" integer: four bytes of seven bits each, high bit clear.
    mutating func appendSynchsafe(_ value: Int) {
        precondition(value >= 0 && value < 1 << 28, "synchsafe integers hold 28 bits")
        append(contentsOf: [UInt8((value >> 21) & 0x7F), UInt8((value >> 14) & 0x7F), UInt8((value >> 7) & 0x7F), UInt8(value & 0x7F)])
    }

    mutating func append(ascii text: String) {
        append(contentsOf: Array(text.utf8))
    }
}

extension Data {
    /// The same bytes indexed from zero, so offsets below can be plain integers.
    var rebased: Data { startIndex == 0 ? self : Data(self) }

    func ascii(at offset: Int, count: Int) -> String? {
        guard offset >= 0, offset + count <= self.count else { return nil }
        return String(bytes: self[offset..<offset + count], encoding: .ascii)
    }

    func littleEndian32(at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(self[offset + $1]) << (8 * UInt32($1)) }
    }

    func bigEndian24(at offset: Int) -> Int {
        Int(self[offset]) << 16 | Int(self[offset + 1]) << 8 | Int(self[offset + 2])
    }
}
