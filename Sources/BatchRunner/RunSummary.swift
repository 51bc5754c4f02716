import BatchLedger
import BatchManifest
import Foundation

/// Turns a finished run into its report and its exit code.
enum RunSummary {
    static func report(
        manifest: Manifest, graph: TaskGraph, ledger: Ledger, result: RunScheduler.Result, run: Int64, started: Date,
        finished: Date, stop: StopReason?, committed: Double, provider: String, untouched: [String: TaskRecord] = [:]
    ) -> RunReport {
        // Tasks the plan skipped cannot have changed: only the others are read again.
        var records = untouched
        var unreadable = false
        do {
            let changed = try ledger.tasks(keys: graph.tasks.map(\.key.hex).filter { untouched[$0] == nil })
            records.merge(changed) { $1 }
        } catch {
            records = [:]
            unreadable = true
        }
        var counts: [String: Int] = [:]
        var failures: [RunReport.TaskLine] = [], ambiguous: [RunReport.TaskLine] = [], notRun: [RunReport.TaskLine] = []
        var downloadFailures: [RunReport.TaskLine] = [], partial: [RunReport.TaskLine] = []
        var files: [String] = []
        var unfinished = 0
        // Paid for, not yet filed: submitted, running, or generated but not downloaded.
        var paidUnfinished: Set<String> = []
        for task in graph.tasks {
            let record = records[task.key.hex]
            let state = record?.state ?? .pending
            counts[state.rawValue, default: 0] += 1
            if state == .submitted || state == .running || state == .succeeded || state == .partFailed { paidUnfinished.insert(task.key.hex) }
            func line(_ reason: String) -> RunReport.TaskLine {
                RunReport.TaskLine(key: task.key.hex, job: task.job, kind: task.kind.rawValue, output: task.output, reason: reason)
            }
            switch state {
            case .failed: failures.append(line(record?.error ?? "failed"))
            case .blocked: failures.append(line(record?.error ?? "blocked"))
            case .ambiguous: ambiguous.append(line(record?.error ?? "ambiguous"))
            default: break
            }
            if let reason = result.notRun[task.key], state != .blocked { notRun.append(line(reason)) }
            switch result.generation[task.key] {
            case .notSubmitted(let reason)?, .unfinished(let reason)?:
                unfinished += 1
                notRun.append(line(reason))
            default: break
            }
            switch result.downloads[task.key] {
            case .failed(let reason)?: downloadFailures.append(line(reason))
            case .downloaded(let paths)?: files += paths
            case nil: break
            }
            if record?.result?.contains("part_failed") == true, let stored = StoredResult.parse(record?.result), stored.phase == "part_failed" {
                partial.append(line("the provider's WAV or lyric timings failed; the mp3 is filed"))
            }
        }
        let submitted = (try? ledger.submissions(inRun: run)) ?? 0
        var (code, outcome) = exitCode(stop: stop, ambiguous: !ambiguous.isEmpty,
                                       failed: unreadable || !failures.isEmpty || !downloadFailures.isEmpty || !notRun.isEmpty || unfinished > 0)
        if case .deadline(let when)? = stop, code == Runner.ExitCode.tasksFailed || code == Runner.ExitCode.success {
            // Past the deadline, work never started is left for the next run, not a failure.
            let left = Set(notRun.map(\.key)).subtracting(paidUnfinished).count
            if !paidUnfinished.isEmpty {
                (code, outcome) = (Runner.ExitCode.deadline, "stopped at the deadline (\(when)): \(paidUnfinished.count) paid task(s) not yet filed, \(left) left for the next run")
            } else if unreadable || !failures.isEmpty || !downloadFailures.isEmpty {
                (code, outcome) = (Runner.ExitCode.tasksFailed, "stopped at the deadline (\(when)); some tasks failed or were blocked")
            } else {
                (code, outcome) = (Runner.ExitCode.success, left > 0 ? "stopped at the deadline (\(when)): everything started finished; \(left) task(s) left for the next run" : "all tasks finished")
            }
        }
        return RunReport(
            manifest: manifest.name, file: manifest.file, provider: provider, run: run, startedAt: started, finishedAt: finished,
            exitCode: code, outcome: outcome, counts: counts, submitted: max(0, submitted),
            itemsCreated: max(0, submitted) + ((try? ledger.extraItemsCreated(inRun: run)) ?? 0), creditsSpent: committed,
            failures: failures, ambiguous: ambiguous, notRun: notRun, downloadFailures: downloadFailures, partial: partial,
            filesWritten: files.sorted()
        )
    }

    /// DESIGN.md's exit codes. An interruption wins; then work that needs a decision
    /// (ambiguous); then a refused key; then a budget or balance stop; then failures.
    static func exitCode(stop: StopReason?, ambiguous: Bool, failed: Bool) -> (Int32, String) {
        if case .signal(let number)? = stop { return (128 + number, "interrupted; state saved, run again to resume") }
        if ambiguous { return (Runner.ExitCode.ambiguous, "submissions with unknown outcome need a decision") }
        if case .fatal(let reason)? = stop { return (Runner.ExitCode.invalid, "stopped: \(reason)") }
        if case .budget(let reason)? = stop { return (Runner.ExitCode.budget, "stopped by budget: \(reason)") }
        if case .balance(let reason)? = stop { return (Runner.ExitCode.budget, "stopped by balance: \(reason)") }
        if failed { return (Runner.ExitCode.tasksFailed, "some tasks failed or were blocked") }
        return (Runner.ExitCode.success, "all tasks finished")
    }

    static func line(_ report: RunReport) -> String {
        let states = TaskState.allCases.compactMap { state in report.counts[state.rawValue].map { "\($0) \(state.rawValue)" } }
        return "\(report.outcome): \(states.joined(separator: ", ")); \(report.submitted) submitted, \(report.creditsSpent.plainText) credits, \(report.filesWritten.count) files written"
    }
}

