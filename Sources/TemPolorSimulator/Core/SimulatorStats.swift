/// What `GET /_sim/stats` answers: enough for a test to prove nothing was paid for twice.
public struct SimulatorStats: Codable, Sendable, Equatable {
    /// Calls per path (downloads counted under `/files`, useapi routes with a job id under
    /// their pattern, such as `/v1/tempolor/music/{job}`).
    public var requests: [String: Int] = [:]
    /// Create calls that produced a billed task.
    public var acceptedCreatesTotal = 0
    /// The same, per kind: song, instrumental, extend, lyrics, stems, cover, midi.
    public var acceptedCreates: [String: Int] = [:]
    /// Billed creates whose answer fault injection dropped.
    public var lostAnswerCreates = 0
    /// Jobs created through the useapi.net routes (also counted in the two above).
    public var useapiJobsCreated = 0
    /// Further items made by creates that answer several (not billed, not counted above).
    public var twinItems = 0
    /// The most unfinished items one credential had at once (counted as each create is
    /// admitted): a client that keeps its limits never goes past it.
    public var peakUnfinished = 0
    /// Per Open API key (`primary`, `key-2`, …): the most unfinished items it had at once,
    /// and the billed creates it made.
    public var peakUnfinishedByKey: [String: Int] = [:]
    public var acceptedCreatesByKey: [String: Int] = [:]
    public var queryCalls = 0
    public var queryItemIDsMax = 0
    /// Items an Open API query showed final, and the seconds between each one's final moment
    /// and that query, summed (at the simulator's time scale).
    public var noticedFinal = 0
    public var noticeLagSeconds = 0.0
    /// Creates made into a slot a query had shown free (one of the credential's items final),
    /// and the seconds from that showing to the create, summed: how fast the client reacts.
    public var reactions = 0
    public var reactionSeconds = 0.0
    /// The provider's busy time: every billed item's creation to its final moment, summed;
    /// and the span from the first creation to the last final moment (seconds, time-scaled).
    public var busySeconds = 0.0
    public var spanSeconds = 0.0
    /// The span's ends on the system clock (seconds since 1970), so that a client in another
    /// process can tell its own start-up and tail from the provider's span; nil with no item.
    public var firstCreatedAt: Double?
    public var lastFinalAt: Double?
    public var downloads = 0
    public var faultsInjected: [String: Int] = [:]
    public var callbackAttempts = 0
    public var callbacksDelivered = 0
    public var balance = 0.0
    /// What each further key's account has left (`key-2`, …).
    public var keyBalances: [String: Double] = [:]

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case requests
        case acceptedCreatesTotal = "accepted_creates_total"
        case acceptedCreates = "accepted_creates"
        case lostAnswerCreates = "lost_answer_creates"
        case useapiJobsCreated = "useapi_jobs_created"
        case twinItems = "twin_items"
        case peakUnfinished = "peak_unfinished"
        case peakUnfinishedByKey = "peak_unfinished_by_key"
        case acceptedCreatesByKey = "accepted_creates_by_key"
        case queryCalls = "query_calls"
        case queryItemIDsMax = "query_item_ids_max"
        case noticedFinal = "noticed_final"
        case noticeLagSeconds = "notice_lag_seconds"
        case reactions
        case reactionSeconds = "reaction_seconds"
        case busySeconds = "busy_seconds"
        case spanSeconds = "span_seconds"
        case firstCreatedAt = "first_created_at"
        case lastFinalAt = "last_final_at"
        case downloads
        case faultsInjected = "faults_injected"
        case callbackAttempts = "callback_attempts"
        case callbacksDelivered = "callbacks_delivered"
        case balance
        case keyBalances = "key_balances"
    }
}
