public import Foundation

/// Everything a simulator instance can be told: its key, prices, limits, how fast time runs
/// and which faults to inject. The defaults mirror the contract in `shared/api/`.
public struct SimulatorConfiguration: Sendable {
    /// The one API key this simulator accepts (`Authorization: <key>`, as the real API expects).
    public var apiKey = "Tempo-simulator-key"
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
    public var songModels = ["TemPolor v3", "TemPolor v3.5", "TemPolor v4", "TemPolor v4.5", "tempolor-latest"]
    public var instrumentalModels = ["TemPolor i3": 120, "TemPolor i3.5": 270, "TemPolor i4": 270]
    public var faults = FaultProfile.none
    /// Sample rate of the `audio_hi_url` WAV files (mono, 16-bit).
    public var wavSampleRate = 16_000
    /// When set, every song and instrumental lasts this many seconds (small files for tests).
    public var fixedDuration: Int?
    /// When set, created items are saved to this JSON file after every create and loaded at
    /// start, so a simulator started again (the runner's embedded one) still knows them.
    public var stateFile: URL?
    /// Receives one line per request (never containing the API key). Silent by default.
    public var log: @Sendable (String) -> Void = { _ in }

    public init() {}

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
        public var models: [String: Double] = ["TemPolor i4": 30]

        public init() {}
    }

    /// A scaled duration.
    func scaled(_ seconds: TimeInterval) -> TimeInterval { seconds * timeScale }
}

/// Where the simulator reads the time. Inject ``ManualSimulatorClock`` in tests to move time
/// forward without sleeping.
public protocol SimulatorClock: Sendable {
    func now() -> Date
}

public struct SystemSimulatorClock: SimulatorClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to.
public final class ManualSimulatorClock: SimulatorClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = start }

    public func now() -> Date { lock.withLock { current } }

    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
}

/// SplitMix64: small, fast and deterministic for a given seed.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// A stable 64-bit hash of a string (FNV-1a), for seeding per-path streams.
    static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
