public import AsyncHTTPClient
import BatchLedger
public import BatchManifest
public import Foundation
import TemPolorClient
public import TemPolorSimulator
import UnixSignals

/// What `run` was asked to do.
public struct RunOptions: Sendable {
    public var provider: Provider?
    public var baseURL: URL?
    public var outputRoot: String?
    public var maxParallel: Int?
    public var resubmitAmbiguous = false
    public var retryFailed = false
    public var dryRun = false
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
    /// Receives progress lines (one per state change) and the summary.
    public var output: @Sendable (String) -> Void
    /// Install SIGINT/SIGTERM handlers (the command line does; tests cancel instead).
    public var handleSignals: Bool
    /// The embedded simulator's settings (`provider: simulator`).
    public var simulator: SimulatorConfiguration
    public var simulatorClock: any SimulatorClock

    public init(
        variables: [String: String], clock: any RunnerClock = SystemRunnerClock(), random: RandomSource = RandomSource(seed: UInt64.random(in: 1...UInt64.max)),
        output: @escaping @Sendable (String) -> Void, handleSignals: Bool = false
    ) {
        self.variables = variables
        self.clock = clock
        self.random = random
        self.output = output
        self.handleSignals = handleSignals
        var simulator = SimulatorConfiguration()
        simulator.timeScale = 0.01
        self.simulator = simulator
        simulatorClock = SystemSimulatorClock()
    }
}

public struct RunResult: Sendable {
    public var exitCode: Int32
    public var report: URL?
    public var message: String?
}

/// The product's main job: run a manifest's task graph against a provider, resumably, into the
/// output library. See DESIGN.md "The ledger", "Execution" and "Output library".
public enum Runner {
    public enum ExitCode {
        public static let success: Int32 = 0
        public static let tasksFailed: Int32 = 1
        public static let invalid: Int32 = 2
        public static let budget: Int32 = 3
        public static let ambiguous: Int32 = 4
        public static let locked: Int32 = 75
    }

    public static func run(manifest path: String, options: RunOptions, environment: RunEnvironment) async -> RunResult {
        let compilation = ManifestCompiler.compile(contentsOf: path, environment: environment.variables, provider: options.provider)
        for diagnostic in compilation.diagnostics { environment.output(diagnostic.description) }
        guard let manifest = compilation.manifest, let graph = compilation.graph else {
            return RunResult(exitCode: ExitCode.invalid, message: "the manifest has errors")
        }
        let provider = options.provider ?? manifest.provider
        do {
            switch provider {
            case .simulator:
                // The embedded simulator keeps its items beside the ledger, so an interrupted
                // rehearsal resumes against a simulator that still knows what was submitted.
                var configuration = environment.simulator
                let root = URL(fileURLWithPath: options.outputRoot ?? manifest.output.root, isDirectory: true)
                configuration.stateFile = configuration.stateFile ?? root.appendingPathComponent(".tempo-batch/simulator-state.json")
                let simulator = TemPolorSimulator(configuration: configuration, clock: environment.simulatorClock)
                return try await simulator.withRunning { url in
                    environment.output("Running against the built-in simulator at \(url.absoluteString) (time scale \(environment.simulator.timeScale)); nothing is paid.")
                    var options = options
                    if options.pollInterval == nil { options.pollInterval = .milliseconds(100) }
                    return await runAgainstTemPolor(manifest, graph, options: options, environment: environment,
                                                    baseURL: url, key: APIKey(environment.simulator.apiKey))
                }
            case .tempolor:
                let key = try Credentials.value("TEMPOLOR_API_KEY", environment: environment.variables, file: options.credentialsFile)
                let base = options.baseURL
                    ?? environment.variables["TEMPOLOR_BASE_URL"].flatMap(URL.init(string:))
                    ?? URL(string: "https://api.tempolor.com")
                guard let base else { return RunResult(exitCode: ExitCode.invalid, message: "the base URL is not a URL") }
                return await runAgainstTemPolor(manifest, graph, options: options, environment: environment, baseURL: base, key: APIKey(key))
            case .useapi:
                return RunResult(exitCode: ExitCode.invalid, message: "provider useapi is not supported by this release yet; use tempolor or simulator")
            }
        } catch {
            return RunResult(exitCode: ExitCode.invalid, message: "\(error)")
        }
    }

    private static func runAgainstTemPolor(
        _ manifest: Manifest, _ graph: TaskGraph, options: RunOptions, environment: RunEnvironment, baseURL: URL, key: APIKey
    ) async -> RunResult {
        let http = TemPolorClient.makeHTTPClient()
        let provider = TemPolorProvider(client: TemPolorClient(baseURL: baseURL, key: key, http: http))
        let redactor = Redactor(secrets: [key.value])
        var environment = environment
        let output = environment.output
        environment.output = { output(redactor.clean($0)) }
        let result = await execute(manifest, graph, provider: provider, http: http, options: options, environment: environment)
        try? await http.shutdown()
        return RunResult(exitCode: result.exitCode, report: result.report, message: result.message.map(redactor.clean))
    }

    /// Runs the graph against any provider: lock, ledger, schedule, report.
    public static func execute(
        _ manifest: Manifest, _ graph: TaskGraph, provider: any GenerationProvider, http: HTTPClient,
        options: RunOptions, environment: RunEnvironment
    ) async -> RunResult {
        let rootPath = options.outputRoot ?? manifest.output.root
        let root = URL(fileURLWithPath: rootPath, isDirectory: true).standardizedFileURL
        let stateFolder = root.appendingPathComponent(".tempo-batch", isDirectory: true)
        let ledger: Ledger
        do {
            ledger = try Ledger.open(at: stateFolder.appendingPathComponent("ledger.sqlite").path, now: { environment.clock.now() })
        } catch {
            return RunResult(exitCode: ExitCode.invalid, message: "cannot open the ledger under \(root.path): \(error)")
        }
        if options.dryRun {
            let plan = DryRun.plan(manifest, graph, ledger: ledger)
            environment.output(PlanRenderer.text(plan))
            return RunResult(exitCode: ExitCode.success)
        }
        let lock: RunLock
        do {
            guard let acquired = try RunLock.acquire(at: stateFolder.appendingPathComponent("lock").path) else {
                return RunResult(exitCode: ExitCode.locked, message: "another run holds the lock on \(root.path); try again when it has finished")
            }
            lock = acquired
        } catch {
            return RunResult(exitCode: ExitCode.invalid, message: "cannot create the lock under \(root.path): \(error)")
        }
        defer { withExtendedLifetime(lock) {} }

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
                environment.output("\(task.output) \(task.fileStem) \(task.key.prefix(12)): found in submitting at start-up → ambiguous (the create call may have been paid for)")
            }
        } catch {
            return RunResult(exitCode: ExitCode.invalid, message: "ledger error: \(error)")
        }

        // Paid work of an earlier version of this manifest that the current one no longer has.
        let current = Set(graph.tasks.map(\.key.hex))
        let orphans = ((try? ledger.allTasks(manifest: manifest.name)) ?? []).filter {
            !current.contains($0.key) && ($0.state.isInFlight || $0.state == .succeeded || $0.state == .partFailed || $0.state == .ambiguous)
        }
        if !orphans.isEmpty {
            environment.output("note: \(orphans.count) paid task(s) from an earlier version of this manifest are no longer in it and are not tracked by this run (see `tempo-batch status`): "
                + orphans.prefix(5).map { "\($0.job)/\($0.fileStem) \($0.key.prefix(12)) (\($0.state.rawValue))" }.joined(separator: ", "))
        }

        let library = OutputLibrary(root: root)
        let backoff = Backoff(initial: manifest.retry.initial, max: manifest.retry.max)
        let downloads = Downloader.makeHTTPClient()
        let interval = options.pollInterval ?? .seconds(5)
        let context = RunContext(
            manifest: manifest, graph: graph, ledger: ledger, runID: runID, provider: provider,
            poller: StatusPoller(provider: provider, clock: environment.clock, interval: interval, backoff: backoff,
                                 random: environment.random, attempts: manifest.retry.attempts, maxWait: options.maxWait),
            taskSlots: AdaptiveLimiter(maximum: options.maxParallel ?? manifest.concurrency.tasks),
            downloadSlots: AdaptiveLimiter(maximum: manifest.concurrency.downloads),
            control: RunControl(maxCredits: manifest.budget?.maxCredits),
            library: library, downloader: Downloader(http: downloads, timeout: .seconds(300)),
            metadata: MetadataWriter(ledger: ledger, library: library, manifest: manifest.name),
            clock: environment.clock, random: environment.random, backoff: backoff, attempts: manifest.retry.attempts,
            progress: ProgressReporter(write: environment.output), routes: RunContext.routes(for: graph),
            resubmitAmbiguous: options.resubmitAmbiguous
        )
        let scheduler = RunScheduler(context: context, resubmitAmbiguous: options.resubmitAmbiguous, retryFailed: options.retryFailed)
        let outcome = await runWithSignals(scheduler, context: context, grace: options.grace, handleSignals: environment.handleSignals)
        try? await downloads.shutdown()

        // Tasks of a folder may have changed after its last download (a sibling blocked or
        // failed): bring the metadata of every folder this run wrote into up to date.
        for folder in await context.metadata.folders {
            await context.metadata.write(folder: folder)
        }
        let stop = await context.control.stopReason
        let committed = await context.control.committed
        let report = RunSummary.report(manifest: manifest, graph: graph, ledger: ledger, result: outcome, run: runID, started: started,
                                       finished: environment.clock.now(), stop: stop, committed: committed,
                                       provider: graph.tasks.first?.request.provider.rawValue ?? manifest.provider.rawValue)
        var reportURL: URL?
        do {
            reportURL = try report.write(under: library.folder(manifest.name).appendingPathComponent("_reports", isDirectory: true))
        } catch {
            environment.output("could not write the run report: \(error)")
        }
        try? ledger.finishRun(runID, exitCode: report.exitCode, creditsSpent: committed, report: reportURL.map(library.relativePath))
        environment.output(RunSummary.line(report) + (reportURL.map { "; report: \($0.path)" } ?? ""))
        return RunResult(exitCode: report.exitCode, report: reportURL)
    }

    /// Runs the scheduler; the first SIGINT/SIGTERM stops new submissions and keeps tracking
    /// paid-for work for `grace`, a second signal (or the end of the grace period) stops at once.
    private static func runWithSignals(_ scheduler: RunScheduler, context: RunContext, grace: Duration, handleSignals: Bool) async -> RunScheduler.Result {
        guard handleSignals else { return await scheduler.run() }
        enum Event: Sendable {
            case finished(RunScheduler.Result)
            case firstSignal(Int32)
            case stopNow
            case watcherEnded
        }
        @Sendable func nextSignal() async -> Int32? {
            for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                return signal == .sigint ? 2 : 15
            }
            return nil
        }
        return await withTaskGroup(of: Event.self) { group in
            group.addTask { .finished(await scheduler.run()) }
            group.addTask { await nextSignal().map(Event.firstSignal) ?? .watcherEnded }
            while let event = await group.next() {
                switch event {
                case .finished(let result):
                    group.cancelAll()
                    return result
                case .firstSignal(let number):
                    await context.control.stop(.signal(number))
                    context.progress.note("signal received: no new submissions; tracking paid-for work for up to \(grace) (signal again to stop now)")
                    group.addTask { _ = await nextSignal(); return .stopNow }
                    group.addTask { try? await Task.sleep(for: grace); return .stopNow }
                case .stopNow:
                    // Cancel everything; the scheduler still returns what it knows.
                    group.cancelAll()
                case .watcherEnded:
                    continue
                }
            }
            return RunScheduler.Result()
        }
    }
}
