import ArgumentParser
import BatchManifest
import BatchRunner
import ProviderWiring
import Foundation

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run manifests: submit what is new or unfinished, wait, and file the results. Resumes by default.",
        discussion: """
        Several manifests (or a folder: every *.yaml and *.yml directly in it, sorted) run as one run: one lock and ledger per output root, one set of workers, --max-parallel shared by all of them (and each account's limit shared by the manifests that use it), each manifest's own concurrency still kept. Each manifest gets its report; the run's summary goes to <output root>/_reports/<timestamp>.md and .json. A manifest with errors is printed with its diagnostics and skipped while the others run (the exit code is then at least 2); with --strict nothing runs. The exit code is the worst of the manifests' in this order: interrupted (130/143), 4, 2, 75, 3, 5, 1, 0.

        Every task is recorded in a ledger at <output root>/.tempo-batch/ledger.sqlite. A second run of the same manifest re-polls submitted items, downloads only missing or corrupt files, skips finished tasks and submits only new or unfinished work. A create call whose answer was lost leaves its task 'ambiguous': it is never paid for again unless you pass --resubmit-ambiguous.

        Credentials come from the environment or --credentials FILE (lines like NAME=...), never from the manifest, and are never printed: TEMPOLOR_API_KEY for the Open API, USEAPI_TOKEN for useapi.net (base URL from --base-url or USEAPI_BASE_URL, default https://api.useapi.net). TEMPOLOR_API_KEY_2, _3, … (or USEAPI_TOKEN_2, …) add keys to one pool: each key has its own limit (concurrency.tasks is per key) and balance, new creates go to the least loaded key, an item is always checked and continued with the key that made it (the ledger records a fingerprint, never the key), and budgets count all keys together.

        provider: simulator (or --provider simulator) starts the built-in simulator in this process: no key, no network, nothing paid. --simulator does the same for any manifest, speaking its provider's API (e.g. a useapi manifest against the simulator's useapi.net routes).

        On a terminal a live area shows tasks by state, credits against the budget, items in flight, downloads and an estimate of the time left, with each state change printed above it. Elsewhere (cron, pipes) one plain line is printed per state change, without control characters. --progress plain always prints lines, --progress none leaves out the state changes, and --quiet prints only the summary and problems (failed, blocked or ambiguous tasks, warnings). Colours appear only on a terminal and never with NO_COLOR set. --log-format json prints one JSON object per event instead (schema/run-events.schema.json).

        Each run writes a report to <output root>/<manifest>/_reports/<timestamp>.md, .json (schema/run-report.schema.json) and .m3u8 (the tracks it filed), and keeps <output root>/<manifest>/playlist.m3u8 of the whole library. Every mp3, WAV and stem is tagged (ID3v2.4, Vorbis comments) before it gets its name.

        The first SIGINT/SIGTERM stops new submissions and keeps tracking paid-for work for up to --grace seconds; a second one stops at once. The ledger is consistent either way.

        Exit codes: 0 all tasks finished (with --until or --for: everything started finished; the rest is left for the next run) · 1 some tasks failed or were blocked · 2 invalid manifest, usage or a refused key · 3 stopped by budget or balance · 4 submissions with unknown outcome need a decision · 5 stopped at the deadline with paid-for work not yet filed · 75 another run holds the lock · 130/143 interrupted, state saved.

        --dry-run prints the plan this run would execute, one action per task (submit, resubmit, poll, download, verify, skip, reconcile, ambiguous, failed, blocked, over budget, held) with its reason, computed exactly as run computes it (add --json for scripts); it asks no provider anything, so it needs no key.

        A resume trusts a library file whose size, modification time and inode are unchanged; `tempo-batch verify` re-reads every byte.

        Budgets: the manifest's budget (per run, or per day, week or month with budget.per and budget.timezone) and --budget-credits with --budget-per for every manifest under the output root together. A window's spend is read from the ledger's committed creates, so a restart or a second run in the same window continues the count; a create is only sent when its price fits in what is left.

        --listen HOST:PORT starts a small receiver for the providers' callbacks while the run lasts, and --callback-url names the public URL that reaches it; tasks whose job names no callback_url send that URL with a per-run secret token in its path. A callback only asks for an early status check of its item (its URLs are never trusted); polling stays the source of truth and the fallback. Without --listen a placeholder URL is sent and nothing listens.

        --until HH:MM or --for 6h end the night: past the deadline nothing new is submitted, and paid-for work is tracked and filed for up to --grace seconds; the report lists what is left for the next run.

        A missing ledger over a library that holds paid work is refused: run with --rebuild-ledger (or `tempo-batch ledger rebuild`) to recover every task from the folders' metadata.json without a provider call. A damaged ledger is never changed; the error says how to restore its backup (kept after every run under .tempo-batch/backups/).
        """
    )

    @Argument(help: "Manifest files, or folders of them (every *.yaml and *.yml directly in a folder, sorted).")
    var manifests: [String]

    @Flag(help: "With several manifests: if any has errors, run none (exit 2).")
    var strict = false

    @Option(help: "Override the manifest's provider (tempolor, useapi, simulator).")
    var provider: Provider?

    @Option(help: "Base URL of the API (default: TEMPOLOR_BASE_URL or USEAPI_BASE_URL, else the provider's own).")
    var baseURL: String?

    @Flag(help: "Run against the built-in simulator, speaking the manifest's provider's API; nothing is paid.")
    var simulator = false

    @Option(help: "Output root (default: the manifest's output.root).")
    var output: String?

    @Option(help: "At most this many tasks at the provider at once (default: concurrency.tasks).")
    var maxParallel: Int?

    @Flag(help: "Submit ambiguous tasks again. Their first submission may already have been paid for.")
    var resubmitAmbiguous = false

    @Flag(help: "Try tasks that failed in an earlier run again.")
    var retryFailed = false

    @Flag(help: "Print the plan this run would execute (one action per task, and why); change nothing.")
    var dryRun = false

    @Flag(help: "With --dry-run: print the plan as JSON.")
    var json = false

    @Flag(help: "If the ledger is missing, rebuild it from the library's metadata.json files first (no provider call).")
    var rebuildLedger = false

    @Flag(help: "If the ledger is missing, start a new one although the library holds paid work (that work is paid again).")
    var startOver = false

    @Option(help: "A file with TEMPOLOR_API_KEY=... or USEAPI_TOKEN=... lines (the environment wins).")
    var credentials: String?

    @Option(help: "Seconds between status checks (default 5; 0.1 against the built-in simulator).")
    var pollInterval: Double?

    @Option(help: "Seconds to keep tracking paid-for work after the first interrupt.")
    var grace: Double = 30

    @Option(help: "Minutes one run waits for a submitted item before leaving it to the next run.")
    var maxWait: Double = 120

    @Option(help: "How progress is shown: auto (a live area on a terminal, plain lines otherwise), plain (one line per state change) or none.")
    var progress: ProgressMode = .auto

    @Flag(help: "Print only the summary and problems (failed, blocked or ambiguous tasks, warnings): for cron mail.")
    var quiet = false

    @Option(help: "text, or json: one JSON object per event on standard output (fields in schema/run-events.schema.json).")
    var logFormat: LogFormat = .text

    @Option(help: "Submit nothing new after this time: HH:MM local time (the next time the clock shows it, unless it showed it less than 6 hours ago) or an ISO 8601 date-time. Paid-for work is still tracked and filed for --grace seconds.")
    var until: String?

    @Option(name: .customLong("for"), help: "Submit nothing new after this long (like 6h or 90m); paid-for work is still tracked and filed for --grace seconds.")
    var duration: String?

    @Option(help: "Receive the providers' callbacks on HOST:PORT while the run lasts (like 0.0.0.0:8787). Each callback asks for an early status check of its item; polling stays the source of truth.")
    var listen: String?

    @Option(help: "With --listen: the public http(s) URL that reaches the listening address (default: the listening address itself). The run adds a secret token to its path.")
    var callbackURL: String?

    @Option(help: "A budget for every manifest under the output root together, beside each manifest's own budget: at most this many credits per --budget-per window.")
    var budgetCredits: Double?

    @Option(help: "The window of --budget-credits: run (default), day, week or month, counted from the ledger.")
    var budgetPer: BudgetPeriod = .run

    @Option(help: "The time zone of --budget-per's windows (an IANA name such as UTC or Europe/Berlin; default the machine's).")
    var budgetTimezone: String?

    func validate() throws {
        if manifests.isEmpty { throw ValidationError("name a manifest file or a folder of manifests") }
        if let maxParallel, !(1...64).contains(maxParallel) { throw ValidationError("--max-parallel must be between 1 and 64") }
        if let baseURL, URL(string: baseURL)?.host == nil { throw ValidationError("--base-url '\(baseURL)' is not an http(s) URL") }
        if let pollInterval, pollInterval <= 0 { throw ValidationError("--poll-interval must be greater than 0") }
        if json && !dryRun { throw ValidationError("--json goes with --dry-run (for the run's events: --log-format json)") }
        if rebuildLedger && startOver { throw ValidationError("--rebuild-ledger and --start-over exclude each other") }
        if let budgetCredits, budgetCredits < 0 { throw ValidationError("--budget-credits must not be negative") }
        if let budgetTimezone, TimeZone(identifier: budgetTimezone) == nil { throw ValidationError("--budget-timezone '\(budgetTimezone)' is not a time zone name (like UTC or Europe/Berlin)") }
        if until != nil, duration != nil { throw ValidationError("--until and --for exclude each other") }
        if let until, Deadline.parse(until: until, now: Date()) == nil {
            throw ValidationError("--until '\(until)' is neither HH:MM nor an ISO 8601 date-time like 2026-11-23T07:30:00+01:00")
        }
        if let duration, DurationText.parse(duration) == nil { throw ValidationError("--for '\(duration)' is not a duration like 6h, 90m or 30s") }
        if let listen, Self.hostAndPort(listen) == nil { throw ValidationError("--listen '\(listen)' is not HOST:PORT (like 127.0.0.1:8787 or 0.0.0.0:8787)") }
        if let callbackURL {
            if listen == nil { throw ValidationError("--callback-url goes with --listen") }
            guard let url = URL(string: callbackURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw ValidationError("--callback-url '\(callbackURL)' is not an http(s) URL")
            }
        }
        if budgetCredits == nil, budgetPer != .run || budgetTimezone != nil { throw ValidationError("--budget-per and --budget-timezone go with --budget-credits") }
    }

    /// `HOST:PORT` (`[::1]:8787` for IPv6); nil when it is not one.
    static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    func run() async throws {
        var options = RunOptions()
        options.provider = provider
        options.simulate = simulator
        options.baseURL = baseURL.flatMap(URL.init(string:))
        options.outputRoot = output
        options.maxParallel = maxParallel
        options.resubmitAmbiguous = resubmitAmbiguous
        options.retryFailed = retryFailed
        options.dryRun = dryRun
        options.json = json
        options.missingLedger = rebuildLedger ? .rebuild : (startOver ? .startOver : .refuse)
        options.credentialsFile = credentials
        let now = Date()
        options.deadline = until.flatMap { Deadline.parse(until: $0, now: now) }
            ?? duration.flatMap(DurationText.parse).map { now.addingTimeInterval(Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18) }
        options.budget = budgetCredits.map { Budget(maxCredits: $0, per: budgetPer, timeZone: budgetTimezone) }
        options.listen = listen.flatMap(Self.hostAndPort)
        options.callbackBase = callbackURL.flatMap(URL.init(string:))
        options.pollInterval = pollInterval.map { .milliseconds(Int64($0 * 1000)) }
        options.grace = .milliseconds(Int64(grace * 1000))
        options.maxWait = .seconds(Int64(maxWait * 60))
        let variables = ProcessInfo.processInfo.environment
        // The dry-run's plan is printed as it is (text or --json), never as events.
        let renderer: any EventRenderer = dryRun ? PlainLines(quiet: false, transitions: true, colour: false)
            : RunOutput.renderer(progress: progress, format: logFormat, quiet: quiet, environment: variables)
        let environment = RunEnvironment(variables: variables, events: { renderer.handle($0) }, handleSignals: true)
        let expanded: (paths: [String], sawFolder: Bool)
        do {
            expanded = try ManifestPaths.expand(manifests)
        } catch {
            renderer.finish(exitCode: ExitCodes.invalid, message: "\(error)")
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(ExitCodes.invalid)
        }
        let exitCode: Int32
        if expanded.paths.count == 1, !expanded.sawFolder {
            let result = await TempoBatchRun.run(manifest: expanded.paths[0], options: options, environment: environment)
            renderer.finish(exitCode: result.exitCode, message: result.message)
            if let message = result.message { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            exitCode = result.exitCode
        } else {
            let result = await TempoBatchRun.runMany(manifests: expanded.paths, options: options, environment: environment, strict: strict)
            renderer.finish(exitCode: result.exitCode, message: nil)
            exitCode = result.exitCode
        }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }
}
