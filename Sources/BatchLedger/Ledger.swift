public import Foundation
public import GRDB

/// The durable record of every task, state change and file, in SQLite (WAL) at
/// `<output root>/.tempo-batch/ledger.sqlite`. One method per intent, one transaction per method;
/// migrations run on open and are never edited once shipped.
///
/// Methods are synchronous on purpose: a write is a short local transaction, and it must
/// complete even when the calling task has been cancelled (an item id learned just before an
/// interruption has to reach the disk).
///
/// **Durability.** Writes that stand between the runner and a payment are *durable*: the
/// transaction is synced to disk before the method returns (the intent before a create, the item
/// id it answered, an adoption, every move out of `submitting`, run records). Progress that can be
/// redone without paying — an item seen running or finished, a fresher answer, downloaded files
/// and their stats — is *deferred*: committed (a killed process loses nothing), but synced with
/// the next durable write or checkpoint. SQLite's WAL is append-only and recovered as a prefix,
/// so a power cut can only take the newest deferred writes; the next run then polls or downloads
/// again. This saves a sync per deferred write (see BENCHMARKS.md, issue 10).
public struct Ledger: Sendable {
    private let writer: any DatabaseWriter
    private let now: @Sendable () -> Date
    /// The writer connection's `synchronous` level as the last write set it.
    private let level = SyncLevel()

    /// One ledger per writer: the ledger keeps track of the level of durability it last set on
    /// the writer's connection.
    public init(_ writer: any DatabaseWriter, now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.writer = writer
        self.now = now
        try Self.migrator.migrate(writer)
    }

    /// Opens (creating when needed) the ledger file in WAL mode.
    public static func open(at path: String, now: @escaping @Sendable () -> Date = { Date() }) throws -> Ledger {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true
        )
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // No `synchronous` level here: the pool sets NORMAL when it turns WAL on, after any set
        // in `prepareDatabase`; each write sets its own (see Durability).
        return try Ledger(DatabasePool(path: path, configuration: configuration), now: now)
    }

    enum Durability {
        /// Synced to disk before the write returns.
        case durable
        /// Committed now, synced with the next durable write (or checkpoint).
        case deferred
    }

    /// One transaction at the given durability. Each write sets the connection's `synchronous`
    /// level itself, so no write inherits another's.
    private func write<T>(_ durability: Durability = .durable, _ body: (Database) throws -> T) throws -> T {
        try writer.writeWithoutTransaction { db in
            // Only a change of level is executed (a PRAGMA takes effect when it is compiled, so
            // it cannot be a cached statement, and compiling one for every write is wasted).
            if level.swap(durability) != durability {
                do {
                    try db.execute(sql: durability == .durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
                } catch {
                    level.forget()
                    throw error
                }
            }
            var result: T?
            try db.inTransaction {
                result = try body(db)
                return .commit
            }
            guard let result else { preconditionFailure("a committed transaction has a result") }
            return result
        }
    }

    /// The writer connection's `synchronous` level now: 2 (FULL) after a durable write, 1
    /// (NORMAL) after a deferred one. For tests.
    func synchronousLevel() throws -> Int {
        try writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// A ledger in memory, for tests.
    public static func inMemory(now: @escaping @Sendable () -> Date = { Date() }) throws -> Ledger {
        try Ledger(DatabaseQueue(), now: now)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("manifest", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
                t.column("exitCode", .integer)
                t.column("creditsSpent", .double).notNull().defaults(to: 0)
                t.column("report", .text)
            }
            try db.create(table: "task") { t in
                t.primaryKey("key", .text)
                t.column("manifest", .text).notNull().indexed()
                t.column("job", .text).notNull()
                t.column("kind", .text).notNull()
                    .check { ["lyrics", "song", "instrumental", "extend", "stems"].contains($0) }
                t.column("output", .text).notNull().indexed()
                t.column("fileStem", .text).notNull()
                t.column("state", .text).notNull().indexed()
                    .check { TaskState.allCases.map(\.rawValue).contains($0) }
                t.column("request", .text).notNull()
                t.column("parents", .text).notNull()
                t.column("provider", .text).notNull()
                t.column("itemID", .text)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("cost", .double).notNull()
                t.column("error", .text)
                t.column("result", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "event") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("taskKey", .text).notNull().indexed().references("task", onDelete: .cascade)
                t.column("runID", .integer).references("run")
                t.column("at", .datetime).notNull()
                t.column("actor", .text).notNull()
                t.column("fromState", .text)
                t.column("toState", .text).notNull()
                t.column("attempt", .integer).notNull()
                t.column("detail", .text)
                t.column("error", .text)
            }
            // Events are append-only: the schema refuses edits and deletions.
            try db.execute(sql: """
                CREATE TRIGGER event_no_update BEFORE UPDATE ON event BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TRIGGER event_no_delete BEFORE DELETE ON event BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                """)
            try db.create(table: "file") { t in
                t.column("taskKey", .text).notNull().indexed().references("task", onDelete: .cascade)
                t.column("path", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.primaryKey(["taskKey", "path"])
            }
        }
        migrator.registerMigration("v2: file stats, extra items") { db in
            try db.alter(table: "file") { t in
                t.add(column: "mtime", .double)
                t.add(column: "inode", .integer)
            }
            try db.create(table: "extraItem") { t in
                t.column("taskKey", .text).notNull().indexed().references("task", onDelete: .cascade)
                t.column("ordinal", .integer).notNull()
                t.column("itemID", .text).notNull()
                t.column("result", .text)
                t.column("final", .boolean).notNull().defaults(to: false)
                t.primaryKey(["taskKey", "ordinal"])
            }
            try db.alter(table: "run") { t in t.add(column: "balanceAtStart", .double) }
            // A run's report counts its events: without an index that is a scan of all history.
            try db.create(index: "event_on_runID", on: "event", columns: ["runID", "toState"])
        }
        migrator.registerMigration("v3: cover and midi tasks") { db in
            // SQLite cannot change a CHECK: the task table is rebuilt with the same columns
            // and rows (GRDB runs migrations with foreign keys off and checks them after).
            try db.create(table: "task_v3") { t in
                t.primaryKey("key", .text)
                t.column("manifest", .text).notNull()
                t.column("job", .text).notNull()
                t.column("kind", .text).notNull()
                    .check { ["lyrics", "song", "instrumental", "extend", "stems", "cover", "midi"].contains($0) }
                t.column("output", .text).notNull()
                t.column("fileStem", .text).notNull()
                t.column("state", .text).notNull()
                    .check { TaskState.allCases.map(\.rawValue).contains($0) }
                t.column("request", .text).notNull()
                t.column("parents", .text).notNull()
                t.column("provider", .text).notNull()
                t.column("itemID", .text)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("cost", .double).notNull()
                t.column("error", .text)
                t.column("result", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.execute(sql: """
                INSERT INTO task_v3 (key, manifest, job, kind, output, fileStem, state, request, parents, provider, itemID, attempts,
                                     cost, error, result, createdAt, updatedAt)
                SELECT key, manifest, job, kind, output, fileStem, state, request, parents, provider, itemID, attempts,
                       cost, error, result, createdAt, updatedAt FROM task
                """)
            try db.drop(table: "task")
            try db.rename(table: "task_v3", to: "task")
            for column in ["manifest", "output", "state"] {
                try db.create(index: "task_on_\(column)", on: "task", columns: [column])
            }
        }
        migrator.registerMigration("v4: the key that created an item") { db in
            try db.alter(table: "task") { t in t.add(column: "account", .text) }
        }
        return migrator
    }

    // MARK: Health

    /// SQLite's own check of the file (`PRAGMA quick_check`): nil when sound, else what it found.
    public func integrityProblem() -> String? {
        do {
            let rows = try writer.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
            return rows == ["ok"] ? nil : rows.prefix(5).joined(separator: "; ")
        } catch {
            return "\(error)"
        }
    }

    /// SQLite's check of a ledger file, changing nothing (no migration; only SQLite's own
    /// recovery of a WAL left by a crash): nil when sound, else what is wrong.
    public static func check(at path: String) -> String? {
        do {
            let probe = try DatabaseQueue(path: path)
            defer { try? probe.close() }
            let rows = try probe.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
            guard rows == ["ok"] else { return rows.prefix(5).joined(separator: "; ") }
            // A ledger whose creation was cut short is not damaged: it counts as missing (see
            // ``isUninitialized(at:)``).
            if try probe.read({ db in try cutShort(db) }) { return nil }
            let tables = try probe.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
            return tables.contains("task") ? nil : "it holds no task table"
        } catch {
            return "\(error)"
        }
    }

    /// True when the file exists but its first migration never committed: the process that
    /// created it stopped before (migrations are transactions). It then holds no table, or only
    /// the migrator's own empty bookkeeping table, which GRDB commits before the first
    /// migration. Such a ledger knows nothing, exactly like a missing one.
    public static func isUninitialized(at path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        do {
            let probe = try DatabaseQueue(path: path)
            defer { try? probe.close() }
            return try probe.read { db in try cutShort(db) }
        } catch {
            return false
        }
    }

    /// No table, or only an empty `grdb_migrations`.
    private static func cutShort(_ db: Database) throws -> Bool {
        let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        if names.isEmpty { return true }
        guard names == ["grdb_migrations"] else { return false }
        return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") == 0
    }

    /// Opens a ledger that must already exist, checking it before anything is written: a damaged
    /// file is never migrated or changed.
    public static func openExisting(at path: String, now: @escaping @Sendable () -> Date = { Date() }) throws -> Ledger {
        if let problem = check(at: path) { throw LedgerDamage(path: path, detail: problem) }
        return try open(at: path, now: now)
    }

    /// A consistent copy of the whole ledger (SQLite's online backup), taken while it is open.
    public func backup(to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let partial = path + ".part"
        try? FileManager.default.removeItem(atPath: partial)
        let destination = try DatabaseQueue(path: partial)
        try writer.backup(to: destination)
        try destination.close()
        guard rename(partial, path) == 0 else { throw LedgerDamage(path: path, detail: "cannot move the backup into place (errno \(errno))") }
    }

    // MARK: Runs

    public func beginRun(manifest: String) throws -> Int64 {
        let started = now()
        return try write { db in
            let run = try RunRecord(id: nil, manifest: manifest, startedAt: started, creditsSpent: 0).inserted(db)
            return run.id ?? 0
        }
    }

    public func finishRun(_ id: Int64, exitCode: Int32, creditsSpent: Double, report: String?) throws {
        let finished = now()
        try write { db in
            guard var run = try RunRecord.fetchOne(db, key: id) else { return }
            run.finishedAt = finished
            run.exitCode = Int(exitCode)
            run.creditsSpent = creditsSpent
            run.report = report
            try run.update(db)
        }
    }

    /// The account balance read at the start of a run, before any create (the balance proof).
    public func recordBalanceAtStart(_ run: Int64, balance: Double) throws {
        try write { db in
            try db.execute(sql: "UPDATE run SET balanceAtStart = ? WHERE id = ?", arguments: [balance, run])
        }
    }

    /// What the balance proof needs about ambiguous tasks: each one with the run its lost create
    /// was sent in, the earliest such run (it must have a starting balance), and the price of every
    /// create that was answered (a `submitted` event of the runner) since that run began.
    public func balanceProofFigures() throws -> BalanceProofFigures? {
        try writer.read { db in
            let ambiguous = try TaskRecord.filter(TaskRecord.Columns.state == TaskState.ambiguous.rawValue).fetchAll(db)
            guard !ambiguous.isEmpty else { return nil }
            var since: Int64 = .max
            for task in ambiguous {
                let run = try Int64.fetchOne(db, sql: """
                    SELECT runID FROM event WHERE taskKey = ? AND toState = 'submitting' AND runID IS NOT NULL
                    ORDER BY id DESC LIMIT 1
                    """, arguments: [task.key])
                since = min(since, run ?? 0)
            }
            guard since != .max, since > 0,
                  let start = try Double.fetchOne(db, sql: "SELECT balanceAtStart FROM run WHERE id = ?", arguments: [since])
            else { return nil }
            let known = try Double.fetchOne(db, sql: """
                SELECT COALESCE(SUM(task.cost), 0) FROM event JOIN task ON task.key = event.taskKey
                WHERE event.runID >= ? AND event.toState = 'submitted' AND event.actor = 'runner'
                """, arguments: [since]) ?? 0
            return BalanceProofFigures(sinceRun: since, balanceAtStart: start, answeredCost: known,
                                       ambiguous: ambiguous.map { ($0.key, $0.cost) })
        }
    }

    public func runs() throws -> [RunRecord] {
        try writer.read { db in try RunRecord.order(Column("id")).fetchAll(db) }
    }

    // MARK: Tasks

    /// Adds tasks the ledger does not know yet as `pending`; known tasks keep their state and
    /// take the current folder and job name (renames and re-filing cost nothing).
    public func register(_ tasks: [TaskRecord]) throws {
        try write { db in
            // One read of what is known (four columns, no decoding of whole records), then
            // writes only for what is new or moved: a no-op resume of 10,000 tasks writes nothing.
            var known: [String: [String]] = [:]
            known.reserveCapacity(tasks.count)
            let rows = try Row.fetchCursor(db, sql: "SELECT key, manifest, job, output, fileStem FROM task")
            while let row = try rows.next() {
                known[row[0]] = [row[1], row[2], row[3], row[4]]
            }
            for task in tasks {
                if let existing = known[task.key] {
                    guard existing != [task.manifest, task.job, task.output, task.fileStem] else { continue }
                    try db.execute(sql: "UPDATE task SET manifest = ?, job = ?, output = ?, fileStem = ? WHERE key = ?",
                                   arguments: [task.manifest, task.job, task.output, task.fileStem, task.key])
                } else {
                    try task.insert(db)
                }
            }
        }
    }

    public func task(_ key: String) throws -> TaskRecord? {
        try writer.read { db in try Self.task(db, key) }
    }

    /// The tasks with these keys, read in one transaction (in chunks, under SQLite's limit on
    /// bound parameters).
    public func tasks(keys: [String]) throws -> [String: TaskRecord] {
        try writer.read { db in
            var result: [String: TaskRecord] = [:]
            result.reserveCapacity(keys.count)
            for start in stride(from: 0, to: keys.count, by: 500) {
                for record in try TaskRecord.filter(keys: keys[start..<min(keys.count, start + 500)]).fetchAll(db) {
                    result[record.key] = record
                }
            }
            return result
        }
    }

    /// The tasks with these keys without what planning does not need: `request` is empty,
    /// `result` is kept only when it records a `part_failed` answer, and the dates are not read
    /// (decoding 20,000 dates costs more than the rest of the row). What a resume plans from.
    public func taskHeads(keys: [String]) throws -> [String: TaskRecord] {
        try writer.read { db in
            var result: [String: TaskRecord] = [:]
            result.reserveCapacity(keys.count)
            for start in stride(from: 0, to: keys.count, by: 500) {
                let chunk = Array(keys[start..<min(keys.count, start + 500)])
                let sql = """
                    SELECT key, manifest, job, kind, output, fileStem, state, '' AS request, parents, provider, itemID, account, attempts,
                           cost, error, CASE WHEN result LIKE '%part_failed%' THEN result END AS result, 0 AS createdAt, 0 AS updatedAt
                    FROM task WHERE key IN (\(chunk.map { _ in "?" }.joined(separator: ",")))
                    """
                for record in try TaskRecord.fetchAll(db, sql: sql, arguments: StatementArguments(chunk)) {
                    result[record.key] = record
                }
            }
            return result
        }
    }

    /// Tasks filed into one folder of the library.
    public func tasks(inFolder folder: String, manifest: String) throws -> [TaskRecord] {
        try writer.read { db in
            try TaskRecord.filter(TaskRecord.Columns.output == folder && TaskRecord.Columns.manifest == manifest)
                .order(TaskRecord.Columns.createdAt, TaskRecord.Columns.key).fetchAll(db)
        }
    }

    /// What a folder's `metadata.json` is made of: its tasks, their extra items and files, and
    /// their parents, read in one transaction (one consistent moment, one read for the folder).
    public func folderRecords(_ folder: String, manifest: String) throws -> FolderRecords {
        try writer.read { db in
            // Statements compiled once per connection: a folder is read twice per task.
            let arguments: StatementArguments = [folder, manifest]
            let tasks = try TaskRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM task WHERE output = ? AND manifest = ? ORDER BY createdAt, key"),
                                                arguments: arguments)
            let extras = Dictionary(grouping: try ExtraItemRecord.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM extraItem WHERE taskKey IN (SELECT key FROM task WHERE output = ? AND manifest = ?) ORDER BY ordinal
                """), arguments: arguments), by: \.taskKey)
            let files = Dictionary(grouping: try FileRecord.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM file WHERE taskKey IN (SELECT key FROM task WHERE output = ? AND manifest = ?) ORDER BY path
                """), arguments: arguments), by: \.taskKey)
            var parents: [String: TaskRecord] = [:]
            for parent in Set(tasks.flatMap(\.parentKeys)) { parents[parent] = try Self.task(db, parent) }
            return FolderRecords(tasks: tasks, extraItems: extras, files: files, parents: parents)
        }
    }

    /// ``folderRecords(_:manifest:)`` of many folders at once, in one read of the manifest's
    /// tasks, extra items and files (three statements, not three per folder). A folder without
    /// tasks of the manifest is absent from the answer.
    public func folderRecords(_ folders: Set<String>, manifest: String) throws -> [String: FolderRecords] {
        try writer.read { db in
            let all = try TaskRecord.fetchAll(db, sql: "SELECT * FROM task WHERE manifest = ? ORDER BY createdAt, key", arguments: [manifest])
            let byKey = Dictionary(all.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            let tasks = Dictionary(grouping: all.filter { folders.contains($0.output) }, by: \.output)
            let extras = Dictionary(grouping: try ExtraItemRecord.fetchAll(db, sql: """
                SELECT extraItem.* FROM extraItem JOIN task ON task.key = extraItem.taskKey WHERE task.manifest = ? ORDER BY extraItem.ordinal
                """, arguments: [manifest]), by: \.taskKey)
            let files = Dictionary(grouping: try FileRecord.fetchAll(db, sql: """
                SELECT file.* FROM file JOIN task ON task.key = file.taskKey WHERE task.manifest = ? ORDER BY file.path
                """, arguments: [manifest]), by: \.taskKey)
            var answer: [String: FolderRecords] = [:]
            for (folder, members) in tasks {
                var parents: [String: TaskRecord] = [:]
                for parent in Set(members.flatMap(\.parentKeys)) { parents[parent] = try byKey[parent] ?? Self.task(db, parent) }
                let keys = members.map(\.key)
                answer[folder] = FolderRecords(tasks: members, extraItems: extras.picking(keys), files: files.picking(keys), parents: parents)
            }
            return answer
        }
    }

    /// How many create calls got an item id during a run.
    public func submissions(inRun run: Int64) throws -> Int {
        try writer.read { db in
            try EventRecord.filter(Column("runID") == run && Column("toState") == TaskState.submitted.rawValue).fetchCount(db)
        }
    }

    /// Further items (beyond the first) made by the creates of a run.
    public func extraItemsCreated(inRun run: Int64) throws -> Int {
        try writer.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM extraItem WHERE taskKey IN
                  (SELECT taskKey FROM event WHERE runID = ? AND toState = 'submitted')
                """, arguments: [run]) ?? 0
        }
    }

    /// Tasks of a manifest in these states.
    public func tasks(manifest: String, states: [TaskState]) throws -> [TaskRecord] {
        try writer.read { db in
            try TaskRecord.filter(TaskRecord.Columns.manifest == manifest && states.map(\.rawValue).contains(TaskRecord.Columns.state))
                .order(TaskRecord.Columns.createdAt, TaskRecord.Columns.key).fetchAll(db)
        }
    }

    public func allTasks(manifest: String? = nil) throws -> [TaskRecord] {
        try writer.read { db in
            var request = TaskRecord.all()
            if let manifest { request = request.filter(TaskRecord.Columns.manifest == manifest) }
            return try request.order(TaskRecord.Columns.createdAt, TaskRecord.Columns.key).fetchAll(db)
        }
    }

    /// A task found in `submitting` when a run starts was interrupted between committing its
    /// intent and learning the outcome: it becomes `ambiguous`, never resubmitted silently.
    public func markInterruptedSubmissionsAmbiguous(run: Int64) throws -> [TaskRecord] {
        let at = now()
        return try write { db in
            let stuck = try TaskRecord.filter(TaskRecord.Columns.state == TaskState.submitting.rawValue).fetchAll(db)
            return try stuck.map { task in
                try Self.apply(db, task, to: .ambiguous, run: run, at: at, actor: "startup",
                               detail: "found in submitting at start-up: the create call may have been paid for", error: nil) { _ in }
            }
        }
    }

    /// Records the intent to submit. Committed before the create call is made. Refused unless
    /// the task provably has no live work at the provider: `pending`, `blocked` or `cancelled`
    /// without an item id, `failed` (nothing was billed), or `ambiguous` when `consented`
    /// (the user passed `--resubmit-ambiguous` for this run).
    /// `account` is the fingerprint of the key the create is sent with.
    public func recordSubmitting(_ key: String, run: Int64, consented: Bool = false, detail: String? = nil, account: String? = nil) throws -> TaskRecord {
        let at = now()
        return try write { db in
            guard let task = try Self.task(db, key) else { throw LedgerError.unknownTask(key) }
            let allowed: Bool
            switch task.state {
            case .pending, .blocked, .cancelled: allowed = task.itemID == nil
            case .failed: allowed = true
            case .ambiguous: allowed = consented
            case .submitting, .submitted, .running, .succeeded, .partFailed, .downloaded: allowed = false
            }
            guard allowed else { throw LedgerError.notSubmittable(key, task.state) }
            try Self.deleteExtraItems(db, of: key)
            return try Self.apply(db, task, to: .submitting, run: run, at: at, actor: task.state == .ambiguous ? "user" : "runner",
                                  detail: detail ?? "create call about to be sent", error: nil) { record in
                record.attempts += 1
                record.error = nil
                record.itemID = nil
                record.account = account
            }
        }
    }

    /// The create of a task in `submitting` goes out with another key than recorded (its first
    /// key answered "too many tasks"): recorded before it is sent.
    public func recordAccount(_ key: String, account: String?) throws {
        try write { db in
            try db.execute(sql: "UPDATE task SET account = ? WHERE key = ? AND state = ?", arguments: [account, key, TaskState.submitting.rawValue])
        }
    }

    /// Records the item id the provider answered (the first; further ids of the same create are
    /// kept as extra items of the task). Committed before anything else happens.
    public func recordSubmitted(_ key: String, itemID: String, extraItemIDs: [String] = [], run: Int64, detail: String? = nil) throws -> TaskRecord {
        let at = now()
        return try write { db in
            guard let task = try Self.task(db, key) else { throw LedgerError.unknownTask(key) }
            try Self.deleteExtraItems(db, of: key)
            for (offset, extra) in extraItemIDs.enumerated() {
                try ExtraItemRecord(taskKey: key, ordinal: offset + 2, itemID: extra).insert(db)
            }
            return try Self.apply(db, task, to: .submitted, run: run, at: at, actor: "runner", detail: detail ?? "item \(itemID)", error: nil) {
                $0.itemID = itemID
            }
        }
    }

    /// The further items of the task's create, by ordinal.
    public func extraItems(of key: String) throws -> [ExtraItemRecord] {
        try writer.read { db in
            try ExtraItemRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM extraItem WHERE taskKey = ? ORDER BY ordinal"), arguments: [key])
        }
    }

    /// Stores the provider's answer for an extra item. Deferred.
    public func recordExtraResult(_ key: String, ordinal: Int, result: String, final: Bool) throws {
        try write(.deferred) { db in
            try db.execute(sql: "UPDATE extraItem SET result = ?, final = ? WHERE taskKey = ? AND ordinal = ?",
                           arguments: [result, final, key, ordinal])
        }
    }

    /// A create whose answer was lost (or that was found in `submitting`) made this item, on
    /// the provider's evidence: the task adopts it instead of paying again. Refused unless the
    /// task is `submitting` or `ambiguous`.
    public func recordAdopted(_ key: String, itemID: String, evidence: String, run: Int64) throws -> TaskRecord {
        let at = now()
        return try write { db in
            guard let task = try Self.task(db, key) else { throw LedgerError.unknownTask(key) }
            guard task.state == .submitting || task.state == .ambiguous else { throw LedgerError.notAdoptable(key, task.state) }
            return try Self.apply(db, task, to: .submitted, run: run, at: at, actor: "reconciler",
                                  detail: "adopted item \(itemID) on evidence: \(evidence)", error: nil) { record in
                record.itemID = itemID
                record.error = nil
            }
        }
    }

    /// Appends an event without changing the state: evidence the runner acted on (e.g. that a
    /// lost create made nothing, so it was sent again).
    public func recordEvidence(_ key: String, detail: String, run: Int64) throws {
        let at = now()
        try write { db in
            guard let task = try Self.task(db, key) else { throw LedgerError.unknownTask(key) }
            var event = EventRecord(id: nil, taskKey: key, runID: run, at: at, actor: "reconciler", fromState: task.state,
                                    toState: task.state, attempt: task.attempts, detail: detail, error: nil)
            try event.insert(db)
        }
    }

    /// When the task's latest create call was about to be sent (its last `submitting` event).
    public func lastSubmission(of key: String) throws -> Date? {
        try writer.read { db in
            try EventRecord.filter(Column("taskKey") == key && Column("toState") == TaskState.submitting.rawValue)
                .order(Column("id").desc).fetchOne(db)?.at
        }
    }

    /// Every item id the ledger holds for tasks of these kinds (what a reconciliation must not
    /// adopt a second time).
    public func itemIDs(kinds: [String]) throws -> Set<String> {
        try writer.read { db in
            let ids = try String.fetchAll(db, TaskRecord.select(Column("itemID"))
                .filter(kinds.contains(Column("kind")) && Column("itemID") != nil))
            let extras = try String.fetchAll(db, sql: """
                SELECT extraItem.itemID FROM extraItem JOIN task ON task.key = extraItem.taskKey
                WHERE task.kind IN (\(kinds.map { _ in "?" }.joined(separator: ",")))
                """, arguments: StatementArguments(kinds))
            return Set(ids).union(extras)
        }
    }

    /// Deferred (see Durability): a lost `running` is polled again.
    public func recordRunning(_ key: String, result: String?, run: Int64) throws -> TaskRecord {
        try transition(key, to: .running, run: run, detail: nil, durability: .deferred) { record in
            if let result { record.result = result }
        }
    }

    /// The provider finished: `succeeded` or `part_failed`, with its answer. Deferred: a lost
    /// one is polled again.
    public func recordGenerated(_ key: String, state: TaskState, result: String, detail: String?, run: Int64) throws -> TaskRecord {
        precondition(state == .succeeded || state == .partFailed, "recordGenerated takes succeeded or part_failed")
        return try transition(key, to: state, run: run, detail: detail, durability: .deferred) { $0.result = result; $0.error = nil }
    }

    /// Stores a fresher provider answer (new signed URLs) without changing the state. Deferred.
    public func recordResult(_ key: String, result: String) throws {
        let at = now()
        try write(.deferred) { db in
            guard var task = try Self.task(db, key) else { return }
            task.result = result
            task.updatedAt = at
            try task.update(db)
        }
    }

    public func recordFailed(_ key: String, reason: String, run: Int64) throws -> TaskRecord {
        try transition(key, to: .failed, run: run, detail: nil, error: reason) { $0.error = reason }
    }

    public func recordBlocked(_ key: String, reason: String, run: Int64) throws -> TaskRecord {
        try transition(key, to: .blocked, run: run, detail: nil, error: reason) { $0.error = reason }
    }

    public func recordAmbiguous(_ key: String, reason: String, run: Int64) throws -> TaskRecord {
        try transition(key, to: .ambiguous, run: run, detail: nil, error: reason) { $0.error = reason }
    }

    /// Back to `pending`: a create that provably created nothing (budget stop, refused call),
    /// or an ambiguous task the user chose to pay for again.
    public func recordPending(_ key: String, reason: String, run: Int64, actor: String = "runner") throws -> TaskRecord {
        try transition(key, to: .pending, run: run, detail: reason, actor: actor) { $0.error = nil; $0.itemID = nil }
    }

    /// All files of the task are in place and verified. Deferred: the files themselves are
    /// synced; a lost record only means they are checked (and fetched if absent) again.
    public func recordDownloaded(_ key: String, files: [FileRecord], run: Int64) throws -> TaskRecord {
        let at = now()
        return try write(.deferred) { db in
            guard let task = try Self.task(db, key) else { throw LedgerError.unknownTask(key) }
            try Self.deleteFiles(db, of: key)
            for file in files { try file.insert(db) }
            return try Self.apply(db, task, to: .downloaded, run: run, at: at, actor: "runner",
                                  detail: "\(files.count) file(s)", error: nil) { _ in }
        }
    }

    /// Forgets that the task's files were downloaded (one is missing or corrupt); the task goes
    /// back to its generated state so the next step downloads again.
    public func recordFilesMissing(_ key: String, reason: String, run: Int64?) throws -> TaskRecord {
        let at = now()
        return try write { db in
            guard let task = try Self.task(db, key) else { throw LedgerError.unknownTask(key) }
            let events = try EventRecord.filter(Column("taskKey") == key && Column("toState") != TaskState.downloaded.rawValue)
                .order(Column("id").desc).fetchAll(db)
            let generated = events.first { $0.toState == .succeeded || $0.toState == .partFailed }?.toState ?? .succeeded
            try Self.deleteFiles(db, of: key)
            return try Self.apply(db, task, to: generated, run: run, at: at, actor: "runner", detail: reason, error: nil) { _ in }
        }
    }

    /// The recorded files of these tasks, by task key (one read, in chunks).
    public func files(ofKeys keys: [String]) throws -> [String: [FileRecord]] {
        try writer.read { db in
            var result: [String: [FileRecord]] = [:]
            for start in stride(from: 0, to: keys.count, by: 500) {
                let chunk = Array(keys[start..<min(keys.count, start + 500)])
                for file in try FileRecord.filter(chunk.contains(Column("taskKey"))).order(Column("path")).fetchAll(db) {
                    result[file.taskKey, default: []].append(file)
                }
            }
            return result
        }
    }

    /// The recorded files of these tasks for a resume's `stat` check: everything but
    /// `createdAt`, which is not read (it is the epoch in the answer).
    public func fileHeads(ofKeys keys: [String]) throws -> [String: [FileRecord]] {
        try writer.read { db in
            var result: [String: [FileRecord]] = [:]
            for start in stride(from: 0, to: keys.count, by: 500) {
                let chunk = Array(keys[start..<min(keys.count, start + 500)])
                let sql = """
                    SELECT taskKey, path, size, sha256, 0 AS createdAt, mtime, inode FROM file
                    WHERE taskKey IN (\(chunk.map { _ in "?" }.joined(separator: ","))) ORDER BY path
                    """
                for file in try FileRecord.fetchAll(db, sql: sql, arguments: StatementArguments(chunk)) {
                    result[file.taskKey, default: []].append(file)
                }
            }
            return result
        }
    }

    /// A file was hashed again and found as recorded: remember its current mtime and inode.
    /// Deferred: a lost stat only means the file is hashed again.
    public func recordFileStats(_ files: [FileRecord]) throws {
        try write(.deferred) { db in
            for file in files {
                try db.execute(sql: "UPDATE file SET mtime = ?, inode = ? WHERE taskKey = ? AND path = ?",
                               arguments: [file.mtime, file.inode, file.taskKey, file.path])
            }
        }
    }

    public func files(of key: String) throws -> [FileRecord] {
        try writer.read { db in try FileRecord.filter(Column("taskKey") == key).order(Column("path")).fetchAll(db) }
    }

    /// Credits committed since `start` (by every manifest, or one): each create call that was
    /// answered with an item (`submitting → submitted`) or may have been paid
    /// (`submitting → ambiguous`), at its task's price. Creates that provably made nothing are
    /// not counted; a lost create that was later sent again counts twice (it may have been paid).
    public func creditsCommitted(since start: Date, manifest: String? = nil) throws -> Double {
        try writer.read { db in
            try Double.fetchOne(db, sql: """
                SELECT COALESCE(SUM(task.cost), 0) FROM event JOIN task ON task.key = event.taskKey
                WHERE event.fromState = 'submitting' AND event.toState IN ('submitted', 'ambiguous') AND event.at >= ?
                """ + (manifest == nil ? "" : " AND task.manifest = ?"),
                arguments: manifest.map { [start, $0] } ?? [start]) ?? 0
        }
    }

    /// When the provider first reported the task's work done (its first event into
    /// `succeeded` or `part_failed`): the generation date, which later repairs do not move.
    public func generatedAt(_ key: String) throws -> Date? {
        try writer.read { db in
            try Date.fetchOne(db, sql: """
                SELECT at FROM event WHERE taskKey = ? AND toState IN ('succeeded', 'part_failed') ORDER BY id LIMIT 1
                """, arguments: [key])
        }
    }

    public func events(of key: String) throws -> [EventRecord] {
        try writer.read { db in try EventRecord.filter(Column("taskKey") == key).order(Column("id")).fetchAll(db) }
    }

    // MARK: Recovery

    /// A task as the library's `metadata.json` recorded it, to be taken back in.
    public struct Recovered: Sendable {
        public var task: TaskRecord
        public var files: [FileRecord]
        public var extras: [ExtraItemRecord]

        public init(task: TaskRecord, files: [FileRecord], extras: [ExtraItemRecord]) {
            self.task = task
            self.files = files
            self.extras = extras
        }
    }

    /// Takes in tasks as the library recorded them (state, item ids, result, files), each with
    /// an event naming where it came from, in one transaction. Tasks the ledger already knows
    /// are left alone. No provider is asked: the library is the ledger's second copy. Answers
    /// how many were taken in.
    @discardableResult
    public func recover(_ entries: [Recovered], source: String, run: Int64?) throws -> Int {
        let at = now()
        return try write { db in
            var taken = 0
            for entry in entries {
                guard try Self.task(db, entry.task.key) == nil else { continue }
                try entry.task.insert(db)
                for file in entry.files { try file.insert(db) }
                for extra in entry.extras { try extra.insert(db) }
                var event = EventRecord(id: nil, taskKey: entry.task.key, runID: run, at: at, actor: "rebuild", fromState: nil,
                                        toState: entry.task.state, attempt: entry.task.attempts, detail: "recovered from \(source)", error: nil)
                try event.insert(db)
                taken += 1
            }
            return taken
        }
    }

    // MARK: Transitions

    private func transition(
        _ key: String, to state: TaskState, run: Int64?, detail: String?, error: String? = nil, actor: String = "runner",
        durability: Durability = .durable, _ change: (inout TaskRecord) -> Void
    ) throws -> TaskRecord {
        let at = now()
        return try write(durability) { db in
            guard let task = try Self.task(db, key) else { throw LedgerError.unknownTask(key) }
            return try Self.apply(db, task, to: state, run: run, at: at, actor: actor, detail: detail, error: error, change)
        }
    }

    /// The task of this key, through a statement compiled once per connection (the hot paths
    /// read a task in every write; GRDB compiles a query-interface request anew each time).
    private static func task(_ db: Database, _ key: String) throws -> TaskRecord? {
        try TaskRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM task WHERE key = ?"), arguments: [key])
    }

    private static func deleteExtraItems(_ db: Database, of key: String) throws {
        try db.cachedStatement(sql: "DELETE FROM extraItem WHERE taskKey = ?").execute(arguments: [key])
    }

    private static func deleteFiles(_ db: Database, of key: String) throws {
        try db.cachedStatement(sql: "DELETE FROM file WHERE taskKey = ?").execute(arguments: [key])
    }

    private static func apply(
        _ db: Database, _ task: TaskRecord, to state: TaskState, run: Int64?, at: Date, actor: String,
        detail: String?, error: String?, _ change: (inout TaskRecord) -> Void
    ) throws -> TaskRecord {
        var updated = task
        change(&updated)
        updated.state = state
        updated.updatedAt = at
        try updated.update(db)
        var event = EventRecord(id: nil, taskKey: task.key, runID: run, at: at, actor: actor, fromState: task.state,
                                toState: state, attempt: updated.attempts, detail: detail, error: error)
        try event.insert(db)
        return updated
    }
}

/// The `synchronous` level the ledger's writer connection was last set to (nil: not known).
private final class SyncLevel: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Ledger.Durability?

    /// Records `level` as the current one and returns the one before.
    func swap(_ level: Ledger.Durability) -> Ledger.Durability? {
        lock.withLock {
            defer { current = level }
            return current
        }
    }

    /// After a failed set: the level is not known, the next write sets it.
    func forget() {
        lock.withLock { current = nil }
    }
}

/// See ``Ledger/folderRecords(_:manifest:)``.
public struct FolderRecords: Sendable, Equatable {
    public let tasks: [TaskRecord]
    public let extraItems: [String: [ExtraItemRecord]]
    public let files: [String: [FileRecord]]
    public let parents: [String: TaskRecord]
}

extension Dictionary where Key == String {
    /// The entries of these keys (a key without one is left out).
    func picking(_ keys: [String]) -> [String: Value] {
        var picked: [String: Value] = [:]
        for key in keys { picked[key] = self[key] }
        return picked
    }
}

/// See ``Ledger/balanceProofFigures()``.
public struct BalanceProofFigures: Sendable {
    /// The earliest run an ambiguous task became ambiguous in.
    public let sinceRun: Int64
    public let balanceAtStart: Double
    /// Prices of every create answered with an item since that run began.
    public let answeredCost: Double
    /// Every ambiguous task, with its price.
    public let ambiguous: [(key: String, cost: Double)]
}

/// The ledger file failed SQLite's integrity check (or could not be read as a database). It is
/// left exactly as it was.
public struct LedgerDamage: Error, CustomStringConvertible {
    public let path: String
    public let detail: String

    public var description: String { "the ledger at \(path) is damaged (\(detail))" }
}

public enum LedgerError: Error, CustomStringConvertible {
    case unknownTask(String)
    case notSubmittable(String, TaskState)
    case notAdoptable(String, TaskState)

    public var description: String {
        switch self {
        case .unknownTask(let key): "the ledger has no task \(key)"
        case .notSubmittable(let key, let state): "task \(key.prefix(12)) is \(state.rawValue); submitting it again could pay twice"
        case .notAdoptable(let key, let state): "task \(key.prefix(12)) is \(state.rawValue); only a submitting or ambiguous task adopts an item"
        }
    }
}
