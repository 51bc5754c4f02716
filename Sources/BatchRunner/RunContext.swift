import BatchLedger
import BatchManifest
import Foundation
import ProviderKit

/// Everything the tasks of one run share. Immutable; the mutable parts are actors.
struct RunContext: Sendable {
    let manifest: Manifest
    let graph: TaskGraph
    let ledger: Ledger
    let runID: Int64
    let provider: any GenerationProvider
    let poller: StatusPoller
    let taskSlots: TaskSlots
    let downloadSlots: AdaptiveLimiter
    let control: RunControl
    /// One reconciliation at a time, so two tasks never adopt the same item.
    let reconciliations: AdaptiveLimiter
    let library: OutputLibrary
    let downloader: Downloader
    let metadata: MetadataWriter
    /// What goes into the audio files' tags.
    let tagging: TrackTagging
    let clock: any RunnerClock
    /// Backoff, attempts and retries of idempotent provider calls; sleeps give the task's
    /// activity back.
    let retrying: Retrying
    let progress: ProgressReporter
    /// The main kind of every task's chain (extends and stems of a chain inherit their
    /// parent's), so the provider knows how to check on an item.
    let chains: [TaskKey: TaskKind]
    /// The manifest's options for its provider (useapi `user_id`, `max_jobs`).
    let providerOptions: [String: String]
    /// The run's own callback URL (`--listen --callback-url`), else the placeholder.
    let callbackURL: String
    /// Ambiguous tasks the user consented, for this run, to pay again for (the plan's resubmits).
    var consented: Set<TaskKey>
    /// What the ledger held for every task when the run was planned (task heads: see
    /// ``Ledger/taskHeads(keys:)``).
    var records: [String: TaskRecord]
    /// Hears when the run's tasks are at work and when they only wait (a test clock advances
    /// only while every task waits); nil in production.
    let activity: (any RunActivity)?
    /// Sent when the manifest names no `callback_url`: the API requires one, and `.invalid`
    /// never resolves, so nobody receives it. Polling is the source of truth either way.
    static let placeholderCallbackURL = "https://callbacks.invalid/tempo-batch"

    /// Attempts per call, the first included (`retry.attempts`).
    var attempts: Int { retrying.attempts }

    /// Sleeps for the backoff of `attempt`; false when the run was cancelled meanwhile.
    func pause(attempt: Int, retryAfter: Double?) async -> Bool {
        await retrying.pause(attempt: attempt, retryAfter: retryAfter)
    }

    /// Runs the work of a task (generation or download): the task counts as at work until it
    /// returns, except while it waits in ``idle(_:)``.
    func working<T>(_ work: () async -> T) async -> T {
        activity?.begin()
        defer { activity?.end() }
        return await work()
    }

    /// Waits for another task, a slot or the clock: meanwhile this task is not at work.
    func idle<T>(_ wait: () async throws -> T) async rethrows -> T {
        activity?.end()
        defer { activity?.begin() }
        return try await wait()
    }

    /// A reference to the item a task made with the key `account` (the record's).
    func ref(_ task: GraphTask, itemID: String, account: String?) -> ItemRef {
        ItemRef(id: itemID, kind: task.kind, chain: chains[task.key], account: account)
    }

    static func chains(for graph: TaskGraph) -> [TaskKey: TaskKind] {
        var chains: [TaskKey: TaskKind] = [:]
        for task in graph.tasks {
            switch task.kind {
            case .extend: chains[task.key] = task.parents.first.flatMap { chains[$0] } ?? .song
            case .stems: chains[task.key] = task.parents.first.flatMap { chains[$0] } ?? .stems
            case .midi: chains[task.key] = task.parents.first.flatMap { chains[$0] } ?? .midi
            // A cover is a song (lyrics, timings), whatever it covers.
            case .cover: chains[task.key] = .song
            default: chains[task.key] = task.kind
            }
        }
        return chains
    }
}

/// Reports state changes and notes as ``RunEvent``s; a plain rendering is one line per change,
/// e.g. `owl-waltz/Pop-v1 song c639b1d0dc46: submitting → submitted (item song_1f)`.
struct ProgressReporter: Sendable {
    let manifest: String
    let events: @Sendable (RunEvent) -> Void

    func transition(_ task: GraphTask, _ from: TaskState?, _ to: TaskState, _ detail: String? = nil) {
        events(RunEvent(.transition(RunEvent.Change(
            manifest: manifest, job: task.job, folder: task.output, file: task.fileStem, key: task.key.hex, kind: task.kind.rawValue,
            from: from?.rawValue, to: to.rawValue, detail: detail
        ))))
    }

    func note(_ text: String) { events(.note(text)) }

    /// A note the user should see even with `--quiet`.
    func warn(_ text: String) { events(.note(text, .warning)) }
}
