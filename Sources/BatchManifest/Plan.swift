/// What a run would do: every task of the graph with its status and cost. Built by ``Planner``
/// from the graph and (once the ledger exists) what the ledger knows; printed by `plan` as a
/// table or as JSON for scripts.
public struct Plan: Sendable, Codable {
    public var manifest: String
    public var file: String
    public var provider: Provider
    public var outputRoot: String
    public var tasks: [PlanEntry]
    public var totals: PlanTotals
}

public struct PlanEntry: Sendable, Codable {
    public var key: TaskKey
    public var kind: TaskKind
    public var job: String
    public var combination: [MatrixValue]
    public var variant: Int?
    public var parents: [TaskKey]
    public var model: String?
    public var output: String
    public var status: PlanStatus
    /// What the run does with the task (the run executes exactly this).
    public var action: PlanAction
    /// Why ("never submitted", "item song_1 is still running", "its parent 3f2a… failed").
    public var reason: String
    /// The task that keeps this one from running (`blocked`, `over_budget` descendants).
    public var blockedBy: TaskKey?
    /// Credits a create call for this task costs by the price table.
    public var cost: Double

    private enum CodingKeys: String, CodingKey {
        case key, kind, job, combination, variant, parents, model, output, status, action, reason, cost
        case blockedBy = "blocked_by"
    }

    /// Every key is always present (absent values as `null`), so scripts can rely on the shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(kind, forKey: .kind)
        try container.encode(job, forKey: .job)
        try container.encode(combination, forKey: .combination)
        try container.encode(variant, forKey: .variant)
        try container.encode(parents, forKey: .parents)
        try container.encode(model, forKey: .model)
        try container.encode(output, forKey: .output)
        try container.encode(status, forKey: .status)
        try container.encode(action, forKey: .action)
        try container.encode(reason, forKey: .reason)
        try container.encode(blockedBy, forKey: .blockedBy)
        try container.encode(cost, forKey: .cost)
    }
}

/// Where a task stands before a run.
public enum PlanStatus: String, Sendable, Codable, CaseIterable {
    /// Will be submitted (or resumed) by the next run.
    case toDo = "to_do"
    /// Finished and filed; the run skips it.
    case done
    /// Will not run (for instance it already failed permanently).
    case skipped
    /// A submission whose outcome is unknown; needs `--resubmit-ambiguous` or reconciliation.
    case ambiguous
    /// A parent failed, so it cannot run.
    case blocked

    public var label: String {
        switch self {
        case .toDo: "to do"
        default: rawValue
        }
    }
}

/// The one decision a run makes for a task before it starts, from the graph, the ledger, the
/// files on disk and the options. `run --dry-run` prints these; `run` executes them.
public enum PlanAction: String, Sendable, Codable, CaseIterable {
    /// Never submitted (or failed and retried): a create call is sent, at its price.
    case submit
    /// Ambiguous, and the user consented (`--resubmit-ambiguous`, `on_ambiguous: resubmit`):
    /// sent again, at its price, although the first create may have been paid for too.
    case resubmit
    /// Submitted earlier: its item is checked until it finishes; no new payment.
    case poll
    /// Generated: its files are fetched (again); no new payment.
    case download
    /// Downloaded, but a file changed since it was hashed: hashed again, fetched if corrupt.
    case verify
    /// Downloaded and every file unchanged: nothing to do.
    case skip
    /// Ambiguous: the provider is asked for evidence (the create's item, or proof it made none);
    /// adopted, sent again, or left ambiguous by what it shows.
    case reconcile
    /// Ambiguous, with no evidence to look for and no consent: left for a decision.
    case ambiguous
    /// Failed permanently in an earlier run (`--retry-failed` submits it again).
    case failed
    /// Cannot run: a task it needs failed, is ambiguous or is not run (`blocked_by`).
    case blocked
    /// Its price no longer fits in the budget.
    case overBudget = "over_budget"
    /// Not submitted in this run by the user's choice (download only).
    case held

    public var status: PlanStatus {
        switch self {
        case .submit, .resubmit, .poll, .download, .verify: .toDo
        case .skip: .done
        case .failed, .overBudget, .held: .skipped
        case .reconcile, .ambiguous: .ambiguous
        case .blocked: .blocked
        }
    }

    /// The run sends a create call for the task (and pays its price).
    public var submits: Bool { self == .submit || self == .resubmit }

    public var label: String { self == .overBudget ? "over budget" : rawValue }
}

/// A task's ``PlanAction``, why, and (when blocked) by whom.
public struct PlanDecision: Sendable, Equatable {
    public var action: PlanAction
    public var reason: String
    public var blockedBy: TaskKey?

    public init(_ action: PlanAction, _ reason: String, blockedBy: TaskKey? = nil) {
        self.action = action
        self.reason = reason
        self.blockedBy = blockedBy
    }
}

public struct PlanTotals: Sendable, Codable {
    public var tasks: Int
    public var byKind: [String: Int]
    public var byStatus: [String: Int]
    public var byAction: [String: Int]
    /// Credits of the create calls the run sends (submit and resubmit).
    public var estimatedCredits: Double
    /// Credits of every task in the plan, done or not.
    public var totalCredits: Double
    public var budgetCredits: Double?
}

/// Builds a ``Plan``: a pure function of the manifest, its graph and a status lookup.
public enum Planner {
    /// Lays out the run's decision for each task (see the runner's decider, which reads the
    /// ledger and the files); without a ledger every task is submitted.
    public static func plan(_ manifest: Manifest, graph: TaskGraph, decisions: [TaskKey: PlanDecision] = [:]) -> Plan {
        var entries: [PlanEntry] = []
        entries.reserveCapacity(graph.count)
        var byKind: [String: Int] = [:]
        var byStatus: [String: Int] = [:]
        var byAction: [String: Int] = [:]
        var estimated = 0.0, total = 0.0
        for task in graph.tasks {
            let decision = decisions[task.key] ?? PlanDecision(.submit, "not run yet")
            let cost = manifest.pricing.price(of: task.request)
            total += cost
            if decision.action.submits { estimated += cost }
            byKind[task.kind.rawValue, default: 0] += 1
            byStatus[decision.action.status.rawValue, default: 0] += 1
            byAction[decision.action.rawValue, default: 0] += 1
            entries.append(PlanEntry(
                key: task.key, kind: task.kind, job: task.job, combination: task.combination, variant: task.variant,
                parents: task.parents, model: task.request.model, output: task.output, status: decision.action.status,
                action: decision.action, reason: decision.reason, blockedBy: decision.blockedBy, cost: cost
            ))
        }
        return Plan(
            manifest: manifest.name, file: manifest.file, provider: graph.tasks.first?.request.provider ?? manifest.provider,
            outputRoot: manifest.output.root, tasks: entries,
            totals: PlanTotals(tasks: entries.count, byKind: byKind, byStatus: byStatus, byAction: byAction, estimatedCredits: estimated,
                               totalCredits: total, budgetCredits: manifest.budget?.maxCredits)
        )
    }
}
