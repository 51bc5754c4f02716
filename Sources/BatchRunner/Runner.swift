import AsyncHTTPClient
import BatchLedger
public import BatchManifest
public import Foundation
public import ProviderKit

/// What `run` was asked to do.
public struct RunOptions: Sendable {
    /// Which provider, where, and with whose credentials: read by the command layer
    /// (`ProviderWiring`), which builds the provider this library runs against.
    public var provider: Provider?
    public var baseURL: URL?
    /// Run the manifest's provider against the built-in simulator (no key, no network).
    public var simulate = false
    public var outputRoot: String?
    public var maxParallel: Int?
    public var resubmitAmbiguous = false
    public var retryFailed = false
    public var dryRun = false
    /// Print the dry-run's plan as JSON.
    public var json = false
    /// Submit nothing; fetch what was generated (`verify --repair`).
    public var downloadOnly = false
    /// What to do when the ledger is missing but the library holds paid work.
    public var missingLedger: MissingLedger = .refuse
    /// `--until` / `--for`: past this moment nothing new is submitted; paid-for work is tracked
    /// and filed for up to `grace`, then the run stops.
    public var deadline: Date?
    /// A budget for every manifest under the output root together (`--budget-credits`,
    /// `--budget-per`), beside the manifest's own.
    public var budget: Budget?
    public var credentialsFile: String?
    /// Between status checks; default 5 s, or 100 ms against the embedded simulator.
    public var pollInterval: Duration?
    /// After the first SIGINT/SIGTERM: how long to keep tracking paid-for work before stopping.
    public var grace: Duration = .seconds(30)
    /// How long one run waits for a submitted item before leaving it to the next run.
    public var maxWait: Duration = .seconds(2 * 3600)

    public init() {}
}

/// What the run may touch: the environment (credentials, `${VAR}`), time, randomness, output.
public struct RunEnvironment: Sendable {
    public var variables: [String: String]
    public var clock: any RunnerClock
    public var random: RandomSource
    /// Receives everything the run reports: state changes, notes, credits, download progress,
    /// the summary (see ``RunEvent``).
    public var events: @Sendable (RunEvent) -> Void
    /// Install SIGINT/SIGTERM handlers (the command line does).
    public var handleSignals: Bool
    /// Signal numbers delivered to the run instead of (or without) real handlers: tests send
    /// 2 or 15 here to interrupt a run in-process.
    public var signals: AsyncStream<Int32>?
    /// Told about every provider call and download (a test clock advances only between them).
    public var activity: (any RunActivity)?

    /// A run whose events are rendered as plain lines to `output` (events without a line, such
    /// as download progress, are dropped).
    public init(
        variables: [String: String], clock: any RunnerClock = SystemRunnerClock(), random: RandomSource = RandomSource(seed: UInt64.random(in: 1...UInt64.max)),
        output: @escaping @Sendable (String) -> Void, handleSignals: Bool = false
    ) {
        self.init(variables: variables, clock: clock, random: random, events: { event in event.line.map(output) }, handleSignals: handleSignals)
    }

    public init(
        variables: [String: String], clock: any RunnerClock = SystemRunnerClock(), random: RandomSource = RandomSource(seed: UInt64.random(in: 1...UInt64.max)),
        events: @escaping @Sendable (RunEvent) -> Void, handleSignals: Bool = false
    ) {
        self.variables = variables
        self.clock = clock
        self.random = random
        self.events = events
        self.handleSignals = handleSignals
    }

    /// Reports a note.
    public var output: @Sendable (String) -> Void {
        let events = self.events
        return { events(.note($0)) }
    }

    /// Reports a note the user should see even with `--quiet`.
    public var warn: @Sendable (String) -> Void {
        let events = self.events
        return { events(.note($0, .warning)) }
    }
}

/// A run over a library whose ledger is gone: the library's `metadata.json` files still know
/// every paid task.
public enum MissingLedger: Sendable {
    /// Exit 2 and say what to do (the default: nothing is paid twice by accident).
    case refuse
    /// Rebuild the ledger from the library first (`--rebuild-ledger`).
    case rebuild
    /// Start a new ledger and treat every task as new (`--start-over`): may pay again.
    case startOver
}

public struct RunResult: Sendable {
    public var exitCode: Int32
    public var report: URL?
    public var message: String?

    public init(exitCode: Int32, report: URL? = nil, message: String? = nil) {
        self.exitCode = exitCode
        self.report = report
        self.message = message
    }
}

/// The product's main job: run a manifest's task graph against a provider, resumably, into the
/// output library. See DESIGN.md "The ledger", "Execution" and "Output library". The provider
/// is built by the caller (the command layer); nothing here knows which one it is.
public enum Runner {
    public enum ExitCode {
        public static let success: Int32 = 0
        public static let tasksFailed: Int32 = 1
        public static let invalid: Int32 = 2
        public static let budget: Int32 = 3
        public static let ambiguous: Int32 = 4
        /// Stopped at `--until`/`--for` with paid-for work not yet filed (the next run tracks it).
        public static let deadline: Int32 = 5
        public static let locked: Int32 = 75
    }

    /// Runs the graph against any provider: lock, ledger, schedule, report.
    public static func execute(
        _ manifest: Manifest, _ graph: TaskGraph, provider base: any GenerationProvider, options: RunOptions, environment given: RunEnvironment
    ) async -> RunResult {
        // Every event carries the time on the run's clock.
        var timed = given
        timed.events = { [events = given.events, clock = given.clock] event in
            var stamped = event
            if stamped.time == nil { stamped.time = clock.now() }
            events(stamped)
        }
        let environment = timed
        let provider: any GenerationProvider = environment.activity.map { ReportedProvider(base: base, activity: $0) } ?? base
        let rootPath = options.outputRoot ?? manifest.output.root
        let root = URL(fileURLWithPath: rootPath, isDirectory: true).standardizedFileURL
        let files = LedgerFiles(root: root)
        if options.dryRun {
            return dryRun(manifest, graph, provider: provider, options: options, files: files, environment: environment)
        }
        let lock: RunLock
        do {
            guard let acquired = try RunLock.acquire(at: files.lock) else {
                return lockedResult(root)
            }
            lock = acquired
        } catch {
            return RunResult(exitCode: ExitCode.invalid, message: "cannot create the lock under \(root.path): \(error)")
        }
        defer { withExtendedLifetime(lock) {} }

        let ledger: Ledger
        switch files.openForRun(missing: options.missingLedger, now: { environment.clock.now() }, output: environment.output) {
        case .success(let opened): ledger = opened
        case .failure(let refusal): return RunResult(exitCode: ExitCode.invalid, message: refusal.description)
        }

        let started = environment.clock.now()
        let runID: Int64
        let plan: RunPlan
        let records: [String: TaskRecord]
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
            return RunResult(exitCode: ExitCode.invalid, message: "ledger error: \(error)")
        }
        // The balance proof: read before the first create; earlier ambiguity is judged now.
        let balanceProof = manifest.ambiguity.balanceCheck ? await startBalanceProof(provider: provider, ledger: ledger, run: runID, output: environment.warn) : false
        // What the budgets' windows have spent before this run, from the ledger.
        let standings: [BudgetStanding]
        let budgetLimit: Double?
        do {
            standings = try budgetStandings(manifest, options: options, ledger: ledger, now: started)
            budgetLimit = limit(standings)
            (plan, records) = try RunPlan.make(manifest, graph, ledger: ledger, root: root,
                                               options: planOptions(manifest, provider: provider, options: options, budget: budgetLimit))
        } catch {
            return RunResult(exitCode: ExitCode.invalid, message: "ledger error: \(error)")
        }
        for standing in standings where standing.budget.per != .run { environment.output(standing.summary) }

        // Paid work of an earlier version of this manifest that the current one no longer has.
        let current = Set(graph.tasks.map(\.key.hex))
        let orphans = ((try? ledger.tasks(manifest: manifest.name, states: [.submitted, .running, .succeeded, .partFailed, .ambiguous])) ?? [])
            .filter { !current.contains($0.key) }
        if !orphans.isEmpty {
            environment.warn("note: \(orphans.count) paid task(s) from an earlier version of this manifest are no longer in it and are not tracked by this run (see `tempo-batch status`): "
                + orphans.prefix(5).map { "\($0.job)/\($0.fileStem) \($0.key.prefix(12)) (\($0.state.rawValue))" }.joined(separator: ", "))
        }

        let library = OutputLibrary(root: root)
        let backoff = Backoff(initial: manifest.retry.initial, max: manifest.retry.max)
        let retrying = Retrying(attempts: manifest.retry.attempts, backoff: backoff, clock: environment.clock, random: environment.random)
        let downloads = Downloader.makeHTTPClient()
        let interval = options.pollInterval ?? .seconds(5)
        let context = RunContext(
            manifest: manifest, graph: graph, ledger: ledger, runID: runID, provider: provider,
            poller: StatusPoller(provider: provider, clock: environment.clock, interval: interval, retrying: retrying, maxWait: options.maxWait,
                                 activity: environment.activity),
            taskSlots: AdaptiveLimiter(maximum: taskLimit(manifest, provider: provider, options: options)),
            downloadSlots: AdaptiveLimiter(maximum: manifest.concurrency.downloads),
            control: RunControl(maxCredits: budgetLimit) { [events = environment.events] committed in
                events(RunEvent(.credits(committed: committed, budget: budgetLimit)))
            },
            reconciliations: AdaptiveLimiter(maximum: 1),
            library: library,
            downloader: Downloader(http: downloads, timeout: .seconds(300), activity: environment.activity) { [events = environment.events] url, bytes, total, done in
                events(RunEvent(.download(RunEvent.Download(file: library.relativePath(url), bytes: bytes, total: total, done: done))))
            },
            metadata: MetadataWriter(ledger: ledger, library: library, manifest: manifest.name),
            tagging: TrackTagging(manifest: manifest, graph: graph),
            clock: environment.clock, retrying: retrying.holding(environment.activity), progress: ProgressReporter(manifest: manifest.name, events: environment.events), chains: RunContext.chains(for: graph),
            providerOptions: manifest.providerOptions,
            consented: plan.resubmissions, records: records,
            activity: environment.activity
        )
        environment.events(RunEvent(.started(RunEvent.Start(
            manifest: manifest.name, provider: graph.tasks.first?.request.provider.rawValue ?? manifest.provider.rawValue, tasks: graph.count,
            actions: plan.decisions.values.reduce(into: [:]) { $0[$1.action.rawValue, default: 0] += 1 },
            states: graph.tasks.reduce(into: [:]) { counts, task in counts[records[task.key.hex]?.state.rawValue ?? "new", default: 0] += 1 },
            budget: budgetLimit
        ))))
        let scheduler = RunScheduler(context: context, plan: plan)
        let signals: AsyncStream<Int32>? = environment.signals ?? (environment.handleSignals ? SignalWatch.unixSignals() : nil)
        var outcome = await SignalWatch.run(scheduler, context: context, grace: options.grace, signals: signals, deadline: options.deadline)
        // Creates that went ambiguous in this run: at this quiet moment the balance may prove
        // them unpaid; then they (and what waits on them) run in a second pass.
        if balanceProof, await context.control.stopReason == nil, (try? ledger.balanceProofFigures()) != nil {
            do {
                if let balance = try await provider.balance() {
                    let verdict = BalanceProof.resolve(ledger: ledger, balance: balance, run: runID)
                    if let note = verdict.note { environment.output(note) }
                    if !verdict.released.isEmpty {
                        let committedSoFar = await context.control.committed
                        let left = budgetLimit.map { $0 - committedSoFar }
                        let (again, fresh) = try RunPlan.make(manifest, graph, ledger: ledger, root: root,
                                                              options: planOptions(manifest, provider: provider, options: options, budget: left))
                        var second = context
                        second.records = fresh
                        second.consented = again.resubmissions
                        let watch: AsyncStream<Int32>? = environment.signals == nil && environment.handleSignals ? SignalWatch.unixSignals() : nil
                        outcome.merge(await SignalWatch.run(RunScheduler(context: second, plan: again), context: second, grace: options.grace, signals: watch))
                    }
                }
            } catch {
                environment.warn("balance proof: could not read the balance at the end (\(error)); ambiguous creates stay ambiguous")
            }
        }
        try? await downloads.shutdown()

        // Tasks of a folder may have changed after its last download (a sibling blocked or
        // failed): bring the metadata of every folder this run wrote into up to date.
        for folder in await context.metadata.folders {
            await context.metadata.write(folder: folder)
        }
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
        writePlaylists(graph, filed: outcome, report: reportURL, manifestFolder: library.folder(manifest.name), ledger: ledger, library: library,
                       output: environment.warn)
        try? ledger.finishRun(runID, exitCode: report.exitCode, creditsSpent: committed, report: reportURL.map(library.relativePath))
        if let problem = files.keepBackup(of: ledger, run: runID) { environment.warn("could not back up the ledger: \(problem)") }
        environment.events(RunEvent(.finished(RunEvent.Finish(exitCode: report.exitCode, summary: RunSummary.line(report), report: reportURL?.path))))
        return RunResult(exitCode: report.exitCode, report: reportURL)
    }

    /// The run's playlist beside its report (the tracks it filed), and the manifest's
    /// `playlist.m3u8` of its whole library: rewritten when the run filed anything, or when it
    /// is missing.
    static func writePlaylists(
        _ graph: TaskGraph, filed outcome: RunScheduler.Result, report: URL?, manifestFolder: URL, ledger: Ledger, library: OutputLibrary,
        output: (String) -> Void
    ) {
        let filed = Set(outcome.downloads.values.flatMap { outcome -> [String] in
            if case .downloaded(let paths) = outcome { return paths }
            return []
        })
        do {
            let whole = manifestFolder.appendingPathComponent("playlist.m3u8")
            // The library's tracks are read once; the run's are those among them it filed.
            let rewrite = !filed.isEmpty || !FileManager.default.fileExists(atPath: whole.path)
            let tracks = rewrite ? try Playlist.tracks(of: graph.tasks, ledger: ledger) : []
            if let report {
                try Playlist.write(tracks.filter { filed.contains($0.path) }, to: report.deletingPathExtension().appendingPathExtension("m3u8"), library: library)
            }
            if rewrite { try Playlist.write(tracks, to: whole, library: library) }
        } catch {
            output("could not write the playlists: \(error)")
        }
    }

    /// Reads the balance before the first create and records it; judges ambiguity left by
    /// earlier runs. False when the balance cannot be read (the proof is then off, with a warning).
    static func startBalanceProof(provider: any GenerationProvider, ledger: Ledger, run: Int64, output: (String) -> Void) async -> Bool {
        do {
            guard let balance = try await provider.balance() else {
                output("warning: ambiguity.balance_check is on, but provider \(provider.capabilities.name) has no balance route; the proof is off")
                return false
            }
            try ledger.recordBalanceAtStart(run, balance: balance)
            if let note = BalanceProof.resolve(ledger: ledger, balance: balance, run: run).note { output(note) }
            return true
        } catch {
            output("warning: ambiguity.balance_check: the balance could not be read (\(error)); the proof is off for this run")
            return false
        }
    }

    /// `run --dry-run`: the plan the run would execute, decided the same way, changing nothing.
    static func dryRun(
        _ manifest: Manifest, _ graph: TaskGraph, provider: any GenerationProvider, options: RunOptions, files: LedgerFiles, environment: RunEnvironment
    ) -> RunResult {
        let decisions: RunPlan
        if FileManager.default.fileExists(atPath: files.ledger) {
            do {
                let ledger = try Ledger.openExisting(at: files.ledger, now: { environment.clock.now() })
                let standings = try budgetStandings(manifest, options: options, ledger: ledger, now: environment.clock.now())
                for standing in standings where standing.budget.per != .run { environment.output(standing.summary) }
                decisions = try RunPlan.make(manifest, graph, ledger: ledger, root: files.root,
                                             options: planOptions(manifest, provider: provider, options: options, budget: limit(standings))).0
            } catch {
                return RunResult(exitCode: ExitCode.invalid, message: "\(error)")
            }
        } else {
            let standings = (try? budgetStandings(manifest, options: options, ledger: nil, now: environment.clock.now())) ?? []
            decisions = RunPlan.decide(manifest, graph, records: [:], files: { _ in .missing("no ledger") },
                                       options: planOptions(manifest, provider: provider, options: options, budget: limit(standings)))
        }
        var plan = Planner.plan(manifest, graph: graph, decisions: decisions.decisions)
        plan.outputRoot = files.root.path
        environment.output(options.json ? PlanRenderer.json(plan) : PlanRenderer.text(plan))
        return RunResult(exitCode: ExitCode.success)
    }

    /// What the plan's decisions depend on, from the manifest, the provider and the options.
    static func planOptions(_ manifest: Manifest, provider: any GenerationProvider, options: RunOptions, budget: Double?) -> RunPlan.Options {
        var plan = RunPlan.Options()
        plan.retryFailed = options.retryFailed
        plan.resubmitAmbiguous = options.resubmitAmbiguous || manifest.ambiguity.onAmbiguous == .resubmit
        plan.reconciles = provider.reconcilesLostAnswers
        plan.budget = budget
        plan.downloadOnly = options.downloadOnly
        return plan
    }

    /// The budgets a run of `manifest` answers to (its own, and `--budget-credits` for every
    /// manifest under the root), each with what its window spent before now (nothing for a
    /// per-run budget, and nothing without a ledger).
    static func budgetStandings(_ manifest: Manifest, options: RunOptions, ledger: Ledger?, now: Date) throws -> [BudgetStanding] {
        var standings: [BudgetStanding] = []
        for (budget, name) in [(manifest.budget, Optional(manifest.name)), (options.budget, nil)] {
            guard let budget else { continue }
            let start = budget.windowStart(containing: now)
            let spent = try start.map { try ledger?.creditsCommitted(since: $0, manifest: name) ?? 0 } ?? 0
            standings.append(BudgetStanding(budget: budget, windowStart: start, spent: spent))
        }
        return standings
    }

    /// The same, read from the ledger under `outputRoot` when there is one (`plan`, `status`).
    public static func budgetStandings(_ manifest: Manifest, options: RunOptions, outputRoot: String, now: Date = Date()) throws -> [BudgetStanding] {
        let files = LedgerFiles(root: URL(fileURLWithPath: outputRoot, isDirectory: true).standardizedFileURL)
        let ledger = FileManager.default.fileExists(atPath: files.ledger) ? try Ledger.openExisting(at: files.ledger) : nil
        return try budgetStandings(manifest, options: options, ledger: ledger, now: now)
    }

    /// What this run may commit: the least that any of its budgets has left.
    public static func limit(_ standings: [BudgetStanding]) -> Double? {
        standings.map(\.left).min()
    }

    /// True when another run holds the lock on this output root: checked before anything costly
    /// starts (the embedded simulator); ``execute`` takes the lock itself.
    public static func isLocked(outputRoot: String) -> Bool {
        let path = URL(fileURLWithPath: outputRoot, isDirectory: true).appendingPathComponent(".tempo-batch/lock").path
        do { return try RunLock.acquire(at: path) == nil } catch { return false }
    }

    public static func lockedResult(_ root: URL) -> RunResult {
        RunResult(exitCode: ExitCode.locked, message: "another run holds the lock on \(root.path); try again when it has finished")
    }

    /// `--max-parallel`, else the manifest's `concurrency.tasks` when written, else where the
    /// provider suggests starting (useapi: `max_jobs`), else the default.
    static func taskLimit(_ manifest: Manifest, provider: any GenerationProvider, options: RunOptions) -> Int {
        if let limit = options.maxParallel { return limit }
        if manifest.concurrency.tasksWritten { return manifest.concurrency.tasks }
        return provider.suggestedConcurrency ?? manifest.concurrency.tasks
    }
}
