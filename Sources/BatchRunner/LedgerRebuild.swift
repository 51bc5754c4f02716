public import BatchLedger
public import Foundation
import ProviderKit

/// The library as the ledger's second copy: every folder's `metadata.json` records its tasks'
/// keys, states, item ids, provider answers and file hashes. ``rebuild(_:root:)`` takes every
/// task it finds back into a ledger without a provider call; a task the ledger already knows
/// keeps what the ledger says.
public enum LedgerRebuild {
    public struct Outcome: Sendable {
        public var folders = 0
        public var recovered = 0
        /// Tasks the ledger already knew.
        public var known = 0
        /// `metadata.json` files that could not be read, with why.
        public var unreadable: [String] = []
    }

    /// Every `metadata.json` of the library (not under `.tempo-batch` or `_reports`).
    public static func metadataFiles(under root: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey], options: []) else { return [] }
        var found: [URL] = []
        for case let url as URL in walker {
            let name = url.lastPathComponent
            if name == ".tempo-batch" || name == "_reports" {
                walker.skipDescendants()
                continue
            }
            if name == "metadata.json" { found.append(url) }
        }
        return found.sorted { $0.path < $1.path }
    }

    public static func rebuild(_ ledger: Ledger, root: URL, now: Date = Date()) throws -> Outcome {
        var outcome = Outcome()
        let library = OutputLibrary(root: root)
        for file in metadataFiles(under: root) {
            let source = library.relativePath(file)
            guard let data = try? Data(contentsOf: file), case .object(let document)? = JSONValue.parse(data),
                  case .string(let manifest)? = document["manifest"], case .array(let tasks)? = document["tasks"]
            else {
                outcome.unreadable.append("\(source): not a tempo-batch metadata.json")
                continue
            }
            outcome.folders += 1
            var entries: [Ledger.Recovered] = []
            for case .object(let entry) in tasks {
                guard let recovered = task(entry, manifest: manifest, folder: document["folder"]?.string ?? "", now: now) else {
                    outcome.unreadable.append("\(source): a task entry lacks its key, kind or state")
                    continue
                }
                entries.append(recovered)
            }
            let taken = try ledger.recover(entries, source: source, run: nil)
            outcome.recovered += taken
            outcome.known += entries.count - taken
        }
        return outcome
    }

    /// One `metadata.json` task entry back as ledger records.
    static func task(_ entry: [String: JSONValue], manifest: String, folder: String, now: Date) -> Ledger.Recovered? {
        guard let key = entry["key"]?.string, let kind = entry["kind"]?.string,
              let stateText = entry["state"]?.string, var state = TaskState(rawValue: stateText)
        else { return nil }
        let parents = entry["parents"]?.array?.compactMap(\.string)
            ?? entry["lineage"]?.array?.compactMap { $0["key"]?.string } ?? []
        let request = entry["request"]?.jsonText ?? "{}"
        var task = TaskRecord(
            key: key, manifest: manifest, job: entry["job"]?.string ?? "", kind: kind, output: folder,
            fileStem: entry["file_stem"]?.string ?? kind, request: request, parents: parents,
            provider: entry["provider"]?.string ?? "tempolor", cost: entry["cost"]?.double ?? 0, now: now
        )
        // A create interrupted mid-call may have been paid: it stays a question, never a new task.
        if state == .submitting { state = .ambiguous }
        task.state = state
        task.itemID = entry["item_id"]?.string
        task.attempts = Int(entry["attempts"]?.double ?? 1)
        task.error = entry["error"]?.string
        if let summary = entry["result"] {
            task.result = StoredResult.recovered(summary: summary, raw: entry["provider_answer"])?.json
        }
        let files: [FileRecord] = (entry["files"]?.array ?? []).compactMap { file in
            guard let path = file["path"]?.string, let size = file["size"]?.double, let sha = file["sha256"]?.string else { return nil }
            return FileRecord(taskKey: key, path: path, size: Int64(size), sha256: sha, createdAt: now)
        }
        // Downloaded needs its files; a generated task without them fetches them again.
        if state == .downloaded && (files.isEmpty || task.result == nil) { task.state = task.result == nil ? .submitted : .succeeded }
        if task.state.isInFlight && task.itemID == nil { task.state = .ambiguous }
        let extras: [ExtraItemRecord] = (entry["extra_items"]?.array ?? []).compactMap { extra in
            guard let ordinal = extra["ordinal"]?.double, let item = extra["item_id"]?.string else { return nil }
            let result = extra["result"].flatMap { StoredResult.recovered(summary: $0, raw: extra["provider_answer"]) }?.json
            return ExtraItemRecord(taskKey: key, ordinal: Int(ordinal), itemID: item, result: result, final: extra["final"] == .bool(true))
        }
        return Ledger.Recovered(task: task, files: task.state == .downloaded ? files : [], extras: extras)
    }
}
