import BatchLedger
import BatchManifest
import Foundation

/// Drives the graphs of every manifest in the run with one TaskGroup: a task starts when its
/// parents' generation has finished (its slots are taken inside, so at most `concurrency.tasks`
/// of a manifest, and the account's and the run's limits, are at the provider), each finished
/// generation starts its download (with its own limit), and a failure blocks only the failed
/// task's descendants. A status poller per manifest runs beside them and batches every check.
struct RunScheduler: Sendable {
    /// One manifest's share of the run: its context and its plan.
    struct Part: Sendable {
        var context: RunContext
        var plan: RunPlan
    }

    let parts: [Part]

    init(parts: [Part]) {
        self.parts = parts
    }

    init(context: RunContext, plan: RunPlan) {
        self.init(parts: [Part(context: context, plan: plan)])
    }

    /// Where every task of one part ended in this run.
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
        case generation(Int, TaskKey, GenerationOutcome)
        case download(Int, TaskKey, DownloadOutcome)
        case poller
    }

    /// What one part's plan leaves to do once the decisions that need no provider are carried out.
    private struct Pending {
        var result = Result()
        var generationDone = Set<TaskKey>()
        var needsGeneration: [TaskKey] = []
        var needsDownload: [TaskKey] = []
        var waiting = Set<TaskKey>()
    }

    /// One result per part, in the parts' order.
    func run() async -> [Result] {
        guard let first = parts.first else { return [] }
        return await first.context.working { await schedule(idle: first.context) }
    }

    private func schedule(idle: RunContext) async -> [Result] {
        var state = parts.map { start($0) }
        let executors = parts.map { TaskExecutor(context: $0.context) }
        let children = parts.map { $0.context.graph.children() }
        func isReady(_ part: Int, _ key: TaskKey) -> Bool {
            parts[part].context.graph[key]?.parents.allSatisfy { state[part].generationDone.contains($0) } ?? false
        }

        await withTaskGroup(of: Completion.self) { group in
            for part in parts {
                let poller = part.context.poller
                group.addTask {
                    await poller.run()
                    return .poller
                }
            }
            var active = 0
            // A started task holds its frames while it waits for a slot: each manifest starts at
            // most `started` generations at once (well above what its slots let run), the rest
            // queue in order, so a run of 10,000 tasks does not keep 10,000 tasks waiting.
            let started = parts.map { Self.startedLimit($0.context.taskSlots) }
            var running = parts.map { _ in 0 }
            var queued = parts.map { _ in [TaskKey]() }
            var queuedFrom = parts.map { _ in 0 }
            var queuedKeys = parts.map { _ in Set<TaskKey>() }
            func launch(_ part: Int, _ key: TaskKey) {
                guard let task = parts[part].context.graph[key] else { return }
                state[part].waiting.remove(key)
                active += 1
                running[part] += 1
                let executor = executors[part]
                group.addTask { .generation(part, key, await executor.generate(task)) }
            }
            func startGeneration(_ part: Int, _ key: TaskKey) {
                if running[part] < started[part] {
                    launch(part, key)
                } else if queuedKeys[part].insert(key).inserted {
                    queued[part].append(key)
                }
            }
            func startQueued(_ part: Int) {
                while running[part] < started[part], queuedFrom[part] < queued[part].count {
                    let key = queued[part][queuedFrom[part]]
                    queuedFrom[part] += 1
                    queuedKeys[part].remove(key)
                    launch(part, key)
                }
            }
            func startDownload(_ part: Int, _ key: TaskKey) {
                guard let task = parts[part].context.graph[key] else { return }
                active += 1
                let executor = executors[part]
                group.addTask { .download(part, key, await executor.download(task)) }
            }
            for part in parts.indices {
                for key in state[part].needsGeneration where isReady(part, key) { startGeneration(part, key) }
                for key in state[part].needsDownload { startDownload(part, key) }
            }

            while active > 0, let completion = await idle.idle({ await group.next() }) {
                switch completion {
                case .poller:
                    continue
                case .download(let part, let key, let outcome):
                    active -= 1
                    state[part].result.downloads[key] = outcome
                case .generation(let part, let key, let outcome):
                    active -= 1
                    running[part] -= 1
                    defer { startQueued(part) }
                    state[part].result.generation[key] = outcome
                    if outcome == .generated {
                        state[part].generationDone.insert(key)
                        startDownload(part, key)
                        for child in children[part][key] ?? [] where state[part].waiting.contains(child) && isReady(part, child) {
                            startGeneration(part, child)
                        }
                    }
                }
            }
            group.cancelAll()
        }
        return parts.indices.map { finish(parts[$0], state[$0]) }
    }

    /// Generations of one manifest started at once: four times what its slots can ever let run
    /// (its own limit, every key's, the run's), at least 256.
    static func startedLimit(_ slots: TaskSlots) -> Int {
        max(256, 4 * slots.capacity)
    }

    /// Carries out the decisions that need no provider and sorts the rest into generations and
    /// downloads.
    private func start(_ part: Part) -> Pending {
        let context = part.context
        let plan = part.plan
        let graph = context.graph
        let ledger = context.ledger
        var pending = Pending()
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
                pending.generationDone.insert(key)
                pending.result.skipped.insert(key)
            case .verify:
                pending.generationDone.insert(key)
                if let problem = verifyFiles(task, context: context) {
                    if let record = try? ledger.recordFilesMissing(key.hex, reason: problem, run: context.runID) {
                        context.progress.transition(task, .downloaded, record.state, problem)
                    }
                    pending.needsDownload.append(key)
                } else {
                    pending.result.skipped.insert(key)
                }
            case .download:
                pending.generationDone.insert(key)
                if records[key.hex]?.state == .downloaded,
                   let record = try? ledger.recordFilesMissing(key.hex, reason: decision.reason, run: context.runID) {
                    context.progress.transition(task, .downloaded, record.state, decision.reason)
                }
                pending.needsDownload.append(key)
            case .poll, .submit, .resubmit, .reconcile:
                // Consent to pay again (resubmit) is the plan's, for this run only, never stored.
                pending.needsGeneration.append(key)
            case .ambiguous:
                pending.result.generation[key] = .ambiguous(records[key.hex]?.error ?? decision.reason)
            case .failed:
                pending.result.generation[key] = .failed(records[key.hex]?.error ?? decision.reason)
            case .blocked, .overBudget, .held:
                pending.result.notRun[key] = decision.reason
                if decision.action == .blocked, plan.isPermanentBlock(key), let record = records[key.hex], record.state != .blocked,
                   let blocked = try? ledger.recordBlocked(key.hex, reason: decision.reason, run: context.runID) {
                    context.progress.transition(task, record.state, blocked.state, decision.reason)
                }
            }
        }
        pending.waiting = Set(pending.needsGeneration)
        return pending
    }

    /// Whatever never started: say why, and block descendants of permanent failures.
    private func finish(_ part: Part, _ pending: Pending) -> Result {
        let context = part.context
        var result = pending.result
        for task in context.graph.tasks where pending.waiting.contains(task.key) {
            let reason = blockingReason(task, graph: context.graph, result: result)
            result.notRun[task.key] = reason.text
            if reason.permanent, let record = try? context.ledger.task(task.key.hex), record.state != .blocked {
                _ = try? context.ledger.recordBlocked(task.key.hex, reason: reason.text, run: context.runID)
                context.progress.transition(task, record.state, .blocked, reason.text)
            }
        }
        return result
    }

    /// Why a task did not start: its nearest ancestor that did not finish.
    private func blockingReason(_ task: GraphTask, graph: TaskGraph, result: Result) -> (text: String, permanent: Bool) {
        for parent in task.parents {
            guard let parentTask = graph[parent] else { continue }
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
                let inherited = blockingReason(parentTask, graph: graph, result: result)
                return (inherited.text, inherited.permanent)
            }
        }
        return ("the run stopped before it could start", false)
    }

    /// Nil when every recorded file of the task is present in the task's current folder with its
    /// size and SHA-256 (read in full); the files' current mtime and inode are then recorded,
    /// so the next resume trusts them by `stat` alone.
    private func verifyFiles(_ task: GraphTask, context: RunContext) -> String? {
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
