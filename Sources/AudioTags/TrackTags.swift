/// The metadata written into one audio file. Every field is optional; absent fields are left out
/// of the tag rather than written empty. The same value goes into ID3v2.4 (mp3, WAV) and Vorbis
/// comments (FLAC); see ``ID3v2`` and ``VorbisComment`` for how each field is spelled there.
public struct TrackTags: Sendable, Equatable {
    public var title: String?
    public var artist: String?
    public var album: String?
    public var trackNumber: Int?
    /// Written to ID3 only together with ``trackNumber`` (TRCK "n/total"); Vorbis has its own TRACKTOTAL.
    public var trackTotal: Int?
    /// A date or timestamp as ID3v2.4's TDRC spells it: "2026", "2026-11" or "2026-11-22".
    public var date: String?
    public var genre: String?
    public var comment: String?
    /// Unsynchronised lyrics (ID3 USLT, Vorbis LYRICS).
    public var lyrics: String?
    /// Time-coded lyrics (ID3 SYLT). Vorbis comments have no standard field for them.
    public var syncedLyrics: [SyncedLine]
    public var bpm: Int?
    /// The musical key, e.g. "F#m" (ID3 TKEY, Vorbis KEY).
    public var key: String?
    /// ISO 639-2 code of the comment and lyrics language, three ASCII letters.
    public var language: String
    /// Extra named text fields in order (ID3 TXXX by description, Vorbis `NAME=value`), e.g.
    /// `("PROVIDER", "tempolor")` or `("STEM", "vocals")`. A name may repeat.
    public var custom: [CustomField]

    public init(
        title: String? = nil, artist: String? = nil, album: String? = nil,
        trackNumber: Int? = nil, trackTotal: Int? = nil, date: String? = nil, genre: String? = nil,
        comment: String? = nil, lyrics: String? = nil, syncedLyrics: [SyncedLine] = [],
        bpm: Int? = nil, key: String? = nil, language: String = "eng", custom: [CustomField] = []
    ) {
        self.title = title
        self.artist = artist
        self.album = album
        self.trackNumber = trackNumber
        self.trackTotal = trackTotal
        self.date = date
        self.genre = genre
        self.comment = comment
        self.lyrics = lyrics
        self.syncedLyrics = syncedLyrics
        self.bpm = bpm
        self.key = key
        self.language = language
        self.custom = custom
    }

    /// The track number as ID3 TRCK spells it: "3/12", or "3" without a total.
    var trackText: String? {
        guard let trackNumber else { return nil }
        return trackTotal.map { "\(trackNumber)/\($0)" } ?? "\(trackNumber)"
    }
}

/// One line of time-coded lyrics.
public struct SyncedLine: Sendable, Equatable {
    /// Start of the line in milliseconds from the beginning of the audio.
    public var milliseconds: UInt32
    public var text: String

    public init(milliseconds: UInt32, text: String) {
        self.milliseconds = milliseconds
        self.text = text
    }
}

/// A named user text field, kept in the order given.
public struct CustomField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
