public import Foundation

/// What a run of several manifests answers: each manifest's result, the manifests skipped for
/// their errors, and the summary reports written.
public struct ManyRunResult: Sendable {
    public var runs: [(manifest: String, result: RunResult)]
    public var skipped: [SkippedManifest]
    /// `<root>/_reports/<timestamp>.md` of every output root the run held.
    public var summaries: [URL] = []

    public init(runs: [(manifest: String, result: RunResult)], skipped: [SkippedManifest]) {
        self.runs = runs
        self.skipped = skipped
    }

    /// The worst of the manifests' exit codes (``Runner/ExitCode/worst(_:)``); a skipped
    /// manifest counts as invalid.
    public var exitCode: Int32 {
        Runner.ExitCode.worst(runs.map(\.result.exitCode) + skipped.map { _ in Runner.ExitCode.invalid })
    }
}

/// The summary report of a run of several manifests, under each output root's `_reports/`:
/// one line per manifest (its exit code, summary and report) and the manifests skipped.
enum NightSummary {
    struct Report: Codable {
        struct Line: Codable {
            var manifest: String
            var exitCode: Int32
            var report: String?
            var message: String?
        }
        struct Skipped: Codable {
            var file: String
            var errors: Int
        }
        var startedAt: Date
        var finishedAt: Date
        var exitCode: Int32
        var manifests: [Line]
        var skipped: [Skipped]
    }

    static func write(
        _ result: ManyRunResult, entryRoots: [URL], roots: [URL], started: Date, finished: Date, output: (String) -> Void
    ) -> [URL] {
        var written: [URL] = []
        for root in roots {
            let lines = zip(entryRoots, result.runs).compactMap { entryRoot, run -> Report.Line? in
                guard entryRoot == root else { return nil }
                return Report.Line(manifest: run.manifest, exitCode: run.result.exitCode,
                                   report: run.result.report.map { relative($0, to: root) }, message: run.result.message)
            }
            let report = Report(startedAt: started, finishedAt: finished, exitCode: result.exitCode, manifests: lines,
                                skipped: result.skipped.map { Report.Skipped(file: $0.file, errors: $0.errors) })
            do {
                written.append(try write(report, under: root.appendingPathComponent("_reports", isDirectory: true)))
            } catch {
                output("could not write the run's summary report under \(root.path): \(error)")
            }
        }
        return written
    }

    private static func relative(_ url: URL, to root: URL) -> String {
        let prefix = root.path + "/"
        return url.path.hasPrefix(prefix) ? String(url.path.dropFirst(prefix.count)) : url.path
    }

    private static func write(_ report: Report, under folder: URL) throws -> URL {
        let base = try RunReport.freshBase(in: folder, at: report.finishedAt)
        var lines = ["# tempo-batch run of \(report.manifests.count + report.skipped.count) manifests", "",
                     "- started: \(RunReport.stamp(report.startedAt)), finished: \(RunReport.stamp(report.finishedAt))",
                     "- exit code: **\(report.exitCode)** (the worst of the manifests')", "",
                     "| manifest | exit code | report |", "|---|---|---|"]
        for line in report.manifests {
            lines.append("| \(line.manifest) | \(line.exitCode) | \(line.report.map { "`\($0)`" } ?? line.message ?? "") |")
        }
        if !report.skipped.isEmpty {
            lines += ["", "## Skipped (errors in the manifest; `tempo-batch validate` shows them)", ""]
            lines += report.skipped.map { "- `\($0.file)`: \($0.errors) error(s)" }
        }
        let markdown = base.appendingPathExtension("md")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: markdown, options: .atomic)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(report).write(to: base.appendingPathExtension("json"), options: .atomic)
        return markdown
    }
}
