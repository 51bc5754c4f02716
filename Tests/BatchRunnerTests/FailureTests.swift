import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import Testing
import TemPolorSimulator

@Suite("Failures end as documented")
struct FailureTests {
    static func songs(_ count: Int, extend: Int? = nil, stems: Bool = false, prompt: String = "song number {n}") -> String {
        """
        version: 1
        name: f
        concurrency: { tasks: 4, downloads: 4 }
        retry: { attempts: 8, initial: 1s, max: 30s }
        jobs:
          - name: s
            song: { prompt: "\(prompt)", lyrics: "[verse]\\nline one\\nline two" }
            matrix: { n: [\((1...count).map(String.init).joined(separator: ", "))] }
        \(extend.map { "    extend: [{ start_time: \($0) }]" } ?? "")
        \(stems ? "    stems: true" : "")
        """
    }

    @Test func aFailedGenerationBlocksItsDescendantsAndExits1() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.scriptOutcomes([.failed])
            let path = try sim.manifest(Self.songs(2, extend: 30, stems: true))
            let log = OutputLog()
            let result = await sim.run(path, log: log)
            #expect(result.exitCode == 1, "\(log.text)")
            let tasks = try sim.ledger().allTasks()
            #expect(tasks.filter { $0.state == .failed }.count == 1)
            #expect(tasks.filter { $0.state == .blocked }.count == 2)
            #expect(tasks.filter { $0.state == .downloaded }.count == 3)
            let report = try String(contentsOf: try #require(result.report), encoding: .utf8)
            #expect(report.contains("## Failures"))
            #expect(report.contains("the provider reported the generation failed"))
            // Each folder's metadata.json was last written when its song was submitted or filed;
            // the failure and the blocks came after, and the run's end brings every copy up to date.
            for (folder, members) in Dictionary(grouping: tasks, by: \.output) {
                let data = try Data(contentsOf: sim.library.appendingPathComponent(folder).appendingPathComponent("metadata.json"))
                let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
                let entries = try #require(document["tasks"] as? [[String: Any]])
                let states = Dictionary(uniqueKeysWithValues: entries.compactMap { entry in
                    (entry["key"] as? String).map { ($0, entry["state"] as? String ?? "") }
                })
                #expect(states == Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.state.rawValue) }), "\(folder)")
            }
        }
    }

    @Test func partFailedKeepsTheMP3AndRecordsWhatIsMissing() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.scriptOutcomes([.partFailed])
            let path = try sim.manifest(Self.songs(1))
            let result = await sim.run(path)
            #expect(result.exitCode == 0)
            let folder = sim.library.appendingPathComponent("f/s/1-v1")
            #expect(AudioCheck.problem(folder.appendingPathComponent("song.mp3")) == nil)
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("song.wav").path))
            let metadata = try String(contentsOf: folder.appendingPathComponent("metadata.json"), encoding: .utf8)
            #expect(metadata.contains("song.wav: the provider produced no WAV (part_failed)"))
            let report = try String(contentsOf: try #require(result.report), encoding: .utf8)
            #expect(report.contains("Partly failed"))
        }
    }

    @Test func aContentViolationFailsTheTask() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.songs(2, prompt: "a forbidden song {n}"))
            let result = await sim.run(path)
            #expect(result.exitCode == 1)
            let tasks = try sim.ledger().allTasks()
            #expect(tasks.count == 2)
            #expect(tasks.allSatisfy { $0.state == .failed && ($0.error ?? "").contains("400004") })
            #expect(await sim.simulator.acceptedCreates == 0)
        }
    }

    @Test func aWorkThatCannotBeExtendedFailsItsExtendOnly() async throws {
        try await RunnerHarness.with(RunnerHarness.configuration { $0.fixedDuration = 40 }) { sim in
            let path = try sim.manifest(Self.songs(1, extend: 300))
            let result = await sim.run(path)
            #expect(result.exitCode == 1)
            let tasks = try sim.ledger().allTasks()
            #expect(tasks.first { $0.kind == "song" }?.state == .downloaded)
            let extend = try #require(tasks.first { $0.kind == "extend" })
            #expect(extend.state == .failed)
            #expect(extend.error?.contains("400011") == true)
        }
    }

    @Test func theFlakyProfileNeverPaysTwice() async throws {
        var configuration = RunnerHarness.configuration()
        // The flaky profile, with song creates losing their answers often enough that this
        // 11-task manifest surely meets some.
        var profile = FaultProfile.flaky
        var createFaults = profile.rules[0].faults
        createFaults[.lostAnswer] = 0.25
        profile.rules.insert(FaultProfile.Rule(path: "/open-apis/v1/song/generate", faults: createFaults), at: 0)
        configuration.faults = profile
        configuration.seed = 3
        try await RunnerHarness.with(configuration) { sim in
            let path = try sim.manifest(ResumeTests.manifest)
            let planned = sim.plannedCreates(path)
            let log = OutputLog()
            var result = await sim.run(path, log: log)
            let lost = await sim.simulator.stats().lostAnswerCreates
            #expect(await sim.simulator.acceptedCreates <= planned, "\(log.text)")
            #expect([0, 1, 4].contains(result.exitCode), "\(log.text)")
            // Keep resuming (the flaky server stays flaky): never more than planned is paid for.
            for _ in 0..<5 where result.exitCode == 1 {
                result = await sim.run(path)
                #expect(await sim.simulator.acceptedCreates <= planned)
            }
            let ambiguous = try sim.ledger().allTasks().filter { $0.state == .ambiguous }.count
            // The seed makes the flaky profile lose answers; each leaves a task ambiguous.
            try #require(lost > 0, "the seed no longer loses an answer: pick another")
            #expect(result.exitCode == 4 && ambiguous >= 1)

            // The user decides to pay again for the ambiguous ones.
            await sim.simulator.setFaultProfile(.none)
            let resolved = await sim.run(path) { $0.resubmitAmbiguous = true }
            #expect(resolved.exitCode == 0)
            // Only the ambiguous ones can have been paid for twice, and only because the user said so.
            #expect(await sim.simulator.acceptedCreates <= planned + ambiguous)
            #expect(try sim.ledger().allTasks().map(\.state) == Array(repeating: .downloaded, count: planned))
            #expect(!sim.files().contains { $0.hasSuffix(".part") })
        }
    }

    @Test func statusTroubleNeverFailsAPaidItem() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.inject(.http500, path: "/open-apis/v1/song/query", times: 30)
            await sim.simulator.inject(.http502, path: "/open-apis/v1/song/query", times: 5)
            let path = try sim.manifest(Self.songs(3))
            let log = OutputLog()
            let result = await sim.run(path, log: log)
            #expect(result.exitCode == 0, "\(log.text)")
            #expect(await sim.simulator.acceptedCreates == 3)
            #expect(try sim.ledger().allTasks().map(\.state) == [.downloaded, .downloaded, .downloaded])
        }
    }

    @Test func consentToPayAgainDoesNotOutliveItsRun() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.inject(.lostAnswer, path: "/open-apis/v1/song/generate")
            let path = try sim.manifest(Self.songs(1))
            #expect(await sim.run(path).exitCode == 4)
            #expect(await sim.simulator.acceptedCreates == 1)
            // Consent given, but the run may not submit (budget 0): the task stays ambiguous.
            let broke = try sim.manifest(Self.songs(1).replacingOccurrences(of: "name: f\n", with: "name: f\nbudget: { max_credits: 0 }\n"), name: "broke")
            let refused = await sim.run(broke) { $0.resubmitAmbiguous = true }
            #expect(refused.exitCode == 4)
            #expect(try sim.ledger().allTasks().first?.state == .ambiguous)
            // A later run without the flag pays nothing.
            #expect(await sim.run(path).exitCode == 4)
            #expect(await sim.simulator.acceptedCreates == 1)
        }
    }

    @Test func anExpiredURLIsRefreshed() async throws {
        try await RunnerHarness.with(RunnerHarness.configuration { $0.urlLifetime = 3600 }) { sim in
            let path = try sim.manifest(Self.songs(1))
            // First run: every download attempt is cut short, so the task stays generated.
            await sim.simulator.inject(download: .truncated, times: 100)
            let first = await sim.run(path)
            #expect(first.exitCode == 1)
            #expect(try sim.ledger().allTasks().first?.state == .succeeded)
            // A day later the stored URLs have expired; the next run refreshes them.
            await sim.simulator.clearScriptedFaults()
            sim.clock.advance(by: 24 * 3600)
            let log = OutputLog()
            let second = await sim.run(path, log: log)
            #expect(second.exitCode == 0, "\(log.text)")
            #expect(log.text.contains("result URL expired, refreshing"))
            #expect(await sim.simulator.acceptedCreates == 1)
        }
    }

    @Test func theKeyNeverAppearsInTheOutputTreeLedgerOrLogs() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.inject(.lostAnswer, path: "/open-apis/v1/song/generate")
            await sim.simulator.inject(.http500, path: "/open-apis/v1/song/query")
            let path = try sim.manifest(Self.songs(2, extend: 30))
            let log = OutputLog()
            _ = await sim.run(path, log: log)
            _ = await sim.run(path, log: log) { $0.resubmitAmbiguous = true }
            #expect(!log.text.contains(sim.key))
            let enumerator = FileManager.default.enumerator(at: sim.library, includingPropertiesForKeys: nil)
            var checked = 0
            while let url = enumerator?.nextObject() as? URL {
                guard let data = try? Data(contentsOf: url) else { continue }
                checked += 1
                #expect(data.range(of: Data(sim.key.utf8)) == nil, "the key leaked into \(url.path)")
            }
            #expect(checked > 5)
        }
    }

    @Test func aSecondRunWhileOneHoldsTheLockExits75() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.songs(1))
            let lockPath = sim.library.appendingPathComponent(".tempo-batch/lock").path
            let held = try #require(try RunLock.acquire(at: lockPath))
            let result = await sim.run(path)
            #expect(result.exitCode == 75)
            #expect(await sim.simulator.acceptedCreates == 0)
            withExtendedLifetime(held) {}
        }
    }

    @Test func anOverlappingRunExitsBeforeTheEmbeddedSimulatorStarts() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.songs(1))
            let held = try #require(try RunLock.acquire(at: sim.library.appendingPathComponent(".tempo-batch/lock").path))
            let log = OutputLog()
            let result = await sim.run(path, log: log) { $0.provider = .simulator }
            #expect(result.exitCode == 75)
            #expect(result.message?.contains("another run holds the lock") == true)
            #expect(!log.text.contains("built-in simulator"), "\(log.text)")
            #expect(!FileManager.default.fileExists(atPath: sim.library.appendingPathComponent(".tempo-batch/simulator-state.json").path))
            withExtendedLifetime(held) {}
        }
    }

    @Test func theBudgetStopsSubmittingWithExit3() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.songs(5).replacingOccurrences(of: "name: f\n", with: "name: f\nbudget: { max_credits: 70 }\n"))
            let result = await sim.run(path)
            #expect(result.exitCode == 3)
            #expect(await sim.simulator.acceptedCreates == 2)
            let tasks = try sim.ledger().allTasks()
            #expect(tasks.filter { $0.state == .downloaded }.count == 2)
            #expect(tasks.filter { $0.state == .pending }.count == 3)
        }
    }

    @Test func insufficientBalanceStopsSubmittingWithExit3() async throws {
        try await RunnerHarness.with(RunnerHarness.configuration { $0.initialBalance = 95 }) { sim in
            let path = try sim.manifest(Self.songs(5))
            let result = await sim.run(path)
            #expect(result.exitCode == 3)
            #expect(await sim.simulator.acceptedCreates == 3)
        }
    }

    @Test func aRefusedKeyStopsTheRunWithExit2() async throws {
        try await RunnerHarness.with(RunnerHarness.configuration { $0.apiKey = "Tempo-another-key" }) { sim in
            let path = try sim.manifest(Self.songs(3))
            let result = await sim.run(path)
            #expect(result.exitCode == 2)
            #expect(try sim.ledger().allTasks().map(\.state) == [.pending, .pending, .pending])
        }
    }

    @Test func dryRunShowsTheLedgerStateAndChangesNothing() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.inject(.lostAnswer, path: "/open-apis/v1/song/generate")
            let path = try sim.manifest(Self.songs(2))
            #expect(await sim.run(path).exitCode == 4)
            let paid = await sim.simulator.acceptedCreates
            let ledgerBefore = try sim.ledger().allTasks()
            let log = OutputLog()
            let dry = await sim.run(path, log: log) { $0.dryRun = true }
            #expect(dry.exitCode == 0)
            #expect(log.text.contains("skip: downloaded; files unchanged"))
            #expect(log.text.contains("ambiguous: the create call was sent but its answer was lost"))
            #expect(log.text.contains("Totals: 2 song (2 tasks); 1 skip, 1 ambiguous"))
            #expect(await sim.simulator.acceptedCreates == paid)
            #expect(try sim.ledger().allTasks() == ledgerBefore)
        }
    }

    @Test func maxParallelBoundsTheTasksAtTheProvider() async throws {
        // The simulator refuses a second unfinished task; with --max-parallel 1 it is never asked.
        let generate = "/open-apis/v1/song/generate"
        try await RunnerHarness.with(RunnerHarness.configuration { $0.parallelLimit = 1 }) { sim in
            let path = try sim.manifest(Self.songs(3))
            #expect(await sim.run(path) { $0.maxParallel = 1 }.exitCode == 0)
            #expect(await sim.simulator.stats().requests[generate] == 3)
        }
        try await RunnerHarness.with(RunnerHarness.configuration { $0.parallelLimit = 1 }) { sim in
            let path = try sim.manifest(Self.songs(3))
            #expect(await sim.run(path).exitCode == 0)
            #expect((await sim.simulator.stats().requests[generate] ?? 0) > 3, "without the bound the limit is hit")
        }
    }

    @Test func statusChecksAreBatchedTenAtATime() async throws {
        try await RunnerHarness.with(RunnerHarness.configuration { $0.parallelLimit = 50 }) { sim in
            let path = try sim.manifest(Self.songs(23).replacingOccurrences(of: "tasks: 4", with: "tasks: 23"))
            #expect(await sim.run(path).exitCode == 0)
            let stats = await sim.simulator.stats()
            #expect(stats.queryItemIDsMax == 10)
            #expect(stats.acceptedCreatesTotal == 23)
            // Far fewer status calls than one per task per poll.
            #expect(stats.queryCalls < 23 * 5)
        }
    }

    @Test func theParallelLimitLowersConcurrencyAndTheRunStillFinishes() async throws {
        try await RunnerHarness.with(RunnerHarness.configuration { $0.parallelLimit = 2 }) { sim in
            let path = try sim.manifest(Self.songs(6))
            let log = OutputLog()
            let result = await sim.run(path, log: log)
            #expect(result.exitCode == 0, "\(log.text)")
            #expect(await sim.simulator.acceptedCreates == 6)
        }
    }
}
