import AsyncHTTPClient
import BatchLedger
public import BatchManifest
public import Foundation
public import ProviderKit

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

        /// The exit code of a run of several manifests: the worst of theirs, in the order one
        /// manifest's own run uses (most urgent first): interrupted (128 + signal), 4 ambiguous
        /// (money needs a decision), 2 invalid (a manifest was skipped or refused), 75 locked
        /// (an output root was busy), 3 budget, 5 deadline, 1 failed, 0.
        public static func worst(_ codes: [Int32]) -> Int32 {
            let order: [Int32] = [ambiguous, invalid, locked, budget, deadline, tasksFailed, success]
            func rank(_ code: Int32) -> Int { code > 128 ? -1 : (order.firstIndex(of: code) ?? 0) }
            return codes.min { rank($0) < rank($1) } ?? success
        }
    }

    /// Runs the graph against any provider: lock, ledger, schedule, report.
    public static func execute(
        _ manifest: Manifest, _ graph: TaskGraph, provider: any GenerationProvider, options: RunOptions, environment: RunEnvironment
    ) async -> RunResult {
        let entry = RunEntry(manifest: manifest, graph: graph, provider: provider, account: "")
        return await executeMany([entry], options: options, environment: environment).runs.first?.result
            ?? RunResult(exitCode: ExitCode.invalid, message: "nothing to run")
    }

    /// Runs several manifests as one run: one lock and ledger per output root, one TaskGroup,
    /// `--max-parallel` and each account's limit shared by all of them, each manifest's own
    /// `concurrency` kept; a report per manifest and, with `summary`, one of the whole run
    /// under each output root's `_reports/`. `skipped` are manifests that did not compile: they
    /// are listed in the summary and count in its exit code.
    public static func executeMany(
        _ entries: [RunEntry], options: RunOptions, environment given: RunEnvironment, skipped: [SkippedManifest] = [], summary: Bool = false
    ) async -> ManyRunResult {
        // Every event carries the time on the run's clock.
        var timed = given
        timed.events = { [events = given.events, clock = given.clock] event in
            var stamped = event
            if stamped.time == nil { stamped.time = clock.now() }
            events(stamped)
        }
        let environment = timed
        let entries = entries.map { entry in
            var reported = entry
            reported.provider = environment.activity.map { ReportedProvider(base: entry.provider, activity: $0) } ?? entry.provider
            return reported
        }
        if options.dryRun {
            let runs = entries.map { entry in
                (entry.manifest.name, dryRun(entry.manifest, entry.graph, provider: entry.provider, options: options,
                                             files: LedgerFiles(root: root(of: entry.manifest, options: options)), environment: environment))
            }
            return ManyRunResult(runs: runs, skipped: skipped)
        }
        let started = environment.clock.now()
        // The top of every chain of controls: a signal or the deadline stops all manifests. It
        // also counts every credit committed, for the progress display.
        let budgetShown = options.budget?.maxCredits
        let nightControl = RunControl(maxCredits: nil) { [events = environment.events, count = entries.count] committed in
            if count > 1 { events(RunEvent(.credits(committed: committed, budget: budgetShown))) }
        }
        var results: [Int: RunResult] = [:]
        var roots: [RootRun] = []
        var prepared: [PreparedRun] = []
        let runLimit = options.maxParallel.map { AdaptiveLimiter(maximum: $0) }
        var accounts: [String: KeySlots] = [:]
        let http = Downloader.makeHTTPClient()
        for (rootURL, members) in groupedByRoot(entries, options: options) {
            let root: RootRun
            switch RootRun.open(rootURL, options: options, parent: nightControl, environment: environment) {
            case .success(let opened): root = opened
            case .failure(let refusal):
                for index in members { results[index] = refusal.result }
                continue
            }
            roots.append(root)
            var plannedUnderRoot = 0.0
            for index in members {
                let entry = entries[index]
                let slots: TaskSlots
                // Every key of the entry's provider has its own limit (`concurrency.tasks` per
                // key); `--max-parallel` bounds the run across all keys and manifests.
                let fingerprints = entry.provider.accounts
                var own = options
                own.maxParallel = nil
                if entries.count == 1 {
                    let perKey = taskLimit(entry.manifest, provider: entry.provider, options: fingerprints.count > 1 ? own : options)
                    slots = TaskSlots(keys: KeySlots(fingerprints: fingerprints, maximum: perKey),
                                      run: fingerprints.count > 1 ? options.maxParallel.map { AdaptiveLimiter(maximum: $0) } : nil)
                } else {
                    // Each manifest keeps its own limit (per key); --max-parallel is the whole run's.
                    let keys = accounts[entry.account] ?? KeySlots(fingerprints: fingerprints, maximum: entry.provider.suggestedConcurrency ?? options.maxParallel ?? 64)
                    accounts[entry.account] = keys
                    let manifestLimit = taskLimit(entry.manifest, provider: entry.provider, options: own) * max(1, fingerprints.count)
                    slots = TaskSlots(manifest: AdaptiveLimiter(maximum: manifestLimit), keys: keys, run: runLimit)
                }
                switch await PreparedRun.make(index: index, entry, root: root, plannedUnderRoot: plannedUnderRoot, slots: slots, http: http, reportsCredits: entries.count == 1,
                                              options: options, environment: environment) {
                case .success(let run):
                    plannedUnderRoot += run.plan.plannedCredits
                    prepared.append(run)
                case .failure(let refusal):
                    results[index] = refusal.result
                }
            }
        }
        if !prepared.isEmpty {
            let scheduler = RunScheduler(parts: prepared.map { RunScheduler.Part(context: $0.context, plan: $0.plan) })
            // Callbacks (`run --listen`) wake every manifest's poller; polling stays the fallback.
            let pollers = prepared.map(\.context.poller)
            let listener = environment.wakeups.map { wakeups in
                Task { for await wakeup in wakeups { for poller in pollers { await poller.wake(wakeup) } } }
            }
            defer { listener?.cancel() }
            let signals: AsyncStream<Int32>? = environment.signals ?? (environment.handleSignals ? SignalWatch.unixSignals() : nil)
            let outcomes = await SignalWatch.run(scheduler, control: nightControl, clock: environment.clock, warn: environment.warn, grace: options.grace,
                                                 signals: signals, deadline: options.deadline)
            for (index, outcome) in outcomes.enumerated() { prepared[index].outcome = outcome }
            // Creates that went ambiguous in this run: at this quiet moment the balance may prove
            // them unpaid; then they (and what waits on them) run in a second pass.
            for root in roots {
                await secondPassAfterBalanceProof(&prepared, root: root, control: nightControl, options: options, environment: environment)
            }
        }
        try? await http.shutdown()
        for run in prepared {
            results[run.index] = await run.finish(options: options, environment: environment, announce: summary ? .note : .finished)
        }
        for root in roots {
            if let run = prepared.last(where: { $0.root === root }), let problem = root.files.keepBackup(of: root.ledger, run: run.runID) {
                environment.warn("could not back up the ledger: \(problem)")
            }
        }
        var many = ManyRunResult(runs: entries.indices.map { (entries[$0].manifest.name, results[$0] ?? RunResult(exitCode: ExitCode.invalid)) },
                                 skipped: skipped)
        if summary {
            many.summaries = NightSummary.write(many, entryRoots: entries.map { root(of: $0.manifest, options: options) }, roots: roots.map(\.root), started: started,
                                               finished: environment.clock.now(), output: environment.warn)
        }
        withExtendedLifetime(roots) {}
        return many
    }

    /// The output root a manifest's run writes under.
    public static func root(of manifest: Manifest, options: RunOptions) -> URL {
        URL(fileURLWithPath: options.outputRoot ?? manifest.output.root, isDirectory: true).standardizedFileURL
    }

    /// Entries by output root, roots in the order their first manifest was given.
    static func groupedByRoot(_ entries: [RunEntry], options: RunOptions) -> [(URL, [Int])] {
        var order: [URL] = []
        var members: [URL: [Int]] = [:]
        for (index, entry) in entries.enumerated() {
            let root = root(of: entry.manifest, options: options)
            if members[root] == nil { order.append(root) }
            members[root, default: []].append(index)
        }
        return order.map { ($0, members[$0] ?? []) }
    }

    /// After the main pass: the balance read now may prove this root's ambiguous creates unpaid
    /// (the proof is ledger-wide); the tasks it releases run in a second pass.
    static func secondPassAfterBalanceProof(
        _ prepared: inout [PreparedRun], root: RootRun, control: RunControl, options: RunOptions, environment: RunEnvironment
    ) async {
        let members = prepared.indices.filter { prepared[$0].root === root && prepared[$0].balanceProof }
        guard let first = members.first, await control.stopReason == nil, (try? root.ledger.balanceProofFigures()) != nil else { return }
        let accounts = Set(members.map { prepared[$0].entry.account })
        guard accounts.count == 1 else {
            environment.warn("balance proof: the manifests under \(root.root.path) use \(accounts.count) accounts; their ambiguous creates stay ambiguous")
            return
        }
        do {
            guard let balance = try await prepared[first].entry.provider.balance() else { return }
            let verdict = BalanceProof.resolve(ledger: root.ledger, balance: balance, run: prepared[first].runID)
            if let note = verdict.note { environment.output(note) }
            guard !verdict.released.isEmpty else { return }
            var parts: [RunScheduler.Part] = []
            for index in members {
                let run = prepared[index]
                let committedSoFar = await run.context.control.committed
                let left = run.budgetLimit.map { $0 - committedSoFar }
                let (again, fresh) = try RunPlan.make(run.entry.manifest, run.entry.graph, ledger: root.ledger, root: root.root,
                                                      options: planOptions(run.entry.manifest, provider: run.entry.provider, options: options, budget: left))
                var second = run.context
                second.records = fresh
                second.consented = again.resubmissions
                parts.append(RunScheduler.Part(context: second, plan: again))
            }
            let watch: AsyncStream<Int32>? = environment.signals == nil && environment.handleSignals ? SignalWatch.unixSignals() : nil
            let outcomes = await SignalWatch.run(RunScheduler(parts: parts), control: control, clock: environment.clock, warn: environment.warn,
                                                 grace: options.grace, signals: watch)
            for (index, outcome) in zip(members, outcomes) { prepared[index].outcome.merge(outcome) }
        } catch {
            environment.warn("balance proof: could not read the balance at the end (\(error)); ambiguous creates stay ambiguous")
        }
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
