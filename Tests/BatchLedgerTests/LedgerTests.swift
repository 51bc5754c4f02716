import Foundation
import GRDB
import Testing
@testable import BatchLedger

@Suite("The ledger")
struct LedgerTests {
    func task(_ key: String, now: Date = Date()) -> TaskRecord {
        TaskRecord(key: key, manifest: "m", job: "j", kind: "song", output: "m/j/v1", fileStem: "song",
                   request: #"{"prompt":"x"}"#, parents: [], provider: "tempolor", cost: 30, now: now)
    }

    func temporaryLedger() throws -> (Ledger, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)/.tempo-batch/ledger.sqlite").path
        return (try Ledger.open(at: path), path)
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
