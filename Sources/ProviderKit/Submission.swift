public import BatchManifest

/// One create call, with everything resolved from the task's parents.
public struct Submission: Sendable {
    public var kind: TaskKind
    /// The chain's main kind (song or instrumental) for extends and stems of a chain.
    public var chain: TaskKind
    /// The task key: every submission carries it (useapi sends it as `replyRef`), so a create
    /// whose answer was lost can be found again.
    public var reference: String
    public var model: String?
    public var prompt: String?
    public var lyrics: String?
    public var voiceID: String?
    public var startTime: Int?
    /// Instrumentals: musical parameters as fields (providers that take them).
    public var tonality: String?
    public var bpm: Int?
    public var chords: String?
    /// Stems of an outside file.
    public var sourceURL: String?
    /// Extends and stems of a chain: the item they continue or split, with its last report
    /// (the provider refreshes its URL if it needs one).
    public var parent: ItemRef?
    public var parentReport: ItemReport?
    public var callbackURL: String
    /// Provider-specific options from the manifest (e.g. useapi `user_id`, `max_jobs`).
    public var options: [String: String]
    /// The fingerprint of the key to create with (one of the provider's ``GenerationProvider/accounts``);
    /// nil: its first. A child (extend, stems, cover, MIDI) must use its parent's.
    public var account: String?

    public init(kind: TaskKind, chain: TaskKind, reference: String, callbackURL: String, options: [String: String] = [:]) {
        self.kind = kind
        self.chain = chain
        self.reference = reference
        self.callbackURL = callbackURL
        self.options = options
    }
}
