public import ProviderKit

/// A song or instrumental as a query answers it. Every field is optional: the client reads what
/// is there and keeps the whole answer in `raw`.
public struct AudioItem: Sendable, Equatable {
    public var itemID: String
    /// `running`, `main_succeeded`, `succeeded`, `part_failed`, `failed`, or anything newer.
    public var status: String
    public var audioHiStatus: String?
    public var lyricsSectionsStatus: String?
    public var title: String?
    public var duration: Double?
    public var audioURL: String?
    public var audioHiURL: String?
    public var lyrics: String?
    public var lyricsSections: [LyricsSection]
    public var raw: JSONValue

    public init(_ raw: JSONValue) {
        self.raw = raw
        itemID = raw["item_id"]?.string ?? ""
        status = raw["status"]?.string ?? "unknown"
        audioHiStatus = raw["audio_hi_status"]?.string
        lyricsSectionsStatus = raw["lyrics_sections_status"]?.string
        title = raw["title"]?.string
        duration = raw["duration"]?.double
        audioURL = raw["audio_url"]?.string
        audioHiURL = raw["audio_hi_url"]?.string
        lyrics = raw["lyrics"]?.string
        lyricsSections = (raw["lyrics_sections"]?.array ?? []).compactMap { section in
            guard let start = section["start"]?.double, let end = section["end"]?.double else { return nil }
            return LyricsSection(start: start, end: end, text: section["text"]?.string ?? "")
        }
    }
}

/// Generated lyrics as a query answers them (`lyric`, singular, on the wire).
public struct LyricsItem: Sendable, Equatable {
    public var itemID: String
    /// `waiting`, `running`, `succeeded`, `failed`, or anything newer.
    public var status: String
    public var title: String?
    public var text: String?
    public var raw: JSONValue

    public init(_ raw: JSONValue) {
        self.raw = raw
        itemID = raw["item_id"]?.string ?? ""
        status = raw["status"]?.string ?? "unknown"
        title = raw["title"]?.string
        text = raw["lyric"]?.string ?? raw["lyrics"]?.string
    }
}

public struct StemsItem: Sendable, Equatable {
    public var itemID: String
    public var status: String
    public var stemsURL: String?
    public var raw: JSONValue

    public init(_ raw: JSONValue) {
        self.raw = raw
        itemID = raw["item_id"]?.string ?? ""
        status = raw["status"]?.string ?? "unknown"
        stemsURL = raw["stems_url"]?.string
    }
}

/// A MIDI transcription as `midi/query` answers it: `midi_url` is a zip of `.mid` files.
public struct MIDIItem: Sendable, Equatable {
    public var itemID: String
    public var status: String
    public var midiURL: String?
    public var stemsURL: String?
    public var raw: JSONValue

    public init(_ raw: JSONValue) {
        self.raw = raw
        itemID = raw["item_id"]?.string ?? ""
        status = raw["status"]?.string ?? "unknown"
        midiURL = raw["midi_url"]?.string
        stemsURL = raw["stems_url"]?.string
    }
}

/// The routes with their own query endpoints.
public enum ItemKind: String, Sendable, CaseIterable {
    case song, instrumental, lyrics, stems, midi

    var queryPath: String {
        switch self {
        case .song: "song/query"
        case .instrumental: "instrumental/query"
        case .lyrics: "lyrics/query"
        case .stems: "stems/query"
        case .midi: "midi/query"
        }
    }

    var listKey: String {
        switch self {
        case .song: "songs"
        case .instrumental: "instrumentals"
        case .lyrics: "lyrics"
        case .stems: "stems"
        case .midi: "midis"
        }
    }
}

/// The key sent as `Authorization`. It prints as `<redacted>` wherever it ends up.
public struct APIKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
