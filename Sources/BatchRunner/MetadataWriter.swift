import BatchLedger
import Foundation
import ProviderKit

/// Writes each folder's `metadata.json` from the ledger: for every task filed there, the
/// request, the provider's answer, the lineage (parent keys and item ids), the item id, the cost,
/// the files with size and SHA-256, and what is missing. One writer, so concurrent tasks never
/// interleave writes of the same file.
actor MetadataWriter {
    private let ledger: Ledger
    private let library: OutputLibrary
    private let manifest: String
    private var missing: [String: [String]] = [:]
    private var folders: Set<String> = []
    /// What this run last wrote into each folder's file: a fingerprint of the ledger's records
    /// it was made from (with the missing-file notes) and the file's size. Records unchanged,
    /// with the file still that size, are not written (and synced) twice: the document is a
    /// function of them.
    private var written: [String: (fingerprint: Int, size: Int)] = [:]

    init(ledger: Ledger, library: OutputLibrary, manifest: String) {
        self.ledger = ledger
        self.library = library
        self.manifest = manifest
    }

    func noteMissing(_ key: String, _ notes: [String]) {
        missing[key] = notes.isEmpty ? nil : notes
    }

    /// Brings the folder's file up to date with the ledger.
    func write(folder: String) {
        folders.insert(folder)
        guard let records = try? ledger.folderRecords(folder, manifest: manifest) else { return }
        write(folder: folder, records)
    }

    /// Brings every folder this run wrote into up to date, reading the ledger once for all of
    /// them: tasks of a folder may have changed after its last write (a sibling failed or was
    /// blocked), and only the folders whose records changed are written again.
    func refreshAll() {
        guard let all = try? ledger.folderRecords(folders, manifest: manifest) else {
            for folder in folders { write(folder: folder) }
            return
        }
        for folder in folders.sorted() {
            if let records = all[folder] { write(folder: folder, records) }
        }
    }

    private func write(folder: String, _ records: FolderRecords) {
        guard !records.tasks.isEmpty else { return }
        let url = library.folder(folder).appendingPathComponent("metadata.json")
        let fingerprint = self.fingerprint(records)
        if let last = written[folder], last.fingerprint == fingerprint, FileStat.of(url.path).map({ $0.size == Int64(last.size) }) == true { return }
        var entries: [JSONValue] = []
        for task in records.tasks {
            var entry: [String: JSONValue] = [
                "key": .string(task.key), "kind": .string(task.kind), "job": .string(task.job), "file_stem": .string(task.fileStem),
                "state": .string(task.state.rawValue), "provider": .string(task.provider), "cost": .number(task.cost),
                "item_id": task.itemID.map(JSONValue.string) ?? .null,
                "request": JSONValue.parse(task.request) ?? .null,
            ]
            if let result = StoredResult.parse(task.result) {
                entry["provider_answer"] = result.raw
                entry["provider_status"] = .string(result.providerStatus)
                // What the runner acts on, so `ledger rebuild` can restore the task exactly.
                entry["result"] = result.summary
            }
            entry["attempts"] = .number(Double(task.attempts))
            let parentKeys = task.parentKeys
            entry["parents"] = .array(parentKeys.map(JSONValue.string))
            let extras = records.extraItems[task.key] ?? []
            entry["extra_items"] = .array(extras.map { extra in
                let result = StoredResult.parse(extra.result)
                return .object(["ordinal": .number(Double(extra.ordinal)), "item_id": .string(extra.itemID), "final": .bool(extra.final),
                                "result": result?.summary ?? .null, "provider_answer": result?.raw ?? .null])
            })
            entry["lineage"] = .array(parentKeys.map { parent in
                let record = records.parents[parent]
                return .object(["key": .string(parent), "kind": record.map { .string($0.kind) } ?? .null,
                                "item_id": record?.itemID.map(JSONValue.string) ?? .null])
            })
            let files = records.files[task.key] ?? []
            entry["files"] = .array(files.map { .object(["path": .string($0.path), "size": .number(Double($0.size)), "sha256": .string($0.sha256)]) })
            entry["missing"] = .array((missing[task.key] ?? []).map(JSONValue.string))
            if let error = task.error { entry["error"] = .string(error) }
            entries.append(.object(entry))
        }
        let document = JSONValue.object(["manifest": .string(manifest), "folder": .string(folder), "tasks": .array(entries)])
        let text = document.prettyText + "\n"
        guard (try? library.writeText(text, to: url)) != nil else { return }
        written[folder] = (fingerprint, text.utf8.count)
    }

    /// What the folder's document is made of, hashed: its tasks' rows, extra items and files,
    /// each parent's kind and item id, and the missing-file notes.
    private func fingerprint(_ records: FolderRecords) -> Int {
        var hasher = Hasher()
        for task in records.tasks {
            hasher.combine(task)
            hasher.combine(records.extraItems[task.key])
            hasher.combine(records.files[task.key])
            hasher.combine(missing[task.key])
        }
        for (key, parent) in records.parents.sorted(by: { $0.key < $1.key }) {
            hasher.combine(key)
            hasher.combine(parent.kind)
            hasher.combine(parent.itemID)
        }
        return hasher.finalize()
    }
}
