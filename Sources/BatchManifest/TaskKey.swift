import Crypto

/// A task's identity: SHA-256 of its normalised request and its parents' keys, in lowercase hex.
/// Never derived from names or output paths, so renaming and re-filing are free.
public struct TaskKey: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let hex: String

    public init(hex: String) { self.hex = hex }

    /// Bump when the hashed material changes meaning; every key changes with it.
    static let schema = 1

    public init(request: TaskRequest, parents: [TaskKey]) {
        hex = SHA256.hash(data: Array(Self.material(request: request, parents: parents).utf8)).hexString
    }

    /// Canonical text: one `name=value` line per present field in a fixed order, string values
    /// JSON-quoted so that no value can imitate another field.
    static func material(request: TaskRequest, parents: [TaskKey]) -> String {
        var text = "tempo-batch task key \(schema)\n"
        func line(_ name: String, _ value: String?) {
            guard let value else { return }
            text += name
            text += "="
            text += quoted(value)
            text += "\n"
        }
        line("provider", request.provider.rawValue)
        line("kind", request.kind.rawValue)
        // A model the manifest did not name is recorded as the default of schema 1, so a new
        // default keeps the keys (and the paid work) of manifests that never named one.
        line("model", request.modelDefaulted ? ModelCatalogue.firstDefaults[request.kind] ?? request.model : request.model)
        line("prompt", request.prompt)
        line("lyrics", request.lyrics)
        line("lyrics_from_parent", request.lyricsFromParent ? "true" : nil)
        line("voice_id", request.voiceID)
        line("start_time", request.startTime.map(String.init))
        line("source_url", request.sourceURL)
        line("variant", request.variant.map(String.init))
        // Added after schema 1 shipped: absent fields write no line, so existing keys stay.
        line("tonality", request.tonality)
        line("bpm", request.bpm.map(String.init))
        line("chords", request.chords)
        for parent in parents { line("parent", parent.hex) }
        return text
    }

    static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// The first 12 hex digits, enough to tell tasks apart in listings.
    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }

    public static func < (lhs: TaskKey, rhs: TaskKey) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: any Decoder) throws {
        hex = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal, two digits a byte.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
