import BatchLedger
import BatchManifest
public import Foundation

/// What one run did, written to `<root>/<manifest>/_reports/<timestamp>.md` and `.json`.
public struct RunReport: Codable, Sendable {
    public struct TaskLine: Codable, Sendable {
        public var key: String
        public var job: String
        public var kind: String
        public var output: String
        public var reason: String
    }

    public var manifest: String
    public var file: String
    public var provider: String
    public var run: Int64
    public var startedAt: Date
    public var finishedAt: Date
    public var exitCode: Int32
    public var outcome: String
    /// Final ledger state of every task of the graph.
    public var counts: [String: Int]
    public var submitted: Int
    /// Items the run's create calls made: one each, more when a create answers several ids.
    public var itemsCreated: Int
    public var creditsSpent: Double
    public var failures: [TaskLine]
    public var ambiguous: [TaskLine]
    public var notRun: [TaskLine]
    public var downloadFailures: [TaskLine]
    public var partial: [TaskLine]
    public var filesWritten: [String]

    var markdown: String {
        var lines = ["# tempo-batch run \(run): \(manifest)", "",
                     "- manifest file: `\(file)`", "- provider: \(provider)",
                     "- started: \(Self.stamp(startedAt)), finished: \(Self.stamp(finishedAt))",
                     "- outcome: **\(outcome)** (exit code \(exitCode))",
                     "- submitted this run: \(submitted) create call(s) making \(itemsCreated) item(s), \(creditsSpent.plainText) credits committed",
                     "", "## Tasks by state", "", "| state | tasks |", "|---|---|"]
        for state in TaskState.allCases where (counts[state.rawValue] ?? 0) > 0 {
            lines.append("| \(state.rawValue) | \(counts[state.rawValue] ?? 0) |")
        }
        func section(_ title: String, _ items: [TaskLine]) {
            guard !items.isEmpty else { return }
            lines += ["", "## \(title)", ""]
            lines += items.map { "- `\($0.key.prefix(12))` \($0.job) \($0.kind) → `\($0.output)`: \($0.reason)" }
        }
        section("Failures", failures)
        section("Ambiguous (may have been paid for; `run --resubmit-ambiguous` pays again)", ambiguous)
        section("Not run", notRun)
        section("Download failures (the next run downloads again)", downloadFailures)
        section("Partly failed (mp3 kept)", partial)
        lines += ["", "## Files written (\(filesWritten.count))", ""]
        lines += filesWritten.map { "- `\($0)`" }
        return lines.joined(separator: "\n") + "\n"
    }

    static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// `2026-11-21T020000Z`: sortable and safe in file names.
    static func fileStamp(_ date: Date) -> String {
        stamp(date).replacingOccurrences(of: ":", with: "")
    }

    /// A new report's path without extension in `folder` (created if needed): the time stamp,
    /// with `-2`, `-3`, … when a report of the same second exists.
    static func freshBase(in folder: URL, at date: Date) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var base = folder.appendingPathComponent(fileStamp(date))
        var suffix = 1
        while FileManager.default.fileExists(atPath: base.appendingPathExtension("md").path) {
            suffix += 1
            base = folder.appendingPathComponent("\(fileStamp(date))-\(suffix)")
        }
        return base
    }

    /// Writes the `.md` and `.json` files; answers the `.md` path.
    func write(under folder: URL) throws -> URL {
        let base = try Self.freshBase(in: folder, at: finishedAt)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(self).write(to: base.appendingPathExtension("json"), options: .atomic)
        try Data(markdown.utf8).write(to: base.appendingPathExtension("md"), options: .atomic)
        return base.appendingPathExtension("md")
    }
}
