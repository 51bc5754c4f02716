/// Builds FLAC's VORBIS_COMMENT metadata (the body of metadata block type 4).
///
/// Fields map to names: TITLE, ARTIST, ALBUM, TRACKNUMBER, TRACKTOTAL, DATE, GENRE, COMMENT,
/// LYRICS, BPM, KEY, then each custom field as `NAME=value` in order (repeats allowed). Synced
/// lyrics and the language have no standard Vorbis field and are left out.
public enum VorbisComment {
    /// The `NAME=value` pairs written for `tags`, in order.
    public static func fields(for tags: TrackTags) throws -> [CustomField] {
        let standard: [(String, String?)] = [
            ("TITLE", tags.title), ("ARTIST", tags.artist), ("ALBUM", tags.album),
            ("TRACKNUMBER", tags.trackNumber.map(String.init)), ("TRACKTOTAL", tags.trackTotal.map(String.init)),
            ("DATE", tags.date), ("GENRE", tags.genre), ("COMMENT", tags.comment), ("LYRICS", tags.lyrics),
            ("BPM", tags.bpm.map(String.init)), ("KEY", tags.key),
        ]
        let fields = standard.compactMap { name, value in value.flatMap { $0.isEmpty ? nil : CustomField(name, $0) } } + tags.custom
        for field in fields where !isValidName(field.name) {
            throw AudioTagError.invalidTags(
                "'\(field.name)' cannot be a Vorbis comment field name (printable ASCII without '=', not empty)")
        }
        return fields
    }

    /// The block body: vendor string, then the fields, every length 32-bit little-endian.
    static func block(for tags: TrackTags, vendor: String) throws -> [UInt8] {
        var body: [UInt8] = []
        let vendorBytes = Array(vendor.utf8)
        body.appendLittleEndian(UInt32(vendorBytes.count))
        body += vendorBytes
        let fields = try fields(for: tags)
        body.appendLittleEndian(UInt32(fields.count))
        for field in fields {
            let entry = Array("\(field.name)=\(field.value)".utf8)
            guard entry.count <= UInt32.max else { throw AudioTagError.invalidTags("the field \(field.name) is too long") }
            body.appendLittleEndian(UInt32(entry.count))
            body += entry
        }
        return body
    }

    /// Field names are ASCII 0x20 through 0x7D except '='.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { (0x20...0x7D).contains($0) && $0 != UInt8(ascii: "=") }
    }
}
