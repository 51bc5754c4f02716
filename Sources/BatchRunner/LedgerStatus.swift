import BatchLedger
public import BatchManifest
public import Foundation

/// `tempo-batch status`: what the ledger under an output root knows.
public enum LedgerStatus {
    public struct NoLedger: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "no ledger at \(path): nothing has run with this output root yet" }
    }

    private static func open(_ outputRoot: String) throws -> (path: String, ledger: Ledger) {
        let path = URL(fileURLWithPath: outputRoot).appendingPathComponent(".tempo-batch/ledger.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else { throw NoLedger(path: path) }
        return (path, try Ledger.openExisting(at: path))
    }

    /// Credits committed today, this week and this month (the machine's time zone).
    private static func credits(_ ledger: Ledger, manifest: String?, now: Date) throws -> [(BudgetPeriod, Double)] {
        try [BudgetPeriod.day, .week, .month].map { period in
            let start = period.windowStart(containing: now) ?? now
            return (period, try ledger.creditsCommitted(since: start, manifest: manifest))
        }
    }

    /// Items per key that created them (by fingerprint, in the order first seen), with how many
    /// are still at the provider or may be (submitting, submitted, running, ambiguous). Empty
    /// when no item records its key (a ledger from before key pools).
    private static func keys(_ tasks: [TaskRecord]) -> [(fingerprint: String, items: Int, open: Int)] {
        var order: [String] = []
        var counts: [String: (items: Int, open: Int)] = [:]
        for task in tasks where task.itemID != nil || task.state == .submitting || task.state == .ambiguous {
            guard let account = task.account else { continue }
            if counts[account] == nil { order.append(account) }
            let open = task.state.isInFlight || task.state == .submitting || task.state == .ambiguous
            counts[account, default: (0, 0)].items += 1
            if open { counts[account, default: (0, 0)].open += 1 }
        }
        return order.map { ($0, counts[$0]?.items ?? 0, counts[$0]?.open ?? 0) }
    }

    public static func text(
        outputRoot: String, manifest: String?, budgets: [(manifest: String, standing: BudgetStanding)] = [], now: Date = Date()
    ) throws -> String {
        let (path, ledger) = try open(outputRoot)
        let tasks = try ledger.allTasks(manifest: manifest)
        var lines = ["Ledger \(path): \(tasks.count) task(s)" + (manifest.map { " of \($0)" } ?? "")]
        let counts = Dictionary(grouping: tasks, by: \.state).mapValues(\.count)
        lines.append("  " + TaskState.allCases.compactMap { state in counts[state].map { "\($0) \(state.rawValue)" } }.joined(separator: ", "))
        lines.append("  credits committed: " + (try credits(ledger, manifest: manifest, now: now)).map { "\($1.plainText) \($0.current)" }.joined(separator: " · "))
        let keys = keys(tasks)
        if !keys.isEmpty {
            lines.append("  items by key: " + keys.map { "\($0.fingerprint) \($0.items) (\($0.open) open)" }.joined(separator: " · "))
        }
        for (name, standing) in budgets { lines.append("  \(name): \(standing.summary)") }
        for (title, states) in [("Ambiguous (may have been paid for; run --resubmit-ambiguous to pay again)", [TaskState.ambiguous, .submitting]),
                                ("Failed or blocked", [.failed, .blocked])] {
            let matching = tasks.filter { states.contains($0.state) }
            guard !matching.isEmpty else { continue }
            lines.append("")
            lines.append(title + ":")
            lines += matching.map { "  \($0.key.prefix(12)) \($0.manifest)/\($0.job) \($0.kind) → \($0.output): \($0.error ?? $0.state.rawValue)" }
        }
        let runs = try ledger.runs().suffix(5)
        if !runs.isEmpty {
            lines.append("")
            lines.append("Recent runs:")
            lines += runs.map { run in
                "  #\(run.id ?? 0) \(run.manifest) started \(RunReport.stamp(run.startedAt)) exit \(run.exitCode.map(String.init) ?? "unfinished"), \(run.creditsSpent.plainText) credits" + (run.report.map { ", report \($0)" } ?? "")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `status --json`: the same facts for scripts. Fields: `ledger`, `manifest`, `tasks`,
    /// `states` (count by state), `ambiguous` and `problems` (task objects: `key`, `manifest`,
    /// `job`, `kind`, `folder`, `state`, `item_id`, `account` (the fingerprint of the API key
    /// that created the item), `error`), `accounts` (per key fingerprint: `fingerprint`,
    /// `items`, `open`), `runs` (the last five: `id`,
    /// `manifest`, `started_at`, `finished_at`, `exit_code`, `credits_spent`, `report`),
    /// `credits_committed` (`day`, `week`, `month`: the current calendar windows) and `budgets`
    /// of the manifests named (`manifest`, `max_credits`, `per`, `timezone`, `window_start`,
    /// `spent`, `left`).
    public static func json(
        outputRoot: String, manifest: String?, budgets: [(manifest: String, standing: BudgetStanding)] = [], now: Date = Date()
    ) throws -> String {
        let (path, ledger) = try open(outputRoot)
        let tasks = try ledger.allTasks(manifest: manifest)
        func task(_ record: TaskRecord) -> [String: Any] {
            ["key": record.key, "manifest": record.manifest, "job": record.job, "kind": record.kind, "folder": record.output,
             "state": record.state.rawValue, "item_id": record.itemID ?? NSNull(), "account": record.account ?? NSNull(),
             "error": record.error ?? NSNull()]
        }
        let runs = try ledger.runs().suffix(5).map { run -> [String: Any] in
            ["id": run.id ?? 0, "manifest": run.manifest, "started_at": RunReport.stamp(run.startedAt),
             "finished_at": run.finishedAt.map(RunReport.stamp) ?? NSNull(), "exit_code": run.exitCode.map { Int($0) } ?? NSNull(),
             "credits_spent": run.creditsSpent, "report": run.report ?? NSNull()]
        }
        let object: [String: Any] = [
            "ledger": path, "manifest": manifest ?? NSNull(), "tasks": tasks.count,
            "states": Dictionary(grouping: tasks, by: \.state.rawValue).mapValues(\.count),
            "ambiguous": tasks.filter { $0.state == .ambiguous || $0.state == .submitting }.map(task),
            "problems": tasks.filter { $0.state == .failed || $0.state == .blocked }.map(task),
            "runs": runs,
            "accounts": keys(tasks).map { ["fingerprint": $0.fingerprint, "items": $0.items, "open": $0.open] as [String: Any] },
            "credits_committed": Dictionary(uniqueKeysWithValues: try credits(ledger, manifest: manifest, now: now).map { ($0.0.rawValue, $0.1) }),
            "budgets": budgets.map { name, standing -> [String: Any] in
                ["manifest": name, "max_credits": standing.budget.maxCredits, "per": standing.budget.per.rawValue,
                 "timezone": standing.budget.per == .run ? NSNull() : standing.budget.calendarTimeZone,
                 "window_start": standing.windowStart.map(RunReport.stamp) ?? NSNull(), "spent": standing.spent, "left": standing.left]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }
}
