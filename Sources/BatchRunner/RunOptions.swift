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
    /// `--listen HOST:PORT`: receive the providers' callbacks here (started by the command layer).
    public var listen: (host: String, port: Int)?
    /// `--callback-url`: the public URL that reaches `listen` (default: the listening address).
    public var callbackBase: URL?
    /// `--callback-url` with `--listen`: where this run receives the providers' callbacks (a URL
    /// with the run's secret token), sent for every task whose job names no `callback_url`.
    public var callbackURL: String?
    /// How status checks are timed: around each item's expected finish (the default), or every
    /// item every interval (for comparison).
    public var pollTiming: PollTiming = .expected
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
    /// Callbacks received for this run (`run --listen`): each asks for an early status check.
    public var wakeups: AsyncStream<Wakeup>?

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
