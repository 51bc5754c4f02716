import Foundation
import GRDB
import Testing
@testable import BatchLedger

@Suite("The ledger")
struct LedgerTests {
    @Test func aLedgerOfTheLastVersionKeepsEveryRowAndTakesCoverAndMIDITasks() throws {
        let queue = try DatabaseQueue()
        try Ledger.migrator.migrate(queue, upTo: "v2: file stats, extra items")
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO run (manifest, startedAt, creditsSpent) VALUES ('old', ?, 30)", arguments: [at])
            try db.execute(sql: """
                INSERT INTO task (key, manifest, job, kind, output, fileStem, state, request, parents, provider, itemID, attempts, cost, createdAt, updatedAt)
                VALUES ('k1', 'old', 'j', 'song', 'old/j', 'song', 'downloaded', '{}', '[]', 'tempolor', 'song_1', 1, 30, ?, ?)
                """, arguments: [at, at])
            try db.execute(sql: "INSERT INTO event (taskKey, runID, at, actor, toState, attempt) VALUES ('k1', 1, ?, 'runner', 'downloaded', 1)", arguments: [at])
            try db.execute(sql: "INSERT INTO file (taskKey, path, size, sha256, createdAt) VALUES ('k1', 'old/j/song.mp3', 3, 'abc', ?)", arguments: [at])
        }
        let ledger = try Ledger(queue)
        #expect(try ledger.task("k1")?.itemID == "song_1")
        #expect(try ledger.events(of: "k1").count == 1)
        #expect(try ledger.files(of: "k1").map(\.path) == ["old/j/song.mp3"])
        // The new kinds are accepted; an unknown one is still refused.
        try ledger.register(["cover", "midi"].map { kind in
            TaskRecord(key: "k-\(kind)", manifest: "new", job: "j", kind: kind, output: "new/j", fileStem: kind, request: "{}", parents: ["k1"],
                       provider: "tempolor", cost: 10, now: at)
        })
        #expect(try ledger.task("k-midi")?.kind == "midi")
        #expect(throws: (any Error).self) {
            try ledger.register([TaskRecord(key: "k-x", manifest: "new", job: "j", kind: "karaoke", output: "new/j", fileStem: "x", request: "{}",
                                            parents: [], provider: "tempolor", cost: 1, now: at)])
        }
        // The schema still refuses edits to events, and still knows the indexes.
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "DELETE FROM event") } }
        let indexes = try queue.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'task'") }
        #expect(Set(indexes).isSuperset(of: ["task_on_manifest", "task_on_output", "task_on_state"]), "\(indexes)")
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM pragma_foreign_key_check") } == 0)
    }

    func task(_ key: String, now: Date = Date()) -> TaskRecord {
        TaskRecord(key: key, manifest: "m", job: "j", kind: "song", output: "m/j/v1", fileStem: "song",
                   request: #"{"prompt":"x"}"#, parents: [], provider: "tempolor", cost: 30, now: now)
    }

    func temporaryLedger() throws -> (Ledger, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)/.tempo-batch/ledger.sqlite").path
        return (try Ledger.open(at: path), path)
    }

    /// A ledger written before keys were pooled: its items have no recorded key (the runner
    /// reads that as the first key), and new intents record theirs.
    @Test func aLedgerFromBeforeKeyPoolsGainsTheAccountColumnAndKeepsItsItems() throws {
        let queue = try DatabaseQueue()
        try Ledger.migrator.migrate(queue, upTo: "v3: cover and midi tasks")
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO task (key, manifest, job, kind, output, fileStem, state, request, parents, provider, itemID, attempts, cost, createdAt, updatedAt)
                VALUES ('old', 'm', 'j', 'song', 'm/j', 'song', 'submitted', '{}', '[]', 'tempolor', 'song_7', 1, 30, ?, ?)
                """, arguments: [at, at])
        }
        let ledger = try Ledger(queue)
        let old = try #require(try ledger.task("old"))
        #expect(old.state == .submitted && old.itemID == "song_7" && old.account == nil)
        try ledger.register([task("new")])
        let run = try ledger.beginRun(manifest: "m")
        _ = try ledger.recordSubmitting("new", run: run, account: "key:0123456789ab")
        #expect(try ledger.task("new")?.account == "key:0123456789ab")
        // A retry with another key (the first refused: nothing was created) is recorded before it is sent.
        try ledger.recordAccount("new", account: "key:ba9876543210")
        #expect(try ledger.task("new")?.account == "key:ba9876543210")
        _ = try ledger.recordSubmitted("new", itemID: "song_8", run: run)
        // Once the item exists, its key is no longer changed.
        try ledger.recordAccount("new", account: "key:000000000000")
        #expect(try ledger.task("new")?.account == "key:ba9876543210")
    }

    @Test func opensInWALModeAndMigrates() throws {
        let (_, path) = try temporaryLedger()
        let queue = try DatabaseQueue(path: path)
        let mode = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let tables = try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
        #expect(Set(tables).isSuperset(of: ["event", "file", "run", "task", "grdb_migrations"]))
        // Opening again runs no migration twice.
        _ = try Ledger.open(at: path)
    }

    @Test func registeringKeepsKnownStatesAndTakesNewFolders() throws {
        let ledger = try Ledger.inMemory()
        try ledger.register([task("a"), task("b")])
        let run = try ledger.beginRun(manifest: "m")
        _ = try ledger.recordSubmitting("a", run: run)
        _ = try ledger.recordSubmitted("a", itemID: "song_1", run: run)
        var moved = task("a")
        moved.output = "m/renamed/v1"
        moved.job = "renamed"
        try ledger.register([moved, task("c")])
        let a = try #require(try ledger.task("a"))
        #expect(a.state == .submitted && a.itemID == "song_1" && a.output == "m/renamed/v1" && a.job == "renamed")
        #expect(try ledger.allTasks().count == 3)
    }

    /// The run's end refreshes every folder's metadata from one read: it must give each folder
    /// what the folder's own read gives (tasks in order, extra items, files, parents from any folder).
    @Test func manyFoldersReadAtOnceMatchEachFolderReadAlone() throws {
        let ledger = try Ledger.inMemory()
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        func member(_ key: String, _ output: String, parents: [String] = [], manifest: String = "m", second: Double) -> TaskRecord {
            TaskRecord(key: key, manifest: manifest, job: "j", kind: "song", output: output, fileStem: key, request: #"{"prompt":"x"}"#,
                       parents: parents, provider: "tempolor", cost: 30, now: at.addingTimeInterval(second))
        }
        try ledger.register([member("a", "m/one", second: 2), member("b", "m/one", parents: ["a"], second: 1), member("c", "m/two", parents: ["a"], second: 3),
                             member("d", "m/three", second: 4), member("x", "m/one", manifest: "other", second: 5)])
        let run = try ledger.beginRun(manifest: "m")
        _ = try ledger.recordSubmitting("a", run: run)
        _ = try ledger.recordSubmitted("a", itemID: "song_1", extraItemIDs: ["song_2"], run: run)
        _ = try ledger.recordGenerated("a", state: .succeeded, result: "{}", detail: nil, run: run)
        _ = try ledger.recordDownloaded("a", files: [FileRecord(taskKey: "a", path: "m/one/a.mp3", size: 3, sha256: "abc", createdAt: at),
                                                     FileRecord(taskKey: "a", path: "m/one/a-2.mp3", size: 4, sha256: "def", createdAt: at)], run: run)
        let many = try ledger.folderRecords(["m/one", "m/two", "m/none"], manifest: "m")
        #expect(Set(many.keys) == ["m/one", "m/two"])
        for folder in ["m/one", "m/two"] {
            #expect(many[folder] == (try ledger.folderRecords(folder, manifest: "m")), "\(folder)")
        }
        #expect(many["m/one"]?.tasks.map(\.key) == ["b", "a"])
        #expect(many["m/one"]?.files["a"]?.map(\.path) == ["m/one/a-2.mp3", "m/one/a.mp3"])
        #expect(many["m/one"]?.extraItems["a"]?.map(\.itemID) == ["song_2"])
        #expect(many["m/two"]?.parents["a"]?.itemID == "song_1")
    }

    @Test func everyTransitionAppendsAnEvent() throws {
        let ledger = try Ledger.inMemory()
        try ledger.register([task("a")])
        let run = try ledger.beginRun(manifest: "m")
        _ = try ledger.recordSubmitting("a", run: run)
        _ = try ledger.recordSubmitted("a", itemID: "song_1", run: run)
        _ = try ledger.recordRunning("a", result: nil, run: run)
        _ = try ledger.recordGenerated("a", state: .partFailed, result: "{}", detail: nil, run: run)
        _ = try ledger.recordDownloaded("a", files: [FileRecord(taskKey: "a", path: "m/j/v1/song.mp3", size: 3, sha256: "abc", createdAt: Date())], run: run)
        let events = try ledger.events(of: "a")
        #expect(events.map(\.toState) == [.submitting, .submitted, .running, .partFailed, .downloaded])
        #expect(events.map(\.fromState) == [.pending, .submitting, .submitted, .running, .partFailed])
        #expect(events.allSatisfy { $0.runID == run && $0.attempt == 1 })
        #expect(try ledger.files(of: "a").count == 1)
    }

    /// The writes between the runner and a payment are synced before they return; progress that
    /// can be redone without paying is committed and synced with the next durable write.
    @Test func moneyWritesAreDurableAndRedoableProgressIsDeferred() throws {
        let (ledger, path) = try temporaryLedger()
        try ledger.register([task("a"), task("b")])
        let run = try ledger.beginRun(manifest: "m")
        let full = 2, normal = 1
        func level(after write: () throws -> Void) throws -> Int {
            try write()
            return try ledger.synchronousLevel()
        }
        let file = FileRecord(taskKey: "a", path: "m/j/v1/song.mp3", size: 3, sha256: "abc", createdAt: Date())
        #expect(try level { _ = try ledger.recordSubmitting("a", run: run, account: "key:0123456789ab") } == full)
        #expect(try level { _ = try ledger.recordSubmitted("a", itemID: "song_1", run: run) } == full)
        #expect(try level { _ = try ledger.recordRunning("a", result: nil, run: run) } == normal)
        #expect(try level { try ledger.recordResult("a", result: "{}") } == normal)
        #expect(try level { _ = try ledger.recordGenerated("a", state: .succeeded, result: "{}", detail: nil, run: run) } == normal)
        #expect(try level { _ = try ledger.recordDownloaded("a", files: [file], run: run) } == normal)
        #expect(try level { try ledger.recordFileStats([file]) } == normal)
        // Every write sets its own level: the next durable write after deferred ones is synced.
        #expect(try level { _ = try ledger.recordSubmitting("b", run: run) } == full)
        #expect(try level { _ = try ledger.recordPending("b", reason: "refused: nothing created", run: run) } == full)
        #expect(try level { try ledger.finishRun(run, exitCode: 0, creditsSpent: 30, report: nil) } == full)
        // Deferred writes are committed: a second connection (another process) sees them.
        let other = try Ledger.open(at: path)
        #expect(try other.task("a")?.state == .downloaded)
        #expect(try other.files(of: "a").count == 1)
    }

    @Test func eventsAreAppendOnly() throws {
        let (ledger, path) = try temporaryLedger()
        try ledger.register([task("a")])
        _ = try ledger.recordSubmitting("a", run: try ledger.beginRun(manifest: "m"))
        let queue = try DatabaseQueue(path: path)
        for sql in ["UPDATE event SET detail = 'x'", "DELETE FROM event"] {
            let error = #expect(throws: DatabaseError.self) { try queue.write { db in try db.execute(sql: sql) } }
            #expect(error?.resultCode == .SQLITE_CONSTRAINT, "\(sql): \(String(describing: error))")
        }
    }

    @Test func theSchemaRefusesUnknownStates() throws {
        let (ledger, path) = try temporaryLedger()
        try ledger.register([task("a")])
        let queue = try DatabaseQueue(path: path)
        let error = #expect(throws: DatabaseError.self) { try queue.write { db in try db.execute(sql: "UPDATE task SET state = 'done'") } }
        #expect(error?.resultCode == .SQLITE_CONSTRAINT, "\(String(describing: error))")
    }

    @Test func submittingAtStartUpBecomesAmbiguous() throws {
        let ledger = try Ledger.inMemory()
        try ledger.register([task("a"), task("b")])
        let first = try ledger.beginRun(manifest: "m")
        _ = try ledger.recordSubmitting("a", run: first)
        let second = try ledger.beginRun(manifest: "m")
        let changed = try ledger.markInterruptedSubmissionsAmbiguous(run: second)
        #expect(changed.map(\.key) == ["a"])
        #expect(try ledger.task("a")?.state == .ambiguous)
        #expect(try ledger.events(of: "a").last?.actor == "startup")
        #expect(try ledger.task("b")?.state == .pending)
    }

    @Test func missingFilesSendATaskBackToItsGeneratedState() throws {
        let ledger = try Ledger.inMemory()
        try ledger.register([task("a")])
        let run = try ledger.beginRun(manifest: "m")
        _ = try ledger.recordSubmitting("a", run: run)
        _ = try ledger.recordSubmitted("a", itemID: "s", run: run)
        _ = try ledger.recordGenerated("a", state: .partFailed, result: "{}", detail: nil, run: run)
        _ = try ledger.recordDownloaded("a", files: [], run: run)
        let back = try ledger.recordFilesMissing("a", reason: "song.mp3 is missing", run: run)
        #expect(back.state == .partFailed)
        #expect(back.itemID == "s")
    }

    @Test func submittingAgainIsRefusedWhileWorkIsLive() throws {
        let ledger = try Ledger.inMemory()
        try ledger.register([task("a")])
        let run = try ledger.beginRun(manifest: "m")
        _ = try ledger.recordSubmitting("a", run: run)
        #expect(throws: LedgerError.self) { try ledger.recordSubmitting("a", run: run) }
        _ = try ledger.recordSubmitted("a", itemID: "s", run: run)
        #expect(throws: LedgerError.self) { try ledger.recordSubmitting("a", run: run) }
        _ = try ledger.recordAmbiguous("a", reason: "lost", run: run)
        #expect(throws: LedgerError.self) { try ledger.recordSubmitting("a", run: run) }
        let consented = try ledger.recordSubmitting("a", run: run, consented: true)
        #expect(consented.state == .submitting && consented.itemID == nil)
        #expect(try ledger.events(of: "a").last?.actor == "user")
    }

    @Test func readingManyKeysStaysUnderSQLitesParameterLimit() throws {
        let ledger = try Ledger.inMemory()
        let keys = (0..<1_200).map { "k\($0)" }
        try ledger.register(keys.map { task($0) })
        #expect(try ledger.tasks(keys: keys + ["absent"]).count == 1_200)
    }

    @Test func runsAreRecorded() throws {
        let ledger = try Ledger.inMemory()
        let run = try ledger.beginRun(manifest: "m")
        try ledger.finishRun(run, exitCode: 4, creditsSpent: 60, report: "m/_reports/x.md")
        let recorded = try #require(try ledger.runs().first)
        #expect(recorded.exitCode == 4 && recorded.creditsSpent == 60 && recorded.finishedAt != nil)
    }
}
