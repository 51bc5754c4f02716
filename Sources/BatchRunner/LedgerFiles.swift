public import BatchLedger
public import Foundation

/// The files under `<output root>/.tempo-batch/`: the ledger, its lock, its rotating backups,
/// and what happens when the ledger is missing or damaged. A damaged ledger is never opened
/// for writing, migrated or overwritten: it is set aside only by `ledger rebuild`/`restore`.
public struct LedgerFiles: Sendable {
    public let root: URL
    public let folder: URL

    /// Backups kept after runs (the newest first); older ones are deleted.
    public static let backupsKept = 3

    public init(root: URL) {
        self.root = root.standardizedFileURL
        folder = self.root.appendingPathComponent(".tempo-batch", isDirectory: true)
    }

    public var ledger: String { folder.appendingPathComponent("ledger.sqlite").path }
    public var lock: String { folder.appendingPathComponent("lock").path }
    public var backups: URL { folder.appendingPathComponent("backups", isDirectory: true) }

    /// Why a run does not start over this ledger.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Opens the ledger for a run: checked when it exists; when it is missing and the library
    /// holds paid work, refused (or rebuilt from the library first, as asked).
    public func openForRun(missing: MissingLedger, now: @escaping @Sendable () -> Date, output: (String) -> Void) -> Result<Ledger, Refusal> {
        // A ledger whose creation a crash cut short knows nothing: treated as missing.
        let exists = FileManager.default.fileExists(atPath: ledger) && !Ledger.isUninitialized(at: ledger)
        if !exists {
            let folders = LedgerRebuild.metadataFiles(under: root)
            if !folders.isEmpty {
                switch missing {
                case .refuse:
                    return .failure(Refusal(description: """
                        the ledger \(ledger) is missing, but the library under \(root.path) holds paid work (\(folders.count) folder(s) with metadata.json). \
                        Starting over would pay for all of it again. Rebuild the ledger from the library (no provider call): \
                        `tempo-batch ledger rebuild --output \(root.path)`, or run with --rebuild-ledger; \
                        or, to treat every task as new and pay again, run with --start-over.
                        """))
                case .rebuild:
                    do {
                        let fresh = try Ledger.open(at: ledger, now: now)
                        let rebuilt = try LedgerRebuild.rebuild(fresh, root: root)
                        output("ledger rebuilt from the library: \(rebuilt.recovered) task(s) recovered from \(rebuilt.folders) metadata.json file(s), no provider call")
                        return .success(fresh)
                    } catch {
                        return .failure(Refusal(description: "could not rebuild the ledger from the library: \(error)"))
                    }
                case .startOver:
                    output("warning: the ledger was missing; starting over as asked (--start-over): tasks already paid for in the library are submitted again")
                }
            }
        }
        do {
            return .success(exists ? try Ledger.openExisting(at: ledger, now: now) : try Ledger.open(at: ledger, now: now))
        } catch let damage as LedgerDamage {
            return .failure(Refusal(description: damageAdvice(damage)))
        } catch {
            return .failure(Refusal(description: "cannot open the ledger under \(root.path): \(error)"))
        }
    }

    /// What to say about a damaged ledger: it was left as it is, and the two ways back.
    public func damageAdvice(_ damage: LedgerDamage) -> String {
        var text = "\(damage); it was left exactly as it is and nothing was run. "
        if let backup = newestBackup() {
            text += "Restore the latest backup (\(backup.lastPathComponent)): `tempo-batch ledger restore --output \(root.path)`; or rebuild "
        } else {
            text += "Rebuild "
        }
        text += "it from the library's metadata.json files (no provider call): `tempo-batch ledger rebuild --output \(root.path)`. Either way the damaged file is kept beside it."
        return text
    }

    // MARK: Backups

    /// Backs the ledger up (SQLite's online backup) as `backups/ledger-<run>.sqlite` and keeps
    /// the newest ``backupsKept``. Nil on success, else what went wrong.
    public func keepBackup(of ledger: Ledger, run: Int64) -> String? {
        let name = String(format: "ledger-%08lld.sqlite", run)
        // A backup cut short by a crash left its `.part`.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: backups.path)) ?? []
        for stale in names where stale.hasSuffix(".part") { try? FileManager.default.removeItem(at: backups.appendingPathComponent(stale)) }
        do {
            try ledger.backup(to: backups.appendingPathComponent(name).path)
            for old in allBackups().dropFirst(Self.backupsKept) { try? FileManager.default.removeItem(at: old) }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Backups, newest first.
    public func allBackups() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: backups.path)) ?? []
        return names.filter { $0.hasPrefix("ledger-") && $0.hasSuffix(".sqlite") }.sorted(by: >).map { backups.appendingPathComponent($0) }
    }

    public func newestBackup() -> URL? { allBackups().first }

    /// Sets the current ledger (and its WAL files) aside as `ledger.sqlite.damaged-<time>`;
    /// nothing is deleted.
    public func setAside(now: Date) throws -> String? {
        guard FileManager.default.fileExists(atPath: ledger) else { return nil }
        let stamp = Int(now.timeIntervalSince1970)
        let aside = ledger + ".damaged-\(stamp)"
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: ledger + suffix) {
            try FileManager.default.moveItem(atPath: ledger + suffix, toPath: aside + suffix)
        }
        return aside
    }

    /// Replaces the ledger with the newest backup that passes SQLite's check; the current
    /// ledger is set aside first. Answers the backup used.
    public func restore(now: Date) throws -> (backup: URL, asideAt: String?) {
        guard let backup = allBackups().first(where: { Ledger.check(at: $0.path) == nil }) else {
            throw Refusal(description: "no sound backup under \(backups.path)")
        }
        let aside = try setAside(now: now)
        try FileManager.default.copyItem(at: backup, to: URL(fileURLWithPath: ledger))
        return (backup, aside)
    }
}
