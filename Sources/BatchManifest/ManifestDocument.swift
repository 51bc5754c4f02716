/// The manifest exactly as written: typed and located, nothing inherited or cross-checked yet.
/// ``ManifestReader`` fills it from YAML; ``ManifestConverter`` turns it into a ``Manifest``.
struct ManifestDocument {
    var location: SourceLocation
    var version: Located<Int>?
    var name: Located<String>?
    var provider: Located<String>?
    var defaults = StepSettings()
    var concurrency: (tasks: Located<Int>?, downloads: Located<Int>?) = (nil, nil)
    var retry: (attempts: Located<Int>?, initial: Located<String>?, max: Located<String>?) = (nil, nil, nil)
    var budget: Located<Double>?
    /// `budget.per` and `budget.timezone`.
    var budgetPer: Located<String>?
    var budgetTimeZone: Located<String>?
    /// useapi.net options: which linked account, and how many jobs it runs at once.
    var useapiLocation: SourceLocation?
    var useapiUserID: Located<String>?
    var useapiMaxJobs: Located<Int>?
    /// `api: { instrumental_route, region }` (TemPolor's Open API).
    var apiLocation: SourceLocation?
    var instrumentalRoute: Located<String>?
    var region: Located<String>?
    /// `limits.max_tasks`: the most tasks the manifest may expand to.
    var maxTasks: Located<Int>?
    /// `ambiguity: { on_ambiguous, balance_check }`.
    var onAmbiguous: Located<String>?
    var balanceCheck: Located<Bool>?
    var outputRoot: Located<String>?
    var outputPath: Located<String>?
    /// `tags: { artist, album, genre }` templates.
    var tags: [(key: String, text: Located<String>)] = []
    var pricing = PricingDocument()
    var jobs: [JobDocument] = []
}

/// Keys a job inherits from `defaults:` and may override.
struct StepSettings {
    var model: Located<String>?
    var instrumentalModel: Located<String>?
    var lyricsModel: Located<String>?
    var callbackURL: Located<String>?
    var voiceID: Located<String>?

    static let keys = ["model", "instrumental_model", "lyrics_model", "callback_url", "voice_id"]

    /// `self` where set, else `fallback`.
    func inheriting(from fallback: StepSettings) -> StepSettings {
        StepSettings(
            model: model ?? fallback.model,
            instrumentalModel: instrumentalModel ?? fallback.instrumentalModel,
            lyricsModel: lyricsModel ?? fallback.lyricsModel,
            callbackURL: callbackURL ?? fallback.callbackURL,
            voiceID: voiceID ?? fallback.voiceID
        )
    }
}

struct PricingDocument {
    var perKind: [TaskKind: Located<Double>] = [:]
    var models: [(name: Located<String>, price: Located<Double>)] = []
}

struct JobDocument {
    var location: SourceLocation
    var name: Located<String>?
    var settings = StepSettings()
    var song: SongDocument?
    var instrumental: InstrumentalDocument?
    var lyrics: LyricsDocument?
    var extend: [ExtendDocument]?
    /// Where the `extend:`, `stems:` and `matrix:` keys are: problems with the whole step point there.
    var extendLocation: SourceLocation?
    var stems: StemsDocument?
    var stemsLocation: SourceLocation?
    var cover: CoverDocument?
    var midi: Located<Bool>?
    var matrix: [(key: Located<String>, values: [Located<String>])] = []
    var matrixLocation: SourceLocation?
    var variants: Located<Int>?
}

/// A step's `location` is where its key (`song:`) is written.
struct SongDocument {
    var location: SourceLocation
    var prompt: Located<String>?
    var lyrics: Located<String>?
    var model: Located<String>?
    var voiceID: Located<String>?
}

struct InstrumentalDocument {
    var location: SourceLocation
    var prompt: Located<String>?
    var model: Located<String>?
    var tonality: Located<String>?
    var bpm: Located<Int>?
    var chords: Located<String>?
}

struct LyricsDocument {
    var location: SourceLocation
    var prompt: Located<String>?
    var model: Located<String>?
}

struct CoverDocument {
    var location: SourceLocation
    var prompt: Located<String>?
    var lyrics: Located<String>?
    var model: Located<String>?
    var url: Located<String>?
}

struct ExtendDocument {
    var location: SourceLocation
    var startTime: Located<Int>?
    var lyrics: Located<String>?
}

enum StemsDocument {
    case enabled(Bool)
    case url(Located<String>)
}
