public import BatchManifest

/// The seam between the runner and a provider. The runner speaks only these types; a provider
/// is one module (its wire types, client, error mapping, status grouping, file resolution and
/// capabilities) that conforms to this protocol, and nothing in the scheduler changes per provider.
public protocol GenerationProvider: Sendable {
    /// What this provider can do; `validate` and `plan` enforce it before anything is paid.
    var capabilities: ProviderCapabilities { get }

    /// Where to start the task limit when neither the manifest nor `--max-parallel` says
    /// (useapi: the account's `max_jobs`); nil for the runner's default.
    var suggestedConcurrency: Int? { get }

    /// Creates the work a submission describes and answers references to what was created (one
    /// in practice; the first is the task's). Throws a classified ``ProviderError``.
    func submit(_ submission: Submission) async throws(ProviderError) -> [ItemRef]

    /// Splits items into the groups that one status call can answer (TemPolor: up to 10 ids of
    /// one query route; useapi: one job per call). Order within a group is kept.
    func statusGroups(_ refs: [ItemRef]) -> [[ItemRef]]

    /// The current state of the items of one group, keyed by item id. An item missing from the
    /// answer is asked about again later.
    func status(_ group: [ItemRef]) async throws(ProviderError) -> [String: ItemReport]

    /// Where to fetch one file of a finished item. `report` is what the runner last recorded;
    /// `stale` says the last URL failed or expired, so a fresh one is needed (TemPolor: query
    /// again; useapi: ask the download route). The answer may carry a newer report to record.
    func location(of file: FileRole, for ref: ItemRef, report: ItemReport, stale: Bool) async throws(ProviderError) -> FileLocation

    /// Whether ``reconcile(_:sentAfter:excluding:)`` can find anything: the runner skips the
    /// look-up (and the ledger read it needs) for providers that cannot.
    var reconcilesLostAnswers: Bool { get }

    /// Looks for the work a create whose answer was lost may have made, by the submission's
    /// ``Submission/reference`` and content, never adopting an id in `known`. Answers the items
    /// found, or proof that none was made; nil when there is no evidence either way (the runner
    /// then leaves the task ambiguous for a human to decide).
    func reconcile(_ submission: Submission, sentAfter: Double, excluding known: Set<String>) async throws(ProviderError) -> Reconciliation?

    /// The account's remaining balance, when the provider has a balance route.
    func balance() async throws(ProviderError) -> Double?

    /// The fingerprints of the keys this provider creates with (``KeyPoolProvider``): a
    /// submission names one in ``Submission/account``. Empty: one key, never named.
    var accounts: [String] { get }
}

extension GenerationProvider {
    public var suggestedConcurrency: Int? { nil }

    public var reconcilesLostAnswers: Bool { false }

    public func reconcile(_ submission: Submission, sentAfter: Double, excluding known: Set<String>) async throws(ProviderError) -> Reconciliation? { nil }

    public func balance() async throws(ProviderError) -> Double? { nil }

    public var accounts: [String] { [] }
}

/// A reference to one item at the provider, with what the runner knows of the task that made it,
/// so the provider can decide how to check on it (TemPolor queries extends through their
/// chain's route; useapi polls each job on its own).
public struct ItemRef: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The provider's id: a TemPolor `item_id`, a useapi `job_id`.
    public var id: String
    /// The kind of the task that made it.
    public var kind: TaskKind
    /// The chain's main kind (song or instrumental) for extends and stems of a chain; the task's
    /// own kind otherwise.
    public var chain: TaskKind
    /// The fingerprint of the key that created the item (``KeyFingerprint``), which alone can
    /// see it; nil: the pool's first key (items recorded before keys were).
    public var account: String?

    public init(id: String, kind: TaskKind, chain: TaskKind? = nil, account: String? = nil) {
        self.id = id
        self.kind = kind
        self.chain = chain ?? kind
        self.account = account
    }

    public var description: String { id }
}

/// Evidence about what a create whose answer was lost did: the items it made, or (`refs`
/// empty) that it made none, so sending it again cannot pay twice.
public struct Reconciliation: Sendable, Equatable {
    public var refs: [ItemRef]
    /// Which evidence was used, for the ledger's event and the report (e.g. "replyRef in the
    /// scheduler's executing jobs").
    public var evidence: String

    public init(refs: [ItemRef], evidence: String) {
        self.refs = refs
        self.evidence = evidence
    }

    /// The provider's records show that nothing was created.
    public static func nothingCreated(_ evidence: String) -> Reconciliation { Reconciliation(refs: [], evidence: evidence) }

    public var createdNothing: Bool { refs.isEmpty }
}
