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
    /// Why the task has its status ("never submitted", "downloaded 2026-11-20", "parent failed").
    public var reason: String
    /// Credits a create call for this task costs by the price table.
    public var cost: Double

    private enum CodingKeys: String, CodingKey {
        case key, kind, job, combination, variant, parents, model, output, status, reason, cost
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
        try container.encode(reason, forKey: .reason)
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

public struct PlanTotals: Sendable, Codable {
    public var tasks: Int
    public var byKind: [String: Int]
    public var byStatus: [String: Int]
    /// Credits of the tasks still to do.
    public var estimatedCredits: Double
    /// Credits of every task in the plan, done or not.
    public var totalCredits: Double
    public var budgetCredits: Double?
}

/// Builds a ``Plan``: a pure function of the manifest, its graph and a status lookup.
public enum Planner {
    /// A task's recorded status and the reason for it, or nil when the ledger knows nothing.
    public typealias StatusLookup = (GraphTask) -> (status: PlanStatus, reason: String)?

    public static func plan(_ manifest: Manifest, graph: TaskGraph, status: StatusLookup = { _ in nil }) -> Plan {
        var entries: [PlanEntry] = []
        entries.reserveCapacity(graph.count)
        var byKind: [String: Int] = [:]
        var byStatus: [String: Int] = [:]
        var estimated = 0.0, total = 0.0
        for task in graph.tasks {
            let (state, reason) = status(task) ?? (.toDo, "not run yet")
            let cost = manifest.pricing.price(of: task.request)
            total += cost
            if state == .toDo { estimated += cost }
            byKind[task.kind.rawValue, default: 0] += 1
            byStatus[state.rawValue, default: 0] += 1
            entries.append(PlanEntry(
                key: task.key, kind: task.kind, job: task.job, combination: task.combination, variant: task.variant,
                parents: task.parents, model: task.request.model, output: task.output, status: state, reason: reason,
                cost: cost
            ))
        }
        return Plan(
            manifest: manifest.name, file: manifest.file, provider: graph.tasks.first?.request.provider ?? manifest.provider,
            outputRoot: manifest.output.root, tasks: entries,
            totals: PlanTotals(tasks: entries.count, byKind: byKind, byStatus: byStatus, estimatedCredits: estimated,
                               totalCredits: total, budgetCredits: manifest.budget?.maxCredits)
        )
    }
}
