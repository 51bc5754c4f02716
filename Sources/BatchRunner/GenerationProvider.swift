public import BatchManifest
public import TemPolorClient

/// The seam between the scheduler and a provider. The scheduler speaks only these types, so a
/// second provider (useapi.net) is one more conformance, not a change to the scheduler.
public protocol GenerationProvider: Sendable {
    /// At most this many items per status call.
    var statusBatchLimit: Int { get }
    /// Creates the work a submission describes and answers the provider's item ids (one in
    /// practice; the first is the task's).
    func submit(_ submission: Submission) async throws(ProviderError) -> [String]
    /// The current state of items made through the `route` kind (song, instrumental, lyrics or
    /// stems; extends are queried through their chain's kind), keyed by item id.
    func status(route: TaskKind, itemIDs: [String]) async throws(ProviderError) -> [String: ItemReport]
    func balance() async throws(ProviderError) -> Double
}

/// One create call, with everything resolved from parents (lyrics text, item ids, URLs).
public struct Submission: Sendable {
    public var kind: TaskKind
    /// For extends: the kind of the chain (song or instrumental).
    public var route: TaskKind
    public var model: String?
    public var prompt: String?
    public var lyrics: String?
    public var voiceID: String?
    public var startTime: Int?
    public var parentItemID: String?
    public var sourceURL: String?
    public var callbackURL: String

    public init(kind: TaskKind, route: TaskKind, callbackURL: String) {
        self.kind = kind
        self.route = route
        self.callbackURL = callbackURL
    }
}

/// What a provider says about one item.
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
    public var providerStatus: String
    public var audioURL: String?
    public var audioHiURL: String?
    public var stemsURL: String?
    public var lyrics: String?
    public var sections: [LyricsSection]
    public var title: String?
    public var duration: Double?
    /// The provider's whole answer for the item.
    public var raw: JSONValue

    public init(phase: Phase, providerStatus: String, raw: JSONValue) {
        self.phase = phase
        self.providerStatus = providerStatus
        self.raw = raw
        sections = []
    }

    public var isFinal: Bool { phase != .working }
}

/// A provider failure, classified for the scheduler.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public var failureClass: TemPolorError.Class
    public var message: String
    /// The provider asks for fewer parallel tasks (400007, HTTP 429).
    public var slowDown: Bool
    /// HTTP 403 on a result URL, or a similar sign that a signed URL expired.
    public var urlExpired: Bool

    public init(_ failureClass: TemPolorError.Class, _ message: String, slowDown: Bool = false, urlExpired: Bool = false) {
        self.failureClass = failureClass
        self.message = message
        self.slowDown = slowDown
        self.urlExpired = urlExpired
    }

    public var description: String { message }
}
