import Foundation

/// Prints a ``Plan`` for people (a table per job) or for scripts (JSON).
public enum PlanRenderer {
    public static func json(_ plan: Plan) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // A plan holds only strings, numbers and arrays; encoding cannot fail.
        let data = (try? encoder.encode(plan)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    public static func text(_ plan: Plan) -> String {
        var lines = ["\(plan.manifest) (\(plan.file)) · provider \(plan.provider.rawValue) · output \(plan.outputRoot)"]
        let header = ["KEY", "KIND", "MODEL", "PARENTS", "OUTPUT", "ACTION"]
        let rows = plan.tasks.map { entry -> (job: String, cells: [String]) in
            let status = "\(entry.action.label): \(entry.reason)"
            let parents = entry.parents.isEmpty ? "—" : entry.parents.map(\.short).joined(separator: ",")
            return (entry.job, [entry.key.short, entry.kind.rawValue, entry.model ?? "—", parents, entry.output, status])
        }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.cells.enumerated() where index < header.count - 1 {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func format(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            return "  " + padded.joined(separator: "  ")
        }
        var order: [String] = []
        var grouped: [String: [[String]]] = [:]
        for row in rows {
            if grouped[row.job] == nil { order.append(row.job) }
            grouped[row.job, default: []].append(row.cells)
        }
        for job in order {
            lines.append("")
            lines.append(job)
            lines.append(format(header))
            lines.append(contentsOf: (grouped[job] ?? []).map(format))
        }
        lines.append("")
        lines.append(contentsOf: summary(plan))
        return lines.joined(separator: "\n")
    }

    /// The totals lines shared by `plan` and the run's dry-run.
    public static func summary(_ plan: Plan) -> [String] {
        let totals = plan.totals
        let kinds = TaskKind.allCases.compactMap { kind in
            totals.byKind[kind.rawValue].map { "\($0) \(kind.rawValue)" }
        }
        let statuses = PlanAction.allCases.compactMap { action in
            totals.byAction[action.rawValue].map { "\($0) \(action.label)" }
        }
        var lines = [
            "Totals: \(kinds.joined(separator: ", ")) (\(totals.tasks) tasks); \(statuses.joined(separator: ", "))",
        ]
        var cost = "Estimated cost: \(totals.estimatedCredits.plainText) credits to submit (\(totals.totalCredits.plainText) for the whole plan)"
        if let budget = totals.budgetCredits {
            let over = totals.byAction[PlanAction.overBudget.rawValue] ?? 0
            cost += over > 0
                ? "; budget \(budget.plainText) credits: \(over) task(s) over budget are not submitted"
                : "; budget \(budget.plainText) credits"
        }
        lines.append(cost)
        return lines
    }
}
