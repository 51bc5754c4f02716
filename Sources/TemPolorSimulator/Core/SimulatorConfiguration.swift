public import Foundation

/// Everything a simulator instance can be told: its credentials, prices, limits, how fast time
/// runs and which faults to inject. The defaults mirror the contracts in `shared/api/`. One
/// configuration serves both surfaces (the Open API and the useapi.net routes) at once.
public struct SimulatorConfiguration: Sendable {
    /// The one API key this simulator accepts (`Authorization: <key>`, as the real API expects).
    public var apiKey = "Tempo-simulator-key"
    /// Further Open API keys, each its own account: its own parallel limit, balance and items
    /// (a key sees only the items it created). The primary key above shares its balance with
    /// the useapi.net surface.
    public var extraKeys: [KeyAccount] = []
    /// Multiplies every processing duration: `0.01` makes everything 100× faster.
    public var timeScale = 1.0
    /// Seed for item ids, generated text and fault decisions.
    public var seed: UInt64 = 1
    public var schedule = Schedule()
    /// Signed result URLs stay valid this long after the query that issued them (real: 3 days).
    public var urlLifetime: TimeInterval = 3 * 24 * 3600
    /// Tasks one key may have unfinished at once before creates answer 400007.
    public var parallelLimit = 20
    public var initialBalance = 100_000.0
    public var prices = Prices()
    /// Prompts or lyrics containing one of these words (case-insensitive) answer 400004.
    public var bannedWords: [String] = ["forbidden"]
    /// Models `song/generate` makes songs with: TemPolor's own (`tempolor-latest` is the 2026 id)
    /// and the third-party models resold on the same route.
    public var songModels = [
        "TemPolor v3", "TemPolor v3.5", "TemPolor v4", "TemPolor v4.5", "TemPolor v4.6", "tempolor-latest",
        "Eleven Music V2", "Lyria 3 Pro", "Mureka V9.5", "Mureka V9", "MiniMax 3.0",
    ]
    /// Instrumental models and the longest instrumental each makes, in seconds. They answer on
    /// `instrumental/generate` and on `song/generate` with `"instrumental": true`.
    public var instrumentalModels = ["TemPolor i3": 120, "TemPolor i3.5": 270, "TemPolor i4": 270]
    /// The song models `song/generate` accepts with `"action": "upload_cover"`; other known
    /// models answer 400010 there.
    public var coverModels = ["tempolor-latest"]
    public var faults = FaultProfile.none
    /// Sample rate of the `audio_hi_url` WAV files (mono, 16-bit).
    public var wavSampleRate = 16_000
    /// When set, every song and instrumental lasts this many seconds (small files for tests).
    public var fixedDuration: Int?
    /// When set, every item is final this many seconds after its creation, whatever its kind
    /// (not time-scaled; 0: at once). For measuring the client's own cost per task.
    public var processingTime: TimeInterval?
    /// Items one song or instrumental create makes (`data.item_ids` then names them all; the
    /// create is billed once). The documentation's examples show one; the field is a list.
    public var itemsPerCreate = 1
    /// When set, created items are saved to this JSON file after every create and loaded at
    /// start, so a simulator started again (the runner's embedded one) still knows them.
    public var stateFile: URL?
    /// How often due callbacks are looked for (real time); each goes out at the next look.
    public var callbackTick: Duration = .milliseconds(20)
    /// Receives one line per request (never containing the API key). Silent by default.
    public var log: @Sendable (String) -> Void = { _ in }

    // MARK: The useapi.net surface (`/v1/tempolor/...`)

    /// The one useapi token accepted (`Authorization: Bearer <token>`). Its `user:<n>-` prefix
    /// gives job ids their `user:<n>` part.
    public var useapiToken = "user:1-simulator-token"
    /// The `user_id` of the one TemPolor account linked to the token.
    public var useapiUserID = "1000001"
    /// Jobs the linked account may have GENERATING at once before creates answer 429; a
    /// request's `maxJobs` overrides it for that request.
    public var useapiMaxJobs = 10
    /// Seconds (at time scale 1) after a job turns COMPLETED during which its download still
    /// answers 404 ("not ready yet").
    public var useapiNotReadyWindow: TimeInterval = 5
    /// Seconds (at time scale 1) after completion that results are kept; later downloads answer 410.
    public var useapiRetention: TimeInterval = 7 * 24 * 3600
    /// Signed file URLs of the useapi download route stay valid this long (not time-scaled),
    /// and never past the retention.
    public var useapiURLLifetime: TimeInterval = 3600
    /// Records per page of `GET /v1/tempolor/music`.
    public var useapiPageSize = 20

    public init() {}

    /// One further Open API key and its account.
    public struct KeyAccount: Sendable, Equatable {
        public var apiKey: String
        public var parallelLimit: Int
        public var balance: Double

        public init(apiKey: String, parallelLimit: Int = 20, balance: Double = 100_000) {
            self.apiKey = apiKey
            self.parallelLimit = parallelLimit
            self.balance = balance
        }

        /// The account name its items carry: `key-2` for the first further key, and so on.
        static func name(at index: Int) -> String { "key-\(index + 2)" }
    }

    /// The account of an Open API key: nil for the primary key, `key-N` for a further one;
    /// `.none` when no key matches.
    func openAPIAccount(of key: String?) -> String?? {
        guard let key else { return .none }
        if key == apiKey { return .some(nil) }
        return extraKeys.firstIndex { $0.apiKey == key }.map { .some(KeyAccount.name(at: $0)) } ?? .none
    }

    /// A further key's account by its name; nil for the primary key (or an unknown name).
    func keyAccount(named name: String?) -> KeyAccount? {
        guard let name else { return nil }
        return extraKeys.indices.first { KeyAccount.name(at: $0) == name }.map { extraKeys[$0] }
    }

    /// Processing times at time scale 1, from creation.
    public struct Schedule: Sendable {
        /// Song or instrumental: until the mp3 is ready (`main_succeeded`).
        public var main: TimeInterval = 40
        /// After `main`: until the WAV is ready.
        public var audioHi: TimeInterval = 15
        /// After `main`: until the lyric timings are ready.
        public var lyricsSections: TimeInterval = 10
        public var lyrics: TimeInterval = 8
        public var stems: TimeInterval = 30
        /// A MIDI transcription (`POST midi`): until its MIDI and stems zips are ready.
        public var midi: TimeInterval = 45
        /// Callback retry interval at time scale 1 (doubles up to 16×).
        public var callbackRetry: TimeInterval = 5
        public var callbackAttempts = 8

        public init() {}
    }

    /// Credits each accepted create spends.
    public struct Prices: Sendable {
        public var song = 30.0
        public var instrumental = 20.0
        public var extend = 30.0
        public var lyrics = 7.0
        public var stems = 35.0
        /// A cover (`song/generate` with `"action": "upload_cover"`); without lyrics, `lyrics` is added.
        public var cover = 70.0
        /// A MIDI transcription (`POST midi`). The real price is not published.
        public var midi = 10.0
        public var models: [String: Double] = ["TemPolor i4": 30]

        public init() {}
    }

    /// A scaled duration.
    func scaled(_ seconds: TimeInterval) -> TimeInterval { seconds * timeScale }
}
