import BatchLedger
import BatchManifest
import Foundation

/// Turns a finished run into its report and its exit code.
enum RunSummary {
    static func report(
        manifest: Manifest, graph: TaskGraph, ledger: Ledger, result: RunScheduler.Result, run: Int64, started: Date,
        finished: Date, stop: StopReason?, committed: Double, provider: String, untouched: [String: TaskRecord] = [:]
    ) -> RunReport {
        // Tasks the plan skipped cannot have changed: only the others are read again, without
        // what the report does not need (their requests, dates and answers, except part_failed's).
        var records = untouched
        var unreadable = false
        do {
            let changed = try ledger.taskHeads(keys: graph.tasks.map(\.key.hex).filter { untouched[$0] == nil })
            records.merge(changed) { $1 }
        } catch {
            records = [:]
            unreadable = true
        }
        var counts: [String: Int] = [:]
        var failures: [RunReport.TaskLine] = [], ambiguous: [RunReport.TaskLine] = [], notRun: [RunReport.TaskLine] = []
        var downloadFailures: [RunReport.TaskLine] = [], partial: [RunReport.TaskLine] = []
        var files: [String] = []
        var unfinished: Set<String> = []
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
                unfinished.insert(task.key.hex)
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
        let notDone = Set(notRun.map(\.key)).union(unfinished)
        let (code, outcome) = exitCode(
            stop: stop, ambiguous: !ambiguous.isEmpty, problems: unreadable || !failures.isEmpty || !downloadFailures.isEmpty,
            notDone: notDone.count, leftForNextRun: notDone.subtracting(paidUnfinished).count, paidUnfinished: paidUnfinished.count
        )
        return RunReport(
            manifest: manifest.name, file: manifest.file, provider: provider, run: run, startedAt: started, finishedAt: finished,
            exitCode: code, outcome: outcome, counts: counts, submitted: max(0, submitted),
            itemsCreated: max(0, submitted) + ((try? ledger.extraItemsCreated(inRun: run)) ?? 0), creditsSpent: committed,
            failures: failures, ambiguous: ambiguous, notRun: notRun, downloadFailures: downloadFailures, partial: partial,
            filesWritten: files.sorted()
        )
    }

    /// DESIGN.md's exit codes. An interruption wins; then work that needs a decision
    /// (ambiguous); then a refused key; then a budget or balance stop; then a deadline with paid
    /// work not yet filed; then failures. `notDone` tasks did not run or were not tracked to the
    /// end (a parent failed, a stop, the wait ran out); past a deadline those never started
    /// (`leftForNextRun`) are left for the next run, not failures.
    static func exitCode(
        stop: StopReason?, ambiguous: Bool, problems: Bool, notDone: Int, leftForNextRun: Int, paidUnfinished: Int
    ) -> (Int32, String) {
        if case .signal(let number)? = stop { return (128 + number, "interrupted; state saved, run again to resume") }
        if ambiguous { return (Runner.ExitCode.ambiguous, "submissions with unknown outcome need a decision") }
        if case .fatal(let reason)? = stop { return (Runner.ExitCode.invalid, "stopped: \(reason)") }
        if case .budget(let reason)? = stop { return (Runner.ExitCode.budget, "stopped by budget: \(reason)") }
        if case .balance(let reason)? = stop { return (Runner.ExitCode.budget, "stopped by balance: \(reason)") }
        if case .deadline(let when)? = stop {
            if paidUnfinished > 0 {
                return (Runner.ExitCode.deadline, "stopped at the deadline (\(when)): \(paidUnfinished) paid task(s) not yet filed, \(leftForNextRun) left for the next run")
            }
            if problems { return (Runner.ExitCode.tasksFailed, "stopped at the deadline (\(when)); some tasks failed or were blocked") }
            return (Runner.ExitCode.success, leftForNextRun > 0
                ? "stopped at the deadline (\(when)): everything started finished; \(leftForNextRun) task(s) left for the next run" : "all tasks finished")
        }
        if problems || notDone > 0 { return (Runner.ExitCode.tasksFailed, "some tasks failed or were blocked") }
        return (Runner.ExitCode.success, "all tasks finished")
    }

    static func line(_ report: RunReport) -> String {
        let states = TaskState.allCases.compactMap { state in report.counts[state.rawValue].map { "\($0) \(state.rawValue)" } }
        return "\(report.outcome): \(states.joined(separator: ", ")); \(report.submitted) submitted, \(report.creditsSpent.plainText) credits, \(report.filesWritten.count) files written"
    }
}

