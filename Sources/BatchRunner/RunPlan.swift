public import BatchLedger
public import BatchManifest
import Foundation

/// The run's one decision per task, made before anything is sent: a pure function of the
/// graph, what the ledger knows, what the files on disk look like (by `stat`, never by reading
/// them) and the options. `run --dry-run` prints it; `run` executes exactly it.
public struct RunPlan: Sendable {
    /// What the decision depends on besides the graph and the ledger.
    public struct Options: Sendable, Equatable {
        public var retryFailed = false
        /// `--resubmit-ambiguous`, or the manifest's `on_ambiguous: resubmit`.
        public var resubmitAmbiguous = false
        /// The provider can look for what a lost create made (useapi `replyRef`), or the
        /// TemPolor balance proof is on: ambiguous tasks are reconciled before anyone is asked.
        public var reconciles = false
        /// Credits this run may commit (nil: no budget).
        public var budget: Double?
        /// Nothing is submitted; generated work is fetched (`verify --repair`).
        public var downloadOnly = false

        public init() {}
    }

    /// How the recorded files of a downloaded task look on disk now.
    public enum FilesOnDisk: Sendable, Equatable {
        /// Every file has the size, mtime and inode recorded when it was hashed.
        case unchanged
        /// A file's stat differs (or was never recorded): it must be hashed again.
        case changed(String)
        /// A file is gone, or was filed under another layout: it must be fetched again.
        case missing(String)
    }

    public let decisions: [TaskKey: PlanDecision]
    /// Credits of the creates (and reconciliations) the plan means to send.
    public let plannedCredits: Double

    public subscript(key: TaskKey) -> PlanDecision? { decisions[key] }

    /// The ambiguous tasks this run has consent to pay for again.
    var resubmissions: Set<TaskKey> { Set(decisions.compactMap { $0.value.action == .resubmit ? $0.key : nil }) }

    /// Decides every task. `files` is consulted only for downloaded tasks.
    public static func decide(
        _ manifest: Manifest, _ graph: TaskGraph, records: [String: TaskRecord], files: (GraphTask) -> FilesOnDisk, options: Options
    ) -> RunPlan {
        var decisions: [TaskKey: PlanDecision] = [:]
        decisions.reserveCapacity(graph.count)
        var committed = 0.0
        for task in graph.tasks {
            let record = records[task.key.hex]
            var decision = own(task, record, files: files, options: options)
            // A task that still needs its parent's result waits for it, or cannot run.
            if decision.action == .submit || decision.action == .resubmit || decision.action == .reconcile {
                if let blocker = blocker(of: task, in: decisions, graph: graph) {
                    decision = blocker
                } else if let parent = task.parents.first(where: { decisions[$0]?.action == .reconcile }) {
                    decision.reason += "; only if its parent \(parent.short) is resolved by the provider's evidence"
                }
            }
            if decision.action.submits || decision.action == .reconcile {
                if options.downloadOnly {
                    decision = PlanDecision(.held, "download only: not submitted in this run")
                } else {
                    let price = manifest.pricing.price(of: task.request)
                    if let budget = options.budget, committed + price > budget + 1e-9 {
                        decision = PlanDecision(.overBudget, "\(price.plainText) credits would exceed the budget of \(budget.plainText) (\(committed.plainText) already planned)")
                    } else {
                        committed += price
                    }
                }
            }
            decisions[task.key] = decision
        }
        return RunPlan(decisions: decisions, plannedCredits: committed)
    }

    /// The decision from the task's own record.
    private static func own(_ task: GraphTask, _ record: TaskRecord?, files: (GraphTask) -> FilesOnDisk, options: Options) -> PlanDecision {
        guard let record else { return PlanDecision(.submit, "not run yet") }
        switch record.state {
        case .downloaded:
            switch files(task) {
            case .unchanged: return PlanDecision(.skip, "downloaded; files unchanged")
            case .changed(let path): return PlanDecision(.verify, "\(path) changed since it was hashed: hashed again, fetched again if corrupt")
            case .missing(let problem): return PlanDecision(.download, "\(problem): fetched again, no new payment")
            }
        case .succeeded, .partFailed:
            return PlanDecision(.download, "generated (\(record.state.rawValue)); files to fetch, no new payment")
        case .submitted, .running:
            return PlanDecision(.poll, "item \(record.itemID ?? "?") is at the provider; checked until it finishes, no new payment")
        case .submitting, .ambiguous:
            let why = record.state == .submitting ? "interrupted while submitting" : (record.error ?? "unknown outcome")
            if options.resubmitAmbiguous {
                return PlanDecision(.resubmit, "\(why); submitted again as consented: the first create may also have been paid for")
            }
            if options.reconciles {
                return PlanDecision(.reconcile, "\(why); the provider's evidence decides: adopted, sent again if it made nothing, else left ambiguous")
            }
            return PlanDecision(.ambiguous, "\(why); needs a decision (--resubmit-ambiguous or on_ambiguous: resubmit)")
        case .failed:
            if options.retryFailed { return PlanDecision(.submit, "failed earlier (\(record.error ?? "?")); retried as asked") }
            return PlanDecision(.failed, "\(record.error ?? "failed") (run --retry-failed to try again)")
        case .pending, .blocked, .cancelled:
            return PlanDecision(.submit, record.error.map { "not submitted yet (\($0))" } ?? "not submitted yet")
        }
    }

    /// The nearest reason a parent keeps the task from running in this run, if any.
    private static func blocker(of task: GraphTask, in decisions: [TaskKey: PlanDecision], graph: TaskGraph) -> PlanDecision? {
        for parent in task.parents {
            guard let decision = decisions[parent] else { continue }
            let name = graph[parent].map { "\($0.fileStem) \(parent.short)" } ?? parent.short
            switch decision.action {
            case .submit, .resubmit, .poll, .download, .verify, .skip:
                continue
            case .failed:
                return PlanDecision(.blocked, "its parent \(name) failed", blockedBy: parent)
            case .reconcile:
                continue
            case .ambiguous:
                return PlanDecision(.blocked, "its parent \(name) is ambiguous; the next run continues once that is resolved", blockedBy: parent)
            case .blocked:
                return PlanDecision(.blocked, decision.reason, blockedBy: decision.blockedBy ?? parent)
            case .overBudget:
                return PlanDecision(.blocked, "its parent \(name) is over budget", blockedBy: parent)
            case .held:
                return PlanDecision(.held, "its parent \(name) is not submitted in this run", blockedBy: parent)
            }
        }
        return nil
    }

    /// Whether the block is for good (a failure up the chain) rather than for this run.
    func isPermanentBlock(_ key: TaskKey) -> Bool {
        var current = key
        while let decision = decisions[current], decision.action == .blocked, let by = decision.blockedBy {
            if decisions[by]?.action == .failed { return true }
            current = by
        }
        return false
    }
}

/// What `stat` says about a library file: a resume trusts an unchanged size, mtime and inode.
public struct FileStat: Sendable, Equatable {
    public var size: Int64
    public var mtime: Double
    public var inode: Int64

    public static func of(_ path: String) -> FileStat? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if os(Linux)
        let mtime = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        #else
        let mtime = Double(info.st_mtimespec.tv_sec) + Double(info.st_mtimespec.tv_nsec) / 1e9
        #endif
        return FileStat(size: Int64(info.st_size), mtime: mtime, inode: Int64(bitPattern: UInt64(info.st_ino)))
    }

    /// True when the file is as it was when the record's SHA-256 was taken.
    public func matches(_ record: FileRecord) -> Bool {
        guard let mtime = record.mtime, let inode = record.inode else { return false }
        return size == record.size && inode == self.inode && abs(mtime - self.mtime) < 1e-6
    }
}

extension RunPlan {
    /// Checks a downloaded task's recorded files by `stat` only.
    static func filesOnDisk(_ task: GraphTask, files: [FileRecord]?, root: URL) -> FilesOnDisk {
        guard let files, !files.isEmpty else { return .missing("its files are not recorded") }
        let folder = task.output.isEmpty ? "" : task.output + "/"
        let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
        var changed: String?
        for file in files {
            guard file.path.hasPrefix(folder) else {
                return .missing("the output layout changed (files were under \((file.path as NSString).deletingLastPathComponent))")
            }
            guard let stat = FileStat.of(rootPath + file.path) else { return .missing("\(file.path) is missing") }
            if stat.size != file.size { return .missing("\(file.path) is corrupt (its size differs)") }
            if changed == nil, !stat.matches(file) { changed = file.path }
        }
        return changed.map { .changed($0) } ?? .unchanged
    }

    /// Reads what the plan needs from the ledger (task heads: no request, no result unless
    /// part_failed) and the disk, then decides.
    static func make(_ manifest: Manifest, _ graph: TaskGraph, ledger: Ledger, root: URL, options: Options) throws -> (RunPlan, [String: TaskRecord]) {
        let keys = graph.tasks.map(\.key.hex)
        let records = try ledger.taskHeads(keys: keys)
        let downloaded = keys.filter { records[$0]?.state == .downloaded }
        let files = try ledger.fileHeads(ofKeys: downloaded)
        let plan = decide(manifest, graph, records: records, files: { filesOnDisk($0, files: files[$0.key.hex], root: root) }, options: options)
        return (plan, records)
    }
}
