import BatchLedger
import Crypto
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
    private(set) var folders: Set<String> = []
    /// What this run last wrote into each folder's file (its SHA-256 and size): the same
    /// document again, with the file still that size, is not written (and synced) twice.
    private var written: [String: (digest: SHA256.Digest, size: Int)] = [:]

    init(ledger: Ledger, library: OutputLibrary, manifest: String) {
        self.ledger = ledger
        self.library = library
        self.manifest = manifest
    }

    func noteMissing(_ key: String, _ notes: [String]) {
        missing[key] = notes.isEmpty ? nil : notes
    }

    func write(folder: String) {
        folders.insert(folder)
        guard let records = try? ledger.folderRecords(folder, manifest: manifest), !records.tasks.isEmpty else { return }
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
            entry["parents"] = .array(task.parentKeys.map(JSONValue.string))
            let extras = records.extraItems[task.key] ?? []
            entry["extra_items"] = .array(extras.map { extra in
                let result = StoredResult.parse(extra.result)
                return .object(["ordinal": .number(Double(extra.ordinal)), "item_id": .string(extra.itemID), "final": .bool(extra.final),
                                "result": result?.summary ?? .null, "provider_answer": result?.raw ?? .null])
            })
            entry["lineage"] = .array(task.parentKeys.map { parent in
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
        let url = library.folder(folder).appendingPathComponent("metadata.json")
        let digest = SHA256.hash(data: Data(text.utf8))
        if let last = written[folder], last.digest == digest, FileStat.of(url.path).map({ $0.size == Int64(last.size) }) == true { return }
        guard (try? library.writeText(text, to: url)) != nil else { return }
        written[folder] = (digest, text.utf8.count)
    }
}
