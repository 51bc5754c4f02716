import BatchLedger
import BatchManifest
import Foundation

/// Drives the whole graph with one TaskGroup: a task starts when its parents' generation has
/// finished (its slot is taken inside, so at most `concurrency.tasks` are at the provider), each
/// finished generation starts its download (with its own limit), and a failure blocks only the
/// failed task's descendants. A status poller runs beside them and batches every status check.
struct RunScheduler: Sendable {
    let context: RunContext
    let plan: RunPlan

    /// Where every task ended in this run.
    struct Result: Sendable {
        var generation: [TaskKey: GenerationOutcome] = [:]
        var downloads: [TaskKey: DownloadOutcome] = [:]
        /// Tasks that did not run, and why (a parent failed, is ambiguous or did not finish).
        var notRun: [TaskKey: String] = [:]
        var skipped: Set<TaskKey> = []

        /// A later pass over the same graph: what it did replaces what this one said.
        mutating func merge(_ later: Result) {
            for (key, outcome) in later.generation {
                generation[key] = outcome
                notRun[key] = nil
            }
            for (key, outcome) in later.downloads { downloads[key] = outcome }
            for (key, reason) in later.notRun where later.generation[key] == nil { notRun[key] = reason }
            skipped.formUnion(later.skipped.subtracting(later.generation.keys))
        }
    }

    private enum Completion: Sendable {
        case generation(TaskKey, GenerationOutcome)
        case download(TaskKey, DownloadOutcome)
        case poller
    }

    func run() async -> Result {
        await context.working { await schedule() }
    }

    private func schedule() async -> Result {
        let executor = TaskExecutor(context: context)
        let graph = context.graph
        let ledger = context.ledger
        let children = graph.children()
        var result = Result()
        var generationDone = Set<TaskKey>()
        var needsGeneration: [TaskKey] = []
        var needsDownload: [TaskKey] = []

        // A write cut short by a crash left `.part` files (a file, metadata.json, a stems
        // archive): clear them from the manifest's folders, which this run alone may write into.
        var swept = Set<String>()
        for task in graph.tasks {
            guard swept.insert(task.output).inserted else { continue }
            let removed = context.library.removeLeftovers(in: task.output)
            if !removed.isEmpty { context.progress.note("removed \(removed.count) file(s) an interrupted write left: \(removed.joined(separator: ", "))") }
        }
        // Execute the plan's decision for every task.
        let records = context.records
        for task in graph.tasks {
            let key = task.key
            guard let decision = plan[key] else { continue }
            switch decision.action {
            case .skip:
                generationDone.insert(key)
                result.skipped.insert(key)
            case .verify:
                generationDone.insert(key)
                if let problem = verifyFiles(task) {
                    if let record = try? ledger.recordFilesMissing(key.hex, reason: problem, run: context.runID) {
                        context.progress.transition(task, .downloaded, record.state, problem)
                    }
                    needsDownload.append(key)
                } else {
                    result.skipped.insert(key)
                }
            case .download:
                generationDone.insert(key)
                if records[key.hex]?.state == .downloaded,
                   let record = try? ledger.recordFilesMissing(key.hex, reason: decision.reason, run: context.runID) {
                    context.progress.transition(task, .downloaded, record.state, decision.reason)
                }
                needsDownload.append(key)
            case .poll, .submit, .resubmit, .reconcile:
                // Consent to pay again (resubmit) is the plan's, for this run only, never stored.
                needsGeneration.append(key)
            case .ambiguous:
                result.generation[key] = .ambiguous(records[key.hex]?.error ?? decision.reason)
            case .failed:
                result.generation[key] = .failed(records[key.hex]?.error ?? decision.reason)
            case .blocked, .overBudget, .held:
                result.notRun[key] = decision.reason
                if decision.action == .blocked, plan.isPermanentBlock(key), let record = records[key.hex], record.state != .blocked,
                   let blocked = try? ledger.recordBlocked(key.hex, reason: decision.reason, run: context.runID) {
                    context.progress.transition(task, record.state, blocked.state, decision.reason)
                }
            }
        }

        var waiting = Set(needsGeneration)
        func isReady(_ key: TaskKey) -> Bool {
            graph[key]?.parents.allSatisfy { generationDone.contains($0) } ?? false
        }

        await withTaskGroup(of: Completion.self) { group in
            let poller = context.poller
            group.addTask {
                await poller.run()
                return .poller
            }
            var active = 0
            func startGeneration(_ key: TaskKey) {
                guard let task = graph[key] else { return }
                waiting.remove(key)
                active += 1
                group.addTask { .generation(key, await executor.generate(task)) }
            }
            func startDownload(_ key: TaskKey) {
                guard let task = graph[key] else { return }
                active += 1
                group.addTask { .download(key, await executor.download(task)) }
            }
            for key in needsGeneration where isReady(key) { startGeneration(key) }
            for key in needsDownload { startDownload(key) }

            while active > 0, let completion = await context.idle({ await group.next() }) {
                switch completion {
                case .poller:
                    continue
                case .download(let key, let outcome):
                    active -= 1
                    result.downloads[key] = outcome
                case .generation(let key, let outcome):
                    active -= 1
                    result.generation[key] = outcome
                    if outcome == .generated {
                        generationDone.insert(key)
                        startDownload(key)
                        for child in children[key] ?? [] where waiting.contains(child) && isReady(child) {
                            startGeneration(child)
                        }
                    }
                }
            }
            group.cancelAll()
        }

        // Whatever never started: say why, and block descendants of permanent failures.
        for task in graph.tasks where waiting.contains(task.key) {
            let reason = blockingReason(task, result: result)
            result.notRun[task.key] = reason.text
            if reason.permanent, let record = try? ledger.task(task.key.hex), record.state != .blocked {
                _ = try? ledger.recordBlocked(task.key.hex, reason: reason.text, run: context.runID)
                context.progress.transition(task, record.state, .blocked, reason.text)
            }
        }
        return result
    }

    /// Why a task did not start: its nearest ancestor that did not finish.
    private func blockingReason(_ task: GraphTask, result: Result) -> (text: String, permanent: Bool) {
        for parent in task.parents {
            guard let parentTask = context.graph[parent] else { continue }
            switch result.generation[parent] {
            case .failed(let reason)?:
                return ("its parent \(parentTask.fileStem) \(parent.short) failed: \(reason)", true)
            case .ambiguous?:
                return ("its parent \(parentTask.fileStem) \(parent.short) is ambiguous", false)
            case .notSubmitted(let reason)?, .unfinished(let reason)?:
                return ("its parent \(parentTask.fileStem) \(parent.short) did not finish: \(reason)", false)
            case .generated?:
                continue
            case nil:
                let inherited = blockingReason(parentTask, result: result)
                return (inherited.text, inherited.permanent)
            }
        }
        return ("the run stopped before it could start", false)
    }

    /// Nil when every recorded file of the task is present in the task's current folder with its
    /// size and SHA-256 (read in full); the files' current mtime and inode are then recorded,
    /// so the next resume trusts them by `stat` alone.
    private func verifyFiles(_ task: GraphTask) -> String? {
        guard let files = try? context.ledger.files(of: task.key.hex) else { return "its files are not recorded" }
        switch LibraryCheck.hash(files, folder: task.output, root: context.library.root) {
        case .failure(let problem):
            return problem.description
        case .success(let refreshed):
            try? context.ledger.recordFileStats(refreshed)
            return nil
        }
    }
}
