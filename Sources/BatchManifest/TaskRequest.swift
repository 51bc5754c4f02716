/// What a task asks the provider for. Each task costs one create call.
public enum TaskKind: String, Sendable, Codable, CaseIterable, Hashable {
    case lyrics
    case song
    case instrumental
    case extend
    case stems
    /// A new performance of an audio (`song/generate` with `action: upload_cover`).
    case cover
    /// A transcription of an audio into MIDI files.
    case midi
}

/// The normalised request of a task: exactly the content that decides what the provider makes,
/// and so exactly what its ``TaskKey`` hashes. Delivery details (callback URL, output folder,
/// job name) are deliberately absent so that changing them never pays for the same work again.
public struct TaskRequest: Sendable, Hashable, Codable {
    public var provider: Provider
    public var kind: TaskKind
    public var model: String?
    /// The manifest named no model: `model` is the current default. The task key then records
    /// the default of its first version, so a new default never pays for finished work again.
    public var modelDefaulted = false
    public var prompt: String?
    /// Lyrics written in the manifest (songs and extends).
    public var lyrics: String?
    /// A song whose lyrics come from its parent lyrics task at run time.
    public var lyricsFromParent: Bool
    public var voiceID: String?
    /// Extend: seconds into the parent audio.
    public var startTime: Int?
    /// Stems, a cover or MIDI of an existing file.
    public var sourceURL: String?
    /// Instrumental parameters taken as fields by some providers (useapi.net).
    public var tonality: String?
    public var bpm: Int?
    public var chords: String?
    /// Independent paid generation number (songs, instrumentals, stems of a URL); derived tasks
    /// inherit it through their parent's key.
    public var variant: Int?

    public init(
        provider: Provider, kind: TaskKind, model: String? = nil, prompt: String? = nil, lyrics: String? = nil,
        lyricsFromParent: Bool = false, voiceID: String? = nil, startTime: Int? = nil, sourceURL: String? = nil,
        variant: Int? = nil
    ) {
        self.provider = provider
        self.kind = kind
        self.model = model
        self.prompt = prompt
        self.lyrics = lyrics
        self.lyricsFromParent = lyricsFromParent
        self.voiceID = voiceID
        self.startTime = startTime
        self.sourceURL = sourceURL
        self.variant = variant
    }
}
