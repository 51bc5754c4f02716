/// A validated manifest (version 1): every default applied, every template parsed, every
/// environment variable substituted. Built from a ``ManifestDocument`` by ``ManifestConverter``.
public struct Manifest: Sendable {
    /// Path of the manifest file as given by the user (used in diagnostics and reports).
    public var file: String
    public var name: String
    public var provider: Provider
    public var concurrency: Concurrency
    public var retry: RetryPolicy
    public var budget: Budget?
    public var output: OutputSettings
    public var pricing: PriceTable
    /// Options for the provider (`useapi: { user_id, max_jobs }`), by their manifest names.
    public var providerOptions: [String: String] = [:]
    public var jobs: [Job]
    /// What happens to a create whose outcome is unknown (`ambiguity:`).
    public var ambiguity = AmbiguityPolicy()
    /// Templates for the audio files' artist, album and genre tags (`tags:`).
    public var tags = TagSettings()
    /// How the Open API is spoken (`api:`): the instrumental route and the region.
    public var api = APISettings()
}

/// `api: { instrumental_route: song | legacy, region: global | cn }` (TemPolor only).
public struct APISettings: Sendable, Equatable {
    public enum InstrumentalRoute: String, Sendable, CaseIterable {
        /// `song/generate` with `instrumental: true`, queried through `song/query` (2026).
        case song
        /// `instrumental/generate` and `instrumental/query` (2025; no longer documented).
        case legacy
    }

    public enum Region: String, Sendable, CaseIterable {
        /// `https://api.tempolor.com`.
        case global
        /// `https://api.tianpuyue.cn`: the same API for mainland China, without extend.
        case cn
    }

    public var instrumentalRoute: InstrumentalRoute = .song
    public var region: Region = .global

    public init(instrumentalRoute: InstrumentalRoute = .song, region: Region = .global) {
        self.instrumentalRoute = instrumentalRoute
        self.region = region
    }

    /// The provider-option names the client reads.
    public static let instrumentalRouteOption = "instrumental_route"
    public static let regionOption = "region"
}

/// `ambiguity: { on_ambiguous: ask | resubmit, balance_check: true }`.
public struct AmbiguityPolicy: Sendable, Equatable {
    public enum OnAmbiguous: String, Sendable, CaseIterable {
        /// Stop and ask (exit 4) unless evidence resolves it: the default.
        case ask
        /// Submit again without asking: the task finishes, and may be paid for twice.
        case resubmit
    }

    public var onAmbiguous: OnAmbiguous = .ask
    /// Prove from the account's balance (read before the run and at a quiet moment) whether
    /// ambiguous creates were paid. Valid only when nothing else spends on the account.
    public var balanceCheck = false

    public init(onAmbiguous: OnAmbiguous = .ask, balanceCheck: Bool = false) {
        self.onAmbiguous = onAmbiguous
        self.balanceCheck = balanceCheck
    }
}

public enum Provider: String, Sendable, Codable, CaseIterable {
    case tempolor
    case useapi
    case simulator
}

public struct Concurrency: Sendable, Equatable, Codable {
    public var tasks: Int
    public var downloads: Int
    /// The manifest named `concurrency.tasks` (else the provider may suggest a start).
    public var tasksWritten = false

    public static let `default` = Concurrency(tasks: 4, downloads: 4)
    public static let limits = 1...64
}

public struct RetryPolicy: Sendable, Equatable {
    /// Attempts per call, the first included.
    public var attempts: Int
    public var initial: Duration
    public var max: Duration

    public static let `default` = RetryPolicy(attempts: 5, initial: .seconds(2), max: .seconds(120))
    public static let attemptLimits = 1...100
}

/// `budget: { max_credits, per: run | day | week | month, timezone }`.
public struct Budget: Sendable, Equatable, Codable {
    public var maxCredits: Double
    public var per: BudgetPeriod
    /// IANA time zone of the windows (nil: the machine's).
    public var timeZone: String?

    public init(maxCredits: Double, per: BudgetPeriod = .run, timeZone: String? = nil) {
        self.maxCredits = maxCredits
        self.per = per
        self.timeZone = timeZone
    }
}

public struct OutputSettings: Sendable {
    /// The output root: absolute, or relative to the working directory when the manifest does
    /// not name one (then it is `output`).
    public var root: String
    public var path: OutputPathTemplate
}

/// One entry of `jobs:`. A job expands to one chain per matrix combination and variant.
public struct Job: Sendable {
    public var name: String
    public var location: SourceLocation
    /// Matrix keys in the order written, each with its values.
    public var matrix: [(key: String, values: [String])]
    public var variants: Int
    public var lyrics: LyricsStep?
    public var main: MainStep?
    public var extend: [ExtendStep]
    /// A cover of the chain's last audio, or of an outside file.
    public var cover: CoverStep?
    public var stems: StemsStep?
    /// MIDI transcription of the chain's last audio (`midi: true`).
    public var midi = false
    public var callbackURL: String?
    /// Where each step was written, for diagnostics that come after conversion (capabilities).
    public var locations = Locations()

    public struct Locations: Sendable {
        public var lyrics: SourceLocation?
        public var main: SourceLocation?
        public var model: SourceLocation?
        public var voiceID: SourceLocation?
        public var extend: SourceLocation?
        public var stems: SourceLocation?
        public var cover: SourceLocation?
        public var midi: SourceLocation?
        /// The first of an instrumental's tonality, bpm and chords.
        public var parameters: SourceLocation?

        public init() {}
    }

    /// Every matrix combination, in row-major order of the keys as written (one empty
    /// combination when the job has no matrix).
    public var combinations: [[(key: String, value: String)]] {
        var result: [[(key: String, value: String)]] = [[]]
        for (key, values) in matrix {
            result = result.flatMap { prefix in values.map { prefix + [(key, $0)] } }
        }
        return result
    }
}

public enum MainStep: Sendable {
    case song(SongStep)
    case instrumental(InstrumentalStep)
}

public struct SongStep: Sendable {
    public var prompt: Template
    public var lyrics: Template?
    public var model: String
    /// The manifest named no model (``model`` is the default).
    public var modelDefaulted = false
    public var voiceID: String?
}

/// `cover: { prompt, lyrics?, model?, url? }`: a new performance (reference-based generation)
/// of an outside file (`url`), or of the chain's last audio after a song and its extends.
public struct CoverStep: Sendable {
    public var prompt: Template
    public var lyrics: Template?
    public var model: String
    public var url: Template?
}

public struct InstrumentalStep: Sendable {
    public var prompt: Template
    public var model: String
    /// Musical parameters some providers take as fields (useapi.net); the Open API reads them
    /// from the prompt.
    public var tonality: String?
    public var bpm: Int?
    public var chords: String?

    public var hasParameters: Bool { tonality != nil || bpm != nil || chords != nil }

    public static let bpmLimits = 50...190
    public static let chordsCharacters = 200
    /// `C:major` … `B:minor`: the 24 keys useapi.net accepts.
    public static let tonalities: [String] = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
        .flatMap { ["\($0):major", "\($0):minor"] }
}

/// Lyrics written by the platform from a prompt; they feed every song of the job.
public struct LyricsStep: Sendable {
    public var prompt: Template
    /// The song model the lyrics are written for (`song_model`), if any.
    public var songModel: String?
}

public struct ExtendStep: Sendable {
    /// Seconds into the parent audio where the continuation starts (10...600).
    public var startTime: Int
    public var lyrics: Template?

    public static let startTimeLimits = 10...600
}

public enum StemsStep: Sendable {
    /// Split the last audio of the job's chain.
    case chain
    /// Split an existing, publicly fetchable audio file.
    case url(Template)
}

/// Field limits from the TemPolor Open API contract.
public enum FieldLimits {
    public static let lyricsCharacters = 3000
    public static let promptCharacters = 1000
    public static let variants = 1...100
}
