import ArgumentParser
import BatchRunner
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--progress`: how a run shows its progress.
enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    /// A live area on a terminal, plain lines otherwise.
    case auto
    /// One line per state change.
    case plain
    /// No progress: notes, problems and the summary only.
    case none
}

/// `--log-format`: text for people, JSON lines for scripts.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// Renders a run's events on standard output in the chosen way.
protocol EventRenderer: Sendable {
    func handle(_ event: RunEvent)
    /// Called once after the run (clears a live area, shows the cursor), with its exit code
    /// and the message of a run that stopped before its plan (also printed on standard error).
    func finish(exitCode: Int32, message: String?)
}

enum RunOutput {
    /// The renderer for the options and the process's standard output.
    static func renderer(progress: ProgressMode, format: LogFormat, quiet: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) -> any EventRenderer {
        let terminal = Terminal.isTerminal(STDOUT_FILENO) && environment["TERM"] != "dumb"
        let colour = terminal && (environment["NO_COLOR"] ?? "").isEmpty
        if format == .json { return JSONLines(quiet: quiet) }
        if progress == .auto, terminal, !quiet { return LiveArea(colour: colour) }
        return PlainLines(quiet: quiet, transitions: progress != .none, colour: colour)
    }
}

/// Writes to standard output, unbuffered and whole lines at a time.
enum Terminal {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }

    /// The terminal's width in columns (80 when it does not say).
    static func columns() -> Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    enum Colour: String {
        case red = "31", green = "32", yellow = "33", dim = "2", bold = "1"
    }

    static func paint(_ text: String, _ colour: Colour?, enabled: Bool) -> String {
        guard enabled, let colour else { return text }
        return "\u{1B}[\(colour.rawValue)m\(text)\u{1B}[0m"
    }

    /// The colour of a line about `event`: problems red, warnings yellow, finished files green.
    static func colour(of event: RunEvent) -> Colour? {
        switch event.kind {
        case .transition(let change):
            if change.to == "failed" || change.to == "blocked" { return .red }
            if change.to == "ambiguous" { return .yellow }
            return change.to == "downloaded" ? .green : nil
        case .note(_, let level): return level == .error ? .red : (level == .warning ? .yellow : nil)
        case .finished(let finish): return finish.exitCode == 0 ? .bold : .red
        default: return nil
        }
    }
}

/// One line per event (today's output), for cron mail and pipes: no control characters unless
/// standard output is a terminal.
struct PlainLines: EventRenderer {
    let quiet: Bool
    let transitions: Bool
    let colour: Bool

    func handle(_ event: RunEvent) {
        if quiet, !event.isProblemOrSummary { return }
        if case .transition(let change) = event.kind, !transitions, !change.isProblem { return }
        guard let line = event.line else { return }
        Terminal.write(Terminal.paint(line, Terminal.colour(of: event), enabled: colour) + "\n")
    }

    func finish(exitCode: Int32, message: String?) {}
}

/// One JSON object per line (NDJSON); fields in `schema/run-events.schema.json`. The last
/// line is always a `finished` event, also for a run refused before its plan (a lock, a
/// damaged ledger, an invalid manifest).
final class JSONLines: EventRenderer, @unchecked Sendable {
    let quiet: Bool
    private let lock = NSLock()
    private var finished = false

    init(quiet: Bool) { self.quiet = quiet }

    func handle(_ event: RunEvent) {
        if quiet, !event.isProblemOrSummary { return }
        lock.withLock {
            if case .finished = event.kind { finished = true }
            Terminal.write(Self.json(event) + "\n")
        }
    }

    func finish(exitCode: Int32, message: String?) {
        guard !lock.withLock({ finished }) else { return }
        handle(RunEvent(.finished(RunEvent.Finish(exitCode: exitCode, summary: message ?? "stopped before the plan", report: nil))))
    }

    static func json(_ event: RunEvent, now: Date = Date()) -> String {
        var object: [String: Any] = ["time": timestamp(event.time ?? now)]
        func optional(_ value: Any?) -> Any { value ?? NSNull() }
        switch event.kind {
        case .started(let start):
            object["event"] = "started"
            object["manifest"] = start.manifest
            object["provider"] = start.provider
            object["tasks"] = start.tasks
            object["actions"] = start.actions
            object["states"] = start.states
            object["budget"] = optional(start.budget)
        case .transition(let change):
            object["event"] = "transition"
            object["manifest"] = change.manifest
            object["job"] = change.job
            object["folder"] = change.folder
            object["file"] = change.file
            object["key"] = change.key
            object["kind"] = change.kind
            object["from"] = optional(change.from)
            object["to"] = change.to
            object["detail"] = optional(change.detail)
        case .note(let text, let level):
            object["event"] = "note"
            object["level"] = level.rawValue
            object["text"] = text
        case .credits(let committed, let budget):
            object["event"] = "credits"
            object["committed"] = committed
            object["budget"] = optional(budget)
        case .download(let download):
            object["event"] = "download"
            object["file"] = download.file
            object["bytes"] = download.bytes
            object["total"] = optional(download.total)
            object["done"] = download.done
        case .finished(let finish):
            object["event"] = "finished"
            object["exit_code"] = Int(finish.exitCode)
            object["summary"] = finish.summary
            object["report"] = optional(finish.report)
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}

/// A live area at the bottom of a terminal, redrawn in place: tasks by state, credits against
/// the budget, items in flight with their time, downloads with their speed, and an estimate of
/// the time left. State changes and notes scroll above it.
final class LiveArea: EventRenderer, @unchecked Sendable {
    private let colour: Bool
    private let lock = NSLock()
    private var drawnLines = 0
    private var lastDraw = Date.distantPast
    private var finished = false
    private var started = Date()
    private var manifest = ""
    private var manifests = 0
    private var total = 0
    private var states: [String: Int] = [:]
    private var doneAtStart = 0
    private var committed = 0.0
    private var budget: Double?
    /// Tasks at the provider: label and since when.
    private var inFlight: [String: (label: String, since: Date)] = [:]
    /// Files arriving: bytes so far.
    private var downloads: [String: Int64] = [:]
    /// Bytes received, for the speed: (time, cumulative bytes), the last few seconds.
    private var received: [(time: Date, bytes: Int64)] = []
    private var receivedTotal: Int64 = 0
    private var ticker: Task<Void, Never>?

    static let finalStates: Set<String> = ["downloaded", "failed", "blocked", "ambiguous", "cancelled"]

    init(colour: Bool) {
        self.colour = colour
        Terminal.write("\u{1B}[?25l")
        ticker = Task.detached { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                self?.redraw(force: true)
            }
        }
    }

    func handle(_ event: RunEvent) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        let now = Date()
        switch event.kind {
        case .started(let start):
            // Several manifests in one run: one area for all of them.
            manifests += 1
            manifest = manifests == 1 ? start.manifest : "\(manifests) manifests"
            total += start.tasks
            states.merge(start.states, uniquingKeysWith: +)
            if manifests == 1 {
                budget = start.budget
                started = now
            }
            doneAtStart += Self.finalStates.reduce(0) { $0 + (start.states[$1] ?? 0) }
        case .transition(let change):
            if let from = change.from { states[from, default: 0] -= 1 } else { states["new", default: 0] -= 1 }
            states[change.to, default: 0] += 1
            if change.to == "submitted" || change.to == "running" {
                if inFlight[change.key] == nil { inFlight[change.key] = ("\(change.folder.isEmpty ? change.job : change.folder) \(change.file)", now) }
            } else {
                inFlight[change.key] = nil
            }
        case .credits(let value, let limit):
            committed = value
            budget = limit
        case .download(let download):
            let before = downloads[download.file] ?? 0
            receivedTotal += max(0, download.bytes - before)
            received.append((now, receivedTotal))
            received.removeAll { now.timeIntervalSince($0.time) > 5 }
            downloads[download.file] = download.done ? nil : download.bytes
            return redrawLocked(now: now, lines: [], force: false)
        case .finished:
            // The summary replaces the area for good.
            finished = true
            Terminal.write(clearArea() + (event.line.map { Terminal.paint($0, Terminal.colour(of: event), enabled: colour) + "\n" } ?? ""))
            drawnLines = 0
            return
        case .note:
            break
        }
        let lines = event.line.map { [Terminal.paint($0, Terminal.colour(of: event), enabled: colour)] } ?? []
        redrawLocked(now: now, lines: lines, force: !lines.isEmpty)
    }

    func finish(exitCode: Int32, message: String?) {
        ticker?.cancel()
        lock.lock()
        defer { lock.unlock() }
        finished = true
        Terminal.write(clearArea() + "\u{1B}[?25h")
        drawnLines = 0
    }

    private func redraw(force: Bool) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        redrawLocked(now: Date(), lines: [], force: force)
    }

    /// Clears the area, prints `lines` where it was and draws it again below them. Without
    /// new lines the area is redrawn at most ten times a second.
    private func redrawLocked(now: Date, lines: [String], force: Bool) {
        guard force || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let area = self.area(now: now, width: Terminal.columns())
        var text = clearArea()
        for line in lines { text += line + "\n" }
        text += area.map { $0 + "\n" }.joined()
        drawnLines = area.count
        Terminal.write(text)
    }

    /// Moves to the area's first line and clears to the end of the screen.
    private func clearArea() -> String {
        drawnLines > 0 ? "\u{1B}[\(drawnLines)F\u{1B}[J" : ""
    }

    /// The area's lines, each cut to the terminal's width so that none wraps.
    private func area(now: Date, width: Int) -> [String] {
        // Nothing to show before the plan is made.
        guard total > 0 else { return [] }
        let done = Self.finalStates.reduce(0) { $0 + (states[$1] ?? 0) }
        let elapsed = now.timeIntervalSince(started)
        var lines: [String] = []
        lines.append(Terminal.paint("── \(manifest) · \(done)/\(total) tasks finished · \(Self.duration(elapsed)) ──", .bold, enabled: colour))
        let order = ["new", "pending", "submitting", "submitted", "running", "succeeded", "part_failed", "downloaded", "failed", "blocked", "ambiguous", "cancelled"]
        lines.append("  " + order.compactMap { state in (states[state] ?? 0) > 0 ? "\(states[state]!) \(state)" : nil }.joined(separator: " · "))
        lines.append("  credits: \(Self.number(committed)) committed" + (budget.map { " of \(Self.number($0)) budget" } ?? ""))
        if !inFlight.isEmpty {
            let items = inFlight.values.sorted { $0.since < $1.since }
            let shown = items.prefix(3).map { "\($0.label) \(Self.duration(now.timeIntervalSince($0.since)))" }
            lines.append("  in flight: \(items.count): " + shown.joined(separator: " · ") + (items.count > 3 ? " · +\(items.count - 3) more" : ""))
        }
        if !downloads.isEmpty || !received.isEmpty {
            var speed = 0.0
            if let first = received.first, let last = received.last, last.time > first.time {
                speed = Double(last.bytes - first.bytes) / last.time.timeIntervalSince(first.time)
            }
            lines.append("  downloads: \(downloads.count) active · \(Self.bytes(speed))/s")
        }
        let finishedHere = done - doneAtStart
        if finishedHere > 0, done < total {
            let left = elapsed / Double(finishedHere) * Double(total - done)
            lines.append("  ETA: about \(Self.duration(left))")
        }
        return lines.map { Self.cut($0, to: max(20, width - 1)) }
    }

    /// Cuts visible characters to `width`, keeping colour codes whole.
    static func cut(_ line: String, to width: Int) -> String {
        var visible = 0, result = "", escape = false
        for character in line {
            if character == "\u{1B}" { escape = true }
            if escape {
                result.append(character)
                if character.isLetter { escape = false }
                continue
            }
            guard visible < width else { continue }
            result.append(character)
            visible += 1
        }
        return result
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(max(0, seconds).rounded())
        return whole >= 3600 ? String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60) : String(format: "%02d:%02d", whole / 60, whole % 60)
    }

    static func bytes(_ value: Double) -> String {
        let units = ["B", "KB", "MB", "GB"]
        var amount = value, unit = 0
        while amount >= 1000, unit < units.count - 1 { amount /= 1000; unit += 1 }
        return unit == 0 ? "\(Int(amount)) B" : String(format: "%.1f", amount) + " " + units[unit]
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }
}
