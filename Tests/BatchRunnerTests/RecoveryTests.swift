import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import GRDB
import Testing

/// Unattended nights: losing or damaging the ledger never pays again, several items per create
/// are all filed, the balance proves whether lost creates were paid, and a resume trusts an
/// unchanged `stat` while `verify` reads every byte.
@Suite("Recovery without paying twice")
struct RecoveryTests {
    static let songs = FailureTests.songs(3)

    func removeLedger(_ sim: RunnerHarness, backups: Bool) {
        let folder = sim.library.appendingPathComponent(".tempo-batch")
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(at: folder.appendingPathComponent("ledger.sqlite" + suffix)) }
        if backups { try? FileManager.default.removeItem(at: folder.appendingPathComponent("backups")) }
    }

    /// Every recorded file is present with its recorded size and SHA-256.
    func filesMatchTheirHashes(_ sim: RunnerHarness) throws -> Int {
        let ledger = try sim.ledger()
        var count = 0
        for task in try ledger.allTasks() {
            for file in try ledger.files(of: task.key) {
                let hashed = FileHash.sha256(of: sim.library.appendingPathComponent(file.path))
                #expect(hashed?.size == file.size && hashed?.sha256 == file.sha256, "\(file.path)")
                count += 1
            }
        }
        return count
    }

    @Test func aLostLedgerIsRefusedThenRebuiltFromTheLibraryWithoutACreate() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.songs)
            #expect(await sim.run(path).exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == 3)
            removeLedger(sim, backups: true)

            let refused = await sim.run(path)
            #expect(refused.exitCode == 2)
            #expect(refused.message?.contains("tempo-batch ledger rebuild") == true, "\(refused.message ?? "")")
            #expect(refused.message?.contains("--rebuild-ledger") == true)
            #expect(await sim.simulator.acceptedCreates == 3)

            let log = OutputLog()
            let rebuilt = await sim.run(path, log: log) { $0.missingLedger = .rebuild }
            #expect(rebuilt.exitCode == 0, "\(log.text)")
            #expect(log.text.contains("3 task(s) recovered from 3 metadata.json file(s), no provider call"))
            #expect(await sim.simulator.acceptedCreates == 3)
            #expect(try sim.ledger().allTasks().allSatisfy { $0.state == .downloaded })
            let events = try sim.ledger().allTasks().flatMap { try sim.ledger().events(of: $0.key) }
            #expect(events.contains { $0.actor == "rebuild" && $0.detail?.hasPrefix("recovered from") == true })
            #expect(try filesMatchTheirHashes(sim) > 0)
        }
    }

    /// What a crash between creating the ledger and committing its first migration leaves: an
    /// empty file, or one holding only the migrator's empty bookkeeping table (which GRDB
    /// commits before the first migration; the crash torture met it under load).
    @Test(arguments: [false, true])
    func aLedgerWhoseCreationWasCutShortCountsAsMissing(migratorTable: Bool) async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.songs)
            #expect(await sim.run(path).exitCode == 0)
            removeLedger(sim, backups: true)
            let ledger = LedgerFiles(root: sim.library).ledger
            #expect(FileManager.default.createFile(atPath: ledger, contents: Data()))
            if migratorTable {
                let queue = try DatabaseQueue(path: ledger)
                try await queue.write { db in try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)") }
                try queue.close()
                #expect(Ledger.check(at: ledger) == nil, "cut short, not damaged")
            }
            #expect(Ledger.isUninitialized(at: ledger))
            let refused = await sim.run(path)
            #expect(refused.exitCode == 2)
            #expect(refused.message?.contains("is missing, but the library") == true, "\(refused.message ?? "")")
            #expect(await sim.run(path) { $0.missingLedger = .rebuild }.exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == 3)
        }
    }

    @Test func workInFlightWhenTheLedgerWasLostIsPolledNotPaidAgain() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.songs)
            // The run stops right after its creates are answered (a short wait), leaving them submitted.
            let first = await sim.run(path) { $0.maxWait = .seconds(1) }
            #expect(first.exitCode == 1)
            #expect(try sim.ledger().allTasks().allSatisfy { $0.state == .submitted || $0.state == .running })
            removeLedger(sim, backups: true)
            let log = OutputLog()
            let rebuilt = await sim.run(path, log: log) { $0.missingLedger = .rebuild }
            #expect(rebuilt.exitCode == 0, "\(log.text)")
            #expect(await sim.simulator.acceptedCreates == 3)
            #expect(try sim.ledger().allTasks().allSatisfy { $0.state == .downloaded })
        }
    }

    @Test func aDamagedLedgerIsNeverChangedAndItsBackupIsOffered() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.songs)
            #expect(await sim.run(path).exitCode == 0)
            let files = LedgerFiles(root: sim.library)
            #expect(files.allBackups().count == 1)
            removeLedger(sim, backups: false)
            let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            try garbage.write(to: URL(fileURLWithPath: files.ledger))

            let refused = await sim.run(path)
            #expect(refused.exitCode == 2)
            let message = refused.message ?? ""
            #expect(message.contains("is damaged") && message.contains("left exactly as it is"), "\(message)")
            #expect(message.contains("tempo-batch ledger restore") && message.contains("tempo-batch ledger rebuild"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: files.ledger)) == garbage)
            #expect(await sim.simulator.acceptedCreates == 3)

            let restored = try files.restore(now: Date())
            #expect(restored.asideAt.map { FileManager.default.fileExists(atPath: $0) } == true)
            #expect(await sim.run(path).exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == 3)
        }
    }

    @Test func aRunClearsWhatAnInterruptedWriteLeft() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(FailureTests.songs(1))
            #expect(await sim.run(path).exitCode == 0)
            // What a SIGKILL leaves mid-download, mid-tagging, mid-metadata, mid-stems and mid-backup.
            let folder = sim.library.appendingPathComponent("f/s/1-v1")
            let strays = [folder.appendingPathComponent("song.mp3.part"), folder.appendingPathComponent("metadata.json.part"),
                          folder.appendingPathComponent(".song.mp3.part.tagging-0A1B2C3D-0000-4000-8000-000000000000"),
                          folder.appendingPathComponent(".stems-0123456789ab.zip"), folder.appendingPathComponent("stems/vocals.flac.part"),
                          LedgerFiles(root: sim.library).backups.appendingPathComponent("ledger-00000009.sqlite.part")]
            for stray in strays {
                try FileManager.default.createDirectory(at: stray.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data("half".utf8).write(to: stray)
            }
            let log = OutputLog()
            #expect(await sim.run(path, log: log).exitCode == 0)
            #expect(log.text.contains("removed 5 file(s) an interrupted write left"), "\(log.text)")
            #expect(strays.allSatisfy { !FileManager.default.fileExists(atPath: $0.path) })
            #expect(await sim.simulator.acceptedCreates == 1)
        }
    }

    @Test func backupsRotate() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(FailureTests.songs(1))
            for _ in 0..<5 { #expect(await sim.run(path).exitCode == 0) }
            let backups = LedgerFiles(root: sim.library).allBackups().map(\.lastPathComponent)
            #expect(backups == ["ledger-00000005.sqlite", "ledger-00000004.sqlite", "ledger-00000003.sqlite"])
            #expect(backups.allSatisfy { Ledger.check(at: LedgerFiles(root: sim.library).backups.appendingPathComponent($0).path) == nil })
        }
    }

    @Test func everyItemOfACreateIsTrackedFiledAndCounted() async throws {
        try await RunnerHarness.with(RunnerHarness.configuration { $0.itemsPerCreate = 2 }) { sim in
            let path = try sim.manifest(FailureTests.songs(2, extend: 30))
            let result = await sim.run(path)
            #expect(result.exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == 4)
            let files = sim.files()
            for folder in ["f/s/1-v1", "f/s/2-v1"] {
                for name in ["song.mp3", "song.wav", "song.lrc", "song-2.mp3", "song-2.wav", "song-2.lrc", "extend-1.mp3", "extend-1-2.mp3"] {
                    #expect(files.contains("\(folder)/\(name)"), "\(folder)/\(name) in \(files)")
                }
            }
            _ = try filesMatchTheirHashes(sim)
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: try #require(result.report).deletingPathExtension().appendingPathExtension("json"))) as? [String: Any]
            #expect(report?["submitted"] as? Int == 4)
            #expect(report?["itemsCreated"] as? Int == 8)
            let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: sim.library.appendingPathComponent("f/s/1-v1/metadata.json"))) as? [String: Any]
            let tasks = metadata?["tasks"] as? [[String: Any]] ?? []
            #expect(tasks.count == 2 && tasks.allSatisfy { ($0["extra_items"] as? [Any])?.count == 1 })
            // The further items survive a lost ledger too.
            removeLedger(sim, backups: true)
            #expect(await sim.run(path) { $0.missingLedger = .rebuild }.exitCode == 0)
            #expect(try sim.ledger().allTasks().allSatisfy { (try? sim.ledger().extraItems(of: $0.key).count) == 1 })
            #expect(await sim.simulator.acceptedCreates == 4)
        }
    }

    static let proofManifest = FailureTests.songs(3).replacingOccurrences(of: "name: f\n", with: "name: f\nambiguity: { balance_check: true }\n")

    @Test func theBalanceProvesALostCreateUnpaidAndItIsSentAgain() async throws {
        try await RunnerHarness.with { sim in
            // A gateway error: the create never reached the service, nothing was billed.
            await sim.simulator.inject(.http502, path: "/open-apis/v1/song/generate")
            let log = OutputLog()
            let result = await sim.run(try sim.manifest(Self.proofManifest), log: log)
            #expect(result.exitCode == 0, "\(log.text)")
            #expect(log.text.contains("balance proof: none of 1 ambiguous create(s) was paid"), "\(log.text)")
            #expect(await sim.simulator.acceptedCreates == 3)
            let events = try sim.ledger().allTasks().flatMap { try sim.ledger().events(of: $0.key) }
            #expect(events.contains { $0.actor == "balance-proof" && $0.toState == .pending })
        }
    }

    @Test func theBalanceShowsALostCreateWasPaidAndItStaysAmbiguous() async throws {
        try await RunnerHarness.with { sim in
            // The create was billed and made its item; only the answer was lost.
            await sim.simulator.inject(.lostAnswer, path: "/open-apis/v1/song/generate")
            let log = OutputLog()
            let path = try sim.manifest(Self.proofManifest)
            let result = await sim.run(path, log: log)
            #expect(result.exitCode == 4, "\(log.text)")
            #expect(log.text.contains("every ambiguous create was paid"), "\(log.text)")
            #expect(log.text.contains("30 unexplained"), "\(log.text)")
            #expect(await sim.simulator.acceptedCreates == 3)
            // The next night judges it again the same way: still nothing paid twice.
            #expect(await sim.run(path).exitCode == 4)
            #expect(await sim.simulator.acceptedCreates == 3)
        }
    }

    @Test func onAmbiguousResubmitFinishesWithoutAsking() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.inject(.lostAnswer, path: "/open-apis/v1/song/generate")
            let path = try sim.manifest(FailureTests.songs(2))
            #expect(await sim.run(path).exitCode == 4)
            try Self.songs.replacingOccurrences(of: "name: f\n", with: "name: f\nambiguity: { on_ambiguous: resubmit }\n")
                .replacingOccurrences(of: "1, 2, 3", with: "1, 2").write(toFile: path, atomically: true, encoding: .utf8)
            let log = OutputLog()
            let dry = await sim.run(path, log: log) { $0.dryRun = true }
            #expect(dry.exitCode == 0)
            #expect(log.text.contains("resubmit: "), "\(log.text)")
            #expect(await sim.run(path).exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == 3)
        }
    }

    @Test func aResumeTrustsAnUnchangedStatAndVerifyReadsEveryByte() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(FailureTests.songs(2))
            #expect(await sim.run(path).exitCode == 0)
            let ledger = try sim.ledger()
            let task = try #require(try ledger.allTasks().first)
            let mp3 = try #require(try ledger.files(of: task.key).first { $0.path.hasSuffix(".mp3") })
            let url = sim.library.appendingPathComponent(mp3.path)
            // Same size, same mtime, same inode, other bytes: a resume does not read it …
            let stat = try #require(FileStat.of(url.path))
            let handle = try FileHandle(forUpdating: url)
            try handle.seek(toOffset: UInt64(mp3.size / 2))
            try handle.write(contentsOf: Data([0x55, 0xAA, 0x55]))
            try handle.close()
            var times = [timespec(tv_sec: Int(stat.mtime), tv_nsec: Int((stat.mtime - Double(Int(stat.mtime))) * 1e9)),
                         timespec(tv_sec: Int(stat.mtime), tv_nsec: Int((stat.mtime - Double(Int(stat.mtime))) * 1e9))]
            #expect(utimensat(AT_FDCWD, url.path, &times, 0) == 0)
            #expect(FileStat.of(url.path) == stat)
            let log = OutputLog()
            #expect(await sim.run(path, log: log) { $0.dryRun = true }.exitCode == 0)
            #expect(log.text.contains("Totals: 2 song (2 tasks); 2 skip"), "\(log.text)")
            // … verify does, and --repair has the next run fetch it again without paying.
            let summary = try LibraryCheck.verify(ledger: ledger, root: sim.library, manifest: nil, repair: true)
            #expect(summary.findings.map(\.problem) == [LibraryCheck.Problem(kind: .corrupt, path: mp3.path)])
            #expect(summary.markedForDownload == 1)
            #expect(await sim.run(path).exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == 2)
            #expect(FileHash.sha256(of: url)?.sha256 == mp3.sha256)
            // A touched file (new mtime) is hashed again at resume, found sound, and trusted after.
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: url.path)
            let touched = OutputLog()
            #expect(await sim.run(path, log: touched) { $0.dryRun = true }.exitCode == 0)
            #expect(touched.text.contains("1 verify"), "\(touched.text)")
            #expect(await sim.run(path).exitCode == 0)
            let after = OutputLog()
            #expect(await sim.run(path, log: after) { $0.dryRun = true }.exitCode == 0)
            #expect(after.text.contains("2 skip"), "\(after.text)")
        }
    }
}
