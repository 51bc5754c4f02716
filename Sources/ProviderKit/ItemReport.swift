/// The files a finished item can be filed as.
public enum FileRole: String, Sendable, Codable, CaseIterable, Hashable {
    case mp3
    case wav
    /// One zip of separated stems.
    case stems
    /// One zip of MIDI files.
    case midi
}

/// What a provider says about one item, in the runner's terms.
public struct ItemReport: Sendable {
    public enum Phase: Sendable, Equatable {
        /// Not final yet (queued, running, mp3 ready but timings pending, or a status this
        /// client does not know).
        case working
        case succeeded
        /// The audio is usable; the WAV or the timings failed.
        case partFailed
        case failed(String)
    }

    public var phase: Phase
    /// The provider's own word for the state (`main_succeeded`, `GENERATING`, …).
    public var providerStatus: String
    /// 0...100 when the provider reports it.
    public var progress: Double?
    /// The files this item has (or will have once final).
    public var files: Set<FileRole>
    /// URLs already known for some files (TemPolor answers them in the query; useapi never).
    public var urls: [FileRole: String]
    public var lyrics: String?
    public var sections: [LyricsSection]
    public var title: String?
    public var duration: Double?
    /// Tempo and musical key, when the provider states them (useapi's `musicMaterial`).
    public var bpm: Int?
    public var key: String?
    /// The provider's whole answer for the item.
    public var raw: JSONValue

    public init(phase: Phase, providerStatus: String, raw: JSONValue) {
        self.phase = phase
        self.providerStatus = providerStatus
        self.raw = raw
        files = []
        urls = [:]
        sections = []
    }

    public var isFinal: Bool { phase != .working }
}

/// Where one file of an item can be fetched now: a plain GET, never with the provider's
/// credentials (signed storage URLs refuse a second authentication).
public struct FileLocation: Sendable {
    public var url: String
    /// A newer report the provider fetched on the way (to be recorded), if any.
    public var report: ItemReport?

    public init(url: String, report: ItemReport? = nil) {
        self.url = url
        self.report = report
    }
}

/// A span of lyrics in the audio, in seconds.
public struct LyricsSection: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var text: String

    public init(start: Double, end: Double, text: String) {
        self.start = start
        self.end = end
        self.text = text
    }
}
