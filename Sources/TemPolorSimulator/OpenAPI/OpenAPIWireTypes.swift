import Foundation

// Request bodies as the Open API documents them. Every field is optional here so that a missing
// field becomes a precise 400003 rather than a decoding failure.

/// `POST song/generate`: a song, an instrumental (`instrumental: true` with an instrumental
/// model) or a cover (`action: "upload_cover"` of `upload_audio_url`).
struct SongGenerateRequest: Decodable {
    var prompt: String?
    var model: String?
    var lyrics: String?
    var voice_id: String?
    var callback_url: String?
    var instrumental: Bool?
    var action: String?
    var upload_audio_url: String?
}

/// `POST song/extend` and `POST instrumental/extend`.
struct ExtendRequest: Decodable {
    var item_id: String?
    var start_time: Double?
    var lyrics: String?
    var callback_url: String?
}

/// `POST instrumental/generate`.
struct InstrumentalGenerateRequest: Decodable {
    var prompt: String?
    var model: String?
    var callback_url: String?
}

/// `POST lyrics/generate`.
struct LyricsGenerateRequest: Decodable {
    var prompt: String?
    var song_model: String?
    var callback_url: String?
}

/// `POST stems` and `POST midi`: an audio URL to work on.
struct StemsRequest: Decodable {
    var url: String?
    var callback_url: String?
}

/// Every `…/query`: up to ten `item_ids`.
struct QueryRequest: Decodable {
    var item_ids: [String]?
}

/// `{status, message, request_id, data}`, always with HTTP 200.
struct Envelope<Payload: Encodable>: Encodable {
    let status: Int
    let message: String
    let request_id: String
    let data: Payload?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(message, forKey: .message)
        try container.encode(request_id, forKey: .request_id)
        try container.encode(data, forKey: .data)
    }

    private enum CodingKeys: String, CodingKey { case status, message, request_id, data }
}

/// What a create answers in `data`.
struct ItemIDs: Encodable { let item_ids: [String] }
/// What `account/billing` answers in `data`.
struct Balance: Encodable { let balance: Double }

/// One entry of `lyrics_sections`.
struct SectionWire: Encodable, Equatable {
    let start: Double
    let end: Double
    let text: String
}

/// A song or instrumental as the query and callbacks present it. Every key of the seed example
/// is always present; values not known yet are empty strings or zero, `event` is null outside
/// callbacks.
struct AudioItemWire: Encodable {
    let item_id: String
    let status: String
    let audio_hi_status: String
    let lyrics_sections_status: String?
    let event: String?
    let model: String
    let title: String
    let style: String
    let prompt: String
    let duration: Int
    let created_at: Int
    let finished_at: Int
    let audio_url: String
    let audio_hi_url: String
    let lyrics_sections: [SectionWire]?
    let lyrics: String?

    private enum CodingKeys: String, CodingKey {
        case item_id, status, audio_hi_status, lyrics_sections_status, event, model, title, style, prompt, duration
        case created_at, finished_at, audio_url, audio_hi_url, lyrics_sections, lyrics
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(item_id, forKey: .item_id)
        try container.encode(status, forKey: .status)
        try container.encode(audio_hi_status, forKey: .audio_hi_status)
        try container.encodeIfPresent(lyrics_sections_status, forKey: .lyrics_sections_status)
        try container.encode(event, forKey: .event)
        try container.encode(model, forKey: .model)
        try container.encode(title, forKey: .title)
        try container.encode(style, forKey: .style)
        try container.encode(prompt, forKey: .prompt)
        try container.encode(duration, forKey: .duration)
        try container.encode(created_at, forKey: .created_at)
        try container.encode(finished_at, forKey: .finished_at)
        try container.encode(audio_url, forKey: .audio_url)
        try container.encode(audio_hi_url, forKey: .audio_hi_url)
        try container.encodeIfPresent(lyrics_sections, forKey: .lyrics_sections)
        try container.encodeIfPresent(lyrics, forKey: .lyrics)
    }
}

/// A lyrics item as its query shows it.
struct LyricsItemWire: Encodable {
    let item_id: String
    let status: String
    let title: String
    let lyric: String
}

/// A stems item as its query shows it.
struct StemsItemWire: Encodable {
    let item_id: String
    let status: String
    let stems_url: String
}

/// A MIDI transcription as its query and callbacks show it. Both URLs are empty until it
/// succeeds.
struct MIDIItemWire: Encodable {
    let item_id: String
    let status: String
    /// A zip of Standard MIDI Files, `<name>_melody.mid`, `<name>_bass.mid`, `<name>_chords.mid`.
    let midi_url: String
    /// The same zip of FLAC stems the stems route serves.
    let stems_url: String
}

/// `data` of `song/query` and the body of song callbacks; the three below likewise.
struct SongsPayload: Encodable { let songs: [AudioItemWire] }
struct InstrumentalsPayload: Encodable { let instrumentals: [AudioItemWire] }
struct LyricsPayload: Encodable { let lyrics: [LyricsItemWire] }
struct StemsPayload: Encodable { let stems: [StemsItemWire] }
struct MIDIsPayload: Encodable { let midis: [MIDIItemWire] }
