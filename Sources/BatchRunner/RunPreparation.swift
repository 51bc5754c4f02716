import AsyncHTTPClient
import BatchLedger
public import BatchManifest
import Foundation
public import ProviderKit

/// One manifest of a run: compiled, with the provider it runs against.
public struct RunEntry: Sendable {
    public var manifest: Manifest
    public var graph: TaskGraph
    public var provider: any GenerationProvider
    /// Entries with the same account (API, base URL and credentials) share that account's
    /// adaptive limit on tasks at the provider.
    public var account: String

    public init(manifest: Manifest, graph: TaskGraph, provider: any GenerationProvider, account: String) {
        self.manifest = manifest
        self.graph = graph
        self.provider = provider
        self.account = account
    }
}

/// A manifest that was not run because it has errors (its diagnostics were reported).
public struct SkippedManifest: Sendable, Equatable {
    public var file: String
    public var errors: Int

    public init(file: String, errors: Int) {
        self.file = file
        self.errors = errors
    }
}

/// Why a manifest (or every manifest under an output root) does not run: its result.
struct RunRefusal: Error {
    let result: RunResult
    init(_ result: RunResult) { self.result = result }
}

/// One output root of a run: held under its lock, with its ledger and the budget of every
/// manifest under it (`--budget-credits`).
final class RootRun: Sendable {
    let root: URL
    let files: LedgerFiles
    let ledger: Ledger
    let lock: RunLock
    /// Under the run's control; holds `--budget-credits`' window's left.
    let control: RunControl
    let standing: BudgetStanding?

    private init(root: URL, files: LedgerFiles, ledger: Ledger, lock: RunLock, control: RunControl, standing: BudgetStanding?) {
        self.root = root
        self.files = files
        self.ledger = ledger
        self.lock = lock
        self.control = control
        self.standing = standing
    }

    /// Takes the root's lock and opens its ledger; the failure is every manifest's result.
    static func open(_ root: URL, options: RunOptions, parent: RunControl, environment: RunEnvironment) -> Result<RootRun, RunRefusal> {
        let files = LedgerFiles(root: root)
        let lock: RunLock
        do {
            guard let acquired = try RunLock.acquire(at: files.lock) else { return .failure(RunRefusal(Runner.lockedResult(root))) }
            lock = acquired
        } catch {
            return .failure(RunRefusal(RunResult(exitCode: Runner.ExitCode.invalid, message: "cannot create the lock under \(root.path): \(error)")))
        }
        let ledger: Ledger
        switch files.openForRun(missing: options.missingLedger, now: { environment.clock.now() }, output: environment.output) {
        case .success(let opened): ledger = opened
        case .failure(let refusal): return .failure(RunRefusal(RunResult(exitCode: Runner.ExitCode.invalid, message: refusal.description)))
        }
        var standing: BudgetStanding?
        if let budget = options.budget {
            let now = environment.clock.now()
            let start = budget.windowStart(containing: now)
            do {
                standing = BudgetStanding(budget: budget, windowStart: start, spent: try start.map { try ledger.creditsCommitted(since: $0, manifest: nil) } ?? 0)
            } catch {
                return .failure(RunRefusal(RunResult(exitCode: Runner.ExitCode.invalid, message: "ledger error: \(error)")))
            }
        }
        if let standing, standing.budget.per != .run { environment.output("\(root.path): \(standing.summary)") }
        let control = RunControl(maxCredits: standing?.left, parent: parent)
        return .success(RootRun(root: root, files: files, ledger: ledger, lock: lock, control: control, standing: standing))
    }
}

/// One manifest's part of a run, from its plan to its report.
struct PreparedRun: Sendable {
    enum Announcement {
        /// The run's own `finished` event (a run of one manifest).
        case finished
        /// A note with the manifest's summary (one manifest of several).
        case note
    }

    let index: Int
    let entry: RunEntry
    let root: RootRun
    let runID: Int64
    let started: Date
    let plan: RunPlan
    let records: [String: TaskRecord]
    let standings: [BudgetStanding]
    /// The least that the manifest's budgets have left at the start (nil: no budget).
    let budgetLimit: Double?
    let balanceProof: Bool
    let context: RunContext
    var outcome = RunScheduler.Result()

    /// Registers the manifest's tasks, begins its run in the ledger, judges earlier ambiguity
    /// and makes the plan. `reportsCredits`: its own commitments are the run's credits events (a
    /// run of one manifest). `plannedUnderRoot`: credits that manifests before it under the same
    /// root plan to commit, so that their shared budget is planned once.
    static func make(
        index: Int, _ entry: RunEntry, root: RootRun, plannedUnderRoot: Double, slots: TaskSlots, http: HTTPClient, reportsCredits: Bool,
        options: RunOptions, environment: RunEnvironment
    ) async -> Result<PreparedRun, RunRefusal> {
        let manifest = entry.manifest, graph = entry.graph, provider = entry.provider, ledger = root.ledger
        let started = environment.clock.now()
        let runID: Int64
        do {
            try ledger.register(graph.tasks.map { task in
                TaskRecord(key: task.key.hex, manifest: manifest.name, job: task.job, kind: task.kind.rawValue, output: task.output,
                           fileStem: task.fileStem, request: RequestText.json(task.request), parents: task.parents.map(\.hex),
                           provider: task.request.provider.rawValue, cost: manifest.pricing.price(of: task.request), now: started)
            })
            runID = try ledger.beginRun(manifest: manifest.name)
            for task in try ledger.markInterruptedSubmissionsAmbiguous(run: runID) {
                environment.warn("\(task.output) \(task.fileStem) \(task.key.prefix(12)): found in submitting at start-up → ambiguous (the create call may have been paid for)")
            }
        } catch {
            return .failure(RunRefusal(RunResult(exitCode: Runner.ExitCode.invalid, message: "ledger error: \(error)")))
        }
        // The balance proof: read before the first create; earlier ambiguity is judged now.
        let balanceProof = manifest.ambiguity.balanceCheck
            ? await Runner.startBalanceProof(provider: provider, ledger: ledger, run: runID, output: environment.warn) : false
        // What the budgets' windows have spent before this run, from the ledger.
        var standings: [BudgetStanding] = [], ownStandings: [BudgetStanding] = []
        let plan: RunPlan, records: [String: TaskRecord]
        let budgetLimit: Double?
        do {
            var own = options
            own.budget = nil
            ownStandings = try Runner.budgetStandings(manifest, options: own, ledger: ledger, now: started)
            standings = ownStandings
            if var shared = root.standing {
                shared.spent += plannedUnderRoot
                standings.append(shared)
            }
            budgetLimit = Runner.limit(standings)
            (plan, records) = try RunPlan.make(manifest, graph, ledger: ledger, root: root.root,
                                               options: Runner.planOptions(manifest, provider: provider, options: options, budget: budgetLimit))
        } catch {
            return .failure(RunRefusal(RunResult(exitCode: Runner.ExitCode.invalid, message: "ledger error: \(error)")))
        }
        for standing in ownStandings where standing.budget.per != .run { environment.output("\(manifest.name): \(standing.summary)") }

        // Paid work of an earlier version of this manifest that the current one no longer has.
        let current = Set(graph.tasks.map(\.key.hex))
        let orphans = ((try? ledger.tasks(manifest: manifest.name, states: [.submitted, .running, .succeeded, .partFailed, .ambiguous])) ?? [])
            .filter { !current.contains($0.key) }
        if !orphans.isEmpty {
            environment.warn("note: \(orphans.count) paid task(s) from an earlier version of this manifest are no longer in it and are not tracked by this run (see `tempo-batch status`): "
                + orphans.prefix(5).map { "\($0.job)/\($0.fileStem) \($0.key.prefix(12)) (\($0.state.rawValue))" }.joined(separator: ", "))
        }

        let library = OutputLibrary(root: root.root)
        let backoff = Backoff(initial: manifest.retry.initial, max: manifest.retry.max)
        let retrying = Retrying(attempts: manifest.retry.attempts, backoff: backoff, clock: environment.clock, random: environment.random)
        let interval = options.pollInterval ?? .seconds(5)
        let context = RunContext(
            manifest: manifest, graph: graph, ledger: ledger, runID: runID, provider: provider,
            poller: StatusPoller(provider: provider, clock: environment.clock, interval: interval, retrying: retrying, maxWait: options.maxWait,
                                 timing: options.pollTiming, activity: environment.activity),
            taskSlots: slots,
            downloadSlots: AdaptiveLimiter(maximum: manifest.concurrency.downloads),
            control: RunControl(maxCredits: Runner.limit(ownStandings), parent: root.control) { [events = environment.events] committed in
                if reportsCredits { events(RunEvent(.credits(committed: committed, budget: budgetLimit))) }
            },
            reconciliations: AdaptiveLimiter(maximum: 1),
            library: library,
            downloader: Downloader(http: http, timeout: .seconds(300), activity: environment.activity) { [events = environment.events] url, bytes, total, done in
                events(RunEvent(.download(RunEvent.Download(file: library.relativePath(url), bytes: bytes, total: total, done: done))))
            },
            metadata: MetadataWriter(ledger: ledger, library: library, manifest: manifest.name),
            tagging: TrackTagging(manifest: manifest, graph: graph),
            clock: environment.clock, retrying: retrying.holding(environment.activity), progress: ProgressReporter(manifest: manifest.name, events: environment.events),
            chains: RunContext.chains(for: graph),
            providerOptions: manifest.providerOptions,
            callbackURL: options.callbackURL ?? RunContext.placeholderCallbackURL,
            consented: plan.resubmissions, records: records,
            activity: environment.activity
        )
        environment.events(RunEvent(.started(RunEvent.Start(
            manifest: manifest.name, provider: graph.tasks.first?.request.provider.rawValue ?? manifest.provider.rawValue, tasks: graph.count,
            actions: plan.decisions.values.reduce(into: [:]) { $0[$1.action.rawValue, default: 0] += 1 },
            states: graph.tasks.reduce(into: [:]) { counts, task in counts[records[task.key.hex]?.state.rawValue ?? "new", default: 0] += 1 },
            budget: budgetLimit
        ))))
        return .success(PreparedRun(index: index, entry: entry, root: root, runID: runID, started: started, plan: plan, records: records,
                                    standings: standings, budgetLimit: budgetLimit, balanceProof: balanceProof,
                                    context: context))
    }

    /// Metadata, the report, the playlists and the ledger's run record; announces the summary.
    func finish(options: RunOptions, environment: RunEnvironment, announce: Announcement) async -> RunResult {
        let manifest = entry.manifest, graph = entry.graph, ledger = root.ledger, library = context.library
        // Tasks of a folder may have changed after its last download (a sibling blocked or
        // failed): bring the metadata of every folder this run wrote into up to date.
        await context.metadata.refreshAll()
        var stop = await context.control.stopReason
        let overBudget = graph.tasks.filter { plan[$0.key]?.action == .overBudget }.count
        if stop == nil, overBudget > 0, let budget = budgetLimit {
            let which = standings.contains { $0.budget.per != .run } ? "what is left of the budget (\(standings.map(\.summary).joined(separator: "; ")))"
                : "the budget of \(budget.plainText) credits"
            stop = .budget("\(overBudget) task(s) did not fit in \(which) and were not submitted")
        }
        let committed = await context.control.committed
        let report = RunSummary.report(manifest: manifest, graph: graph, ledger: ledger, result: outcome, run: runID, started: started,
                                       finished: environment.clock.now(), stop: stop, committed: committed,
                                       provider: graph.tasks.first?.request.provider.rawValue ?? manifest.provider.rawValue,
                                       untouched: records.filter { plan[TaskKey(hex: $0.key)]?.action == .skip })
        var reportURL: URL?
        do {
            reportURL = try report.write(under: library.folder(manifest.name).appendingPathComponent("_reports", isDirectory: true))
        } catch {
            environment.warn("could not write the run report: \(error)")
        }
        Runner.writePlaylists(graph, filed: outcome, report: reportURL, manifestFolder: library.folder(manifest.name), ledger: ledger, library: library,
                              output: environment.warn)
        try? ledger.finishRun(runID, exitCode: report.exitCode, creditsSpent: committed, report: reportURL.map(library.relativePath))
        let finish = RunEvent.Finish(exitCode: report.exitCode, summary: RunSummary.line(report), report: reportURL?.path)
        switch announce {
        case .finished:
            environment.events(RunEvent(.finished(finish)))
        case .note:
            environment.events(.note("\(manifest.name): \(finish.summary)" + (finish.report.map { "; report: \($0)" } ?? ""),
                                     report.exitCode == 0 ? .info : .warning))
        }
        return RunResult(exitCode: report.exitCode, report: reportURL)
    }
}
