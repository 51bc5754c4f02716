public import Foundation

/// Something a run reports as it goes. The command line renders events as plain lines (cron,
/// pipes), a live area (a terminal) or one JSON object per line (`--log-format json`); the
/// fields are stable and documented in `schema/run-events.schema.json`.
public struct RunEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The plan is made and work begins.
        case started(Start)
        /// A task changed state.
        case transition(Change)
        /// Free text: what happened beside the state changes (a refreshed URL, a warning).
        case note(String, Level)
        /// Credits committed by this run's creates so far.
        case credits(committed: Double, budget: Double?)
        /// Bytes of one file arriving (several per file, the last with `done`).
        case download(Download)
        /// The run is over: its summary line, exit code and report.
        case finished(Finish)
    }

    public enum Level: String, Sendable, Codable {
        case info
        /// Something the user should know about the next morning (shown with `--quiet`).
        case warning
        /// Something that stops the run or a task, e.g. an error in the manifest (shown with `--quiet`).
        case error
    }

    public struct Start: Sendable, Equatable, Codable {
        public var manifest: String
        public var provider: String
        public var tasks: Int
        /// Tasks by planned action (`submit`, `poll`, `skip`, …).
        public var actions: [String: Int]
        /// Tasks by their state at the start of the run.
        public var states: [String: Int]
        public var budget: Double?
    }

    public struct Change: Sendable, Equatable, Codable {
        public var manifest: String
        public var job: String
        /// Folder of the task relative to the output root.
        public var folder: String
        /// `song`, `extend-1`, `stems`, …
        public var file: String
        public var key: String
        public var kind: String
        public var from: String?
        public var to: String
        public var detail: String?

        /// A state a user must look at (shown with `--quiet`).
        public var isProblem: Bool { to == "failed" || to == "blocked" || to == "ambiguous" }
    }

    public struct Download: Sendable, Equatable, Codable {
        /// The file, relative to the output root.
        public var file: String
        public var bytes: Int64
        /// From `Content-Length`, when the server sent it.
        public var total: Int64?
        public var done: Bool
    }

    public struct Finish: Sendable, Equatable, Codable {
        public var exitCode: Int32
        public var summary: String
        public var report: String?

        public init(exitCode: Int32, summary: String, report: String?) {
            self.exitCode = exitCode
            self.summary = summary
            self.report = report
        }
    }

    public var kind: Kind
    /// When it happened, on the run's clock (nil for events from before the run began).
    public var time: Date?

    public init(_ kind: Kind, time: Date? = nil) {
        self.kind = kind
        self.time = time
    }

    public static func note(_ text: String, _ level: Level = .info) -> RunEvent { RunEvent(.note(text, level)) }

    /// The plain line of today's output for this event, or nil for events that have none
    /// (credits, download progress).
    public var line: String? {
        switch kind {
        case .started: nil
        case .transition(let change):
            "\(change.folder.isEmpty ? change.job : change.folder) \(change.file) \(change.key.prefix(12)): "
                + (change.from.map { "\($0) → \(change.to)" } ?? change.to) + (change.detail.map { " (\($0))" } ?? "")
        case .note(let text, _): text
        case .credits, .download: nil
        case .finished(let finish): finish.summary + (finish.report.map { "; report: \($0)" } ?? "")
        }
    }

    /// Shown with `--quiet`: warnings, tasks that failed, were blocked or became ambiguous, and the summary.
    public var isProblemOrSummary: Bool {
        switch kind {
        case .note(_, let level): level != .info
        case .transition(let change): change.isProblem
        case .finished: true
        default: false
        }
    }

    /// The same event with every text passed through `clean` (credential redaction).
    public func mapText(_ clean: (String) -> String) -> RunEvent {
        var copy = self
        switch kind {
        case .note(let text, let level): copy.kind = .note(clean(text), level)
        case .transition(var change):
            change.detail = change.detail.map(clean)
            copy.kind = .transition(change)
        case .finished(var finish):
            finish.summary = clean(finish.summary)
            copy.kind = .finished(finish)
        default: break
        }
        return copy
    }
}
