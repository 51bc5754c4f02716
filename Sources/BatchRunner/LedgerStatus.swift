import BatchLedger
import BatchManifest
import Foundation

/// `tempo-batch status`: what the ledger under an output root knows.
public enum LedgerStatus {
    public struct NoLedger: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "no ledger at \(path): nothing has run with this output root yet" }
    }

    public static func text(outputRoot: String, manifest: String?) throws -> String {
        let path = URL(fileURLWithPath: outputRoot).appendingPathComponent(".tempo-batch/ledger.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else { throw NoLedger(path: path) }
        let ledger = try Ledger.open(at: path)
        let tasks = try ledger.allTasks(manifest: manifest)
        var lines = ["Ledger \(path): \(tasks.count) task(s)" + (manifest.map { " of \($0)" } ?? "")]
        let counts = Dictionary(grouping: tasks, by: \.state).mapValues(\.count)
        lines.append("  " + TaskState.allCases.compactMap { state in counts[state].map { "\($0) \(state.rawValue)" } }.joined(separator: ", "))
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
}
