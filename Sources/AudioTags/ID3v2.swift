public import Foundation

/// Builds ID3v2.4.0 tags (the format of mp3 tags and of a WAV file's `id3 ` chunk).
///
/// All text is UTF-8 (encoding byte 3). The header and every frame size are synchsafe integers,
/// as v2.4 requires; no frame is unsynchronised, compressed or flagged. Fields map to frames:
/// title TIT2, artist TPE1, album TALB, track TRCK (`n/total`), date TDRC, genre TCON, comment
/// COMM, lyrics USLT, synced lyrics SYLT (milliseconds, content type lyrics), bpm TBPM, key
/// TKEY, custom fields TXXX with the name as description (a repeated name becomes one TXXX with
/// several values, since readers key TXXX by description). Comment and lyrics frames carry
/// ``TrackTags/language`` and an empty description.
public enum ID3v2 {
    /// Zero bytes after the frames, so a later editor can grow the tag in place.
    public static let defaultPadding = 256

    /// A complete tag: header, frames, then `padding` zero bytes.
    public static func tag(for tags: TrackTags, padding: Int = defaultPadding) throws -> Data {
        let frames = try frames(for: tags)
        let size = frames.count + max(0, padding)
        guard size < 1 << 28 else { throw AudioTagError.invalidTags("the ID3v2 tag would be \(size) bytes, more than ID3v2 allows (256 MiB)") }
        var tag: [UInt8] = []
        tag.reserveCapacity(10 + size)
        tag.append(ascii: "ID3")
        tag.append(contentsOf: [4, 0, 0])   // version 2.4.0, no flags
        tag.appendSynchsafe(size)
        tag.append(contentsOf: frames)
        tag.append(contentsOf: repeatElement(0, count: max(0, padding)))
        return Data(tag)
    }

    /// The length of the ID3v2 tag (any version, header to padding and footer) starting at
    /// `offset`, or nil when no ID3v2 header is there. The length may run past the data.
    static func tagLength(in data: Data, at offset: Int) -> Int? {
        guard data.ascii(at: offset, count: 3) == "ID3", offset + 10 <= data.count else { return nil }
        let major = data[offset + 3], revision = data[offset + 4], flags = data[offset + 5]
        let sizeBytes = data[(offset + 6)..<(offset + 10)]
        guard (2...4).contains(major), revision != 0xFF, sizeBytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        let size = sizeBytes.reduce(0) { $0 << 7 | Int($1) }
        let footer = major == 4 && flags & 0x10 != 0 ? 10 : 0
        return 10 + size + footer
    }

    // MARK: Frames

    static func frames(for tags: TrackTags) throws -> [UInt8] {
        let language = try languageCode(tags.language)
        var frames: [UInt8] = []
        func add(_ id: String, _ body: [UInt8]) throws {
            guard body.count < 1 << 28 else { throw AudioTagError.invalidTags("the \(id) frame would be \(body.count) bytes, more than ID3v2 allows") }
            frames.append(ascii: id)
            frames.appendSynchsafe(body.count)
            frames.append(contentsOf: [0, 0])                      // no frame flags
            frames.append(contentsOf: body)
        }
        func addText(_ id: String, _ value: String?, field: String) throws {
            guard let value, !value.isEmpty else { return }
            try add(id, [utf8Encoding] + text(value, field: field))
        }
        try addText("TIT2", tags.title, field: "title")
        try addText("TPE1", tags.artist, field: "artist")
        try addText("TALB", tags.album, field: "album")
        try addText("TRCK", tags.trackText, field: "track number")
        try addText("TDRC", tags.date, field: "date")
        try addText("TCON", tags.genre, field: "genre")
        try addText("TBPM", tags.bpm.map(String.init), field: "bpm")
        try addText("TKEY", tags.key, field: "key")
        if let comment = tags.comment, !comment.isEmpty {
            // encoding, language, empty description, text
            try add("COMM", [utf8Encoding] + language + [0] + text(comment, field: "comment"))
        }
        if let lyrics = tags.lyrics, !lyrics.isEmpty {
            try add("USLT", [utf8Encoding] + language + [0] + text(lyrics, field: "lyrics"))
        }
        if !tags.syncedLyrics.isEmpty {
            // encoding, language, timestamp format 2 (milliseconds), content type 1 (lyrics),
            // empty description, then per line: text, NUL, 32-bit big-endian time.
            var body = [utf8Encoding] + language + [2, 1, 0]
            for line in tags.syncedLyrics {
                body += try text(line.text, field: "synced lyrics line at \(line.milliseconds) ms")
                body.append(0)
                body.appendBigEndian(line.milliseconds)
            }
            try add("SYLT", body)
        }
        for (name, values) in groupedCustomFields(tags.custom) {
            guard !name.isEmpty else { throw AudioTagError.invalidTags("a custom field has an empty name") }
            // encoding, description, NUL, values separated by NUL (v2.4's multiple values)
            var body = [utf8Encoding] + (try text(name, field: "custom field name")) + [0]
            for (index, value) in values.enumerated() {
                if index > 0 { body.append(0) }
                body += try text(value, field: "custom field '\(name)'")
            }
            try add("TXXX", body)
        }
        return frames
    }

    private static let utf8Encoding: UInt8 = 3

    /// Custom fields by name in order of first appearance, each with all its values in order.
    private static func groupedCustomFields(_ fields: [CustomField]) -> [(String, [String])] {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for field in fields {
            if values[field.name] == nil { order.append(field.name) }
            values[field.name, default: []].append(field.value)
        }
        return order.map { ($0, values[$0] ?? []) }
    }

    /// UTF-8 bytes of a text value. NUL separates values and ends strings in ID3, so it cannot
    /// appear inside one.
    private static func text(_ value: String, field: String) throws -> [UInt8] {
        let bytes = Array(value.utf8)
        guard !bytes.contains(0) else { throw AudioTagError.invalidTags("the \(field) contains a NUL character") }
        return bytes
    }

    private static func languageCode(_ language: String) throws -> [UInt8] {
        let bytes = Array(language.utf8)
        guard bytes.count == 3, bytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
            throw AudioTagError.invalidTags("language '\(language)' is not a three-letter ISO 639-2 code such as 'eng'")
        }
        return bytes
    }
}
