import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderKit
import TemPolorSimulator
import Testing

/// README promises about what a run prints, records and reports, each with a test that fails
/// when the promise breaks (Tests/README.md lists them and how each was seen failing).
@Suite("Promises of a run")
struct PromiseTests {
    /// README: the item id is committed right after the create call, "the id is also printed first".
    @Test func theItemIDIsPrintedBeforeItIsCommitted() async throws {
        let states = Locked<[TaskState?]>([])
        try await FakeRun.run(FakeProviderTests.manifest(songs: 3), prepare: { fake in
            fake.log.observe { line in
                guard line.contains("submitting → submitted") else { return }
                let ledger = try? fake.ledger()
                let task = (try? ledger?.allTasks())??.first { line.contains($0.key.prefix(12)) }
                states.update { $0.append(task?.state) }
            }
        }) { fake, result in
            #expect(result.exitCode == 0, "\(fake.log.text)")
            #expect(states.get == [TaskState?](repeating: .submitting, count: 3), "the line came after the commit")
        }
    }

    /// README "Output": one line per state change, for every change the ledger records, also
    /// when the provider accepts a create but names no item.
    @Test func oneLinePerStateChange() async throws {
        try await FakeRun.run(FakeProviderTests.manifest(songs: 4), setUp: { await $0.setNamingNothing([2]) }) { fake, result in
            #expect(result.exitCode == Runner.ExitCode.ambiguous, "\(fake.log.text)")
            let ledger = try fake.ledger()
            let tasks = try ledger.allTasks()
            #expect(tasks.count == 4)
            #expect(tasks.filter { $0.state == .ambiguous }.count == 1)
            for task in tasks {
                let changes = try ledger.events(of: task.key).filter { $0.fromState != nil && $0.fromState != $0.toState }.map(\.toState.rawValue)
                #expect(!changes.isEmpty)
                #expect(fake.loggedStates(of: task.key) == changes, "\(task.key.prefix(12)): \(fake.log.text)")
            }
        }
    }

    /// README "No callback URL?": the placeholder is sent when the manifest names none, the
    /// manifest's own otherwise.
    @Test func thePlaceholderCallbackURLIsSentWhenTheManifestNamesNone() async throws {
        try await FakeRun.run(FakeProviderTests.manifest(songs: 2)) { fake, _ in
            #expect(await fake.backend.callbackURLs == ["https://callbacks.invalid/tempo-batch", "https://callbacks.invalid/tempo-batch"])
        }
        try await FakeRun.run(FakeProviderTests.manifest(songs: 1, callback: "https://hooks.example.com/t?token=abc")) { fake, _ in
            #expect(await fake.backend.callbackURLs == ["https://hooks.example.com/t?token=abc"])
        }
    }

    /// README "Output": the report lists ambiguous tasks, the credits committed and the files written.
    @Test func theReportListsAmbiguousTasksCreditsAndFiles() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.inject(.lostAnswer, path: "/open-apis/v1/song/generate")
            let path = try sim.manifest(FailureTests.songs(2))
            let result = await sim.run(path)
            #expect(result.exitCode == Runner.ExitCode.ambiguous)
            let reportURL = try #require(result.report)
            let report = try JSONDecoder.iso8601.decode(RunReport.self, from: Data(contentsOf: reportURL.deletingPathExtension().appendingPathExtension("json")))
            let ledger = try sim.ledger()
            let tasks = try ledger.allTasks()
            let ambiguous = try #require(tasks.first { $0.state == .ambiguous })
            let done = try #require(tasks.first { $0.state == .downloaded })
            #expect(report.ambiguous.map(\.key) == [ambiguous.key])
            #expect(report.creditsSpent == 60, "both creates were paid for")
            #expect(report.filesWritten == (try ledger.files(of: done.key)).map(\.path).sorted())
            #expect(!report.filesWritten.isEmpty)
            let markdown = try String(contentsOf: reportURL, encoding: .utf8)
            #expect(markdown.contains("## Ambiguous"))
            #expect(markdown.contains(ambiguous.key.prefix(12)))
            #expect(markdown.contains("## Files written (\(report.filesWritten.count))"))
        }
    }

    /// README "Output library": `metadata.json` keeps the request, the provider's answer, the
    /// lineage, the cost and the files.
    @Test func metadataKeepsRequestAnswerLineageCostAndFiles() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(ResumeTests.manifest)
            #expect(await sim.run(path).exitCode == 0)
            let ledger = try sim.ledger()
            let folder = "resume/owls/Pop-v1"
            let data = try Data(contentsOf: sim.library.appendingPathComponent("\(folder)/metadata.json"))
            let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let entries = try #require(document["tasks"] as? [[String: Any]])
            let records = try ledger.tasks(inFolder: folder, manifest: "resume")
            #expect(Set(entries.compactMap { $0["kind"] as? String }) == ["song", "extend", "stems"])
            #expect(entries.count == records.count)
            for entry in entries {
                let record = try #require(records.first { $0.key == entry["key"] as? String })
                #expect((entry["request"] as? [String: Any])?["prompt"] as? String == "An owl's waltz, Pop style" || record.kind != "song")
                #expect(entry["provider_answer"] is [String: Any], "\(record.kind)")
                #expect(entry["item_id"] as? String == record.itemID)
                #expect(entry["cost"] as? Double == record.cost)
                let files = try #require(entry["files"] as? [[String: Any]])
                #expect(files.map { $0["path"] as? String } == (try ledger.files(of: record.key)).map(\.path))
                #expect(files.map { $0["sha256"] as? String } == (try ledger.files(of: record.key)).map(\.sha256))
                let lineage = try #require(entry["lineage"] as? [[String: Any]])
                #expect(lineage.map { $0["key"] as? String } == record.parentKeys)
                for parent in lineage {
                    #expect(parent["item_id"] as? String == (try ledger.task(parent["key"] as? String ?? ""))?.itemID)
                }
            }
            #expect(entries.first { $0["kind"] as? String == "song" }?["cost"] as? Double == 30)
            #expect(entries.first { $0["kind"] as? String == "extend" }.flatMap { $0["lineage"] as? [[String: Any]] }?.count == 1)
        }
    }

    /// README "Resume": the run notes paid work the manifest no longer has.
    @Test func aRunNotesPaidWorkTheManifestNoLongerHas() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.inject(.lostAnswer, path: "/open-apis/v1/song/generate")
            let first = try sim.manifest(FailureTests.songs(1, prompt: "first prompt {n}"))
            #expect(await sim.run(first).exitCode == Runner.ExitCode.ambiguous)
            let second = try sim.manifest(FailureTests.songs(1, prompt: "second prompt {n}"))
            let log = OutputLog()
            #expect(await sim.run(second, log: log).exitCode == 0)
            #expect(log.text.contains("note: 1 paid task(s) from an earlier version of this manifest are no longer in it"), "\(log.text)")
            #expect(log.text.contains("(ambiguous)"))
        }
    }

    /// README "Execution": 400007 halves the concurrency. Seen at the provider: with a parallel
    /// limit of 2 and 4 task slots, only the first surplus creates are refused; without the
    /// lowering, refused tasks would retry in place until the first songs finish.
    @Test func theParallelLimitLowersConcurrencyAsSeenByTheProvider() async throws {
        try await RunnerHarness.with(RunnerHarness.configuration { $0.parallelLimit = 2 }) { sim in
            let path = try sim.manifest(FailureTests.songs(6))
            #expect(await sim.run(path).exitCode == 0)
            let stats = await sim.simulator.stats()
            let refused = (stats.requests["/open-apis/v1/song/generate"] ?? 0) - stats.acceptedCreatesTotal
            #expect(stats.acceptedCreatesTotal == 6)
            #expect((1...2).contains(refused), "\(refused) creates refused with 400007")
        }
    }

    /// The same for useapi's 429 (no free job slot).
    @Test func tooManyRequestsLowersConcurrencyAsSeenByUseAPI() async throws {
        try await RunnerHarness.with(RunnerHarness.configuration { $0.useapiMaxJobs = 2 }) { sim in
            let path = try sim.manifest("""
            version: 1
            provider: useapi
            concurrency: { tasks: 4 }
            retry: { attempts: 8, initial: 1s, max: 30s }
            jobs:
              - name: s
                song: { prompt: "song {n}", lyrics: "[verse]\\nla" }
                matrix: { n: [1, 2, 3, 4, 5, 6] }
            """)
            #expect(await sim.run(path, provider: .useapi).exitCode == 0)
            let stats = await sim.simulator.stats()
            let refused = (stats.requests["/v1/tempolor/music/song"] ?? 0) - stats.useapiJobsCreated
            #expect(stats.useapiJobsCreated == 6)
            #expect((1...2).contains(refused), "\(refused) creates refused with 429")
        }
    }
}

/// A value behind a lock, for test callbacks that run on other threads.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    var get: Value { lock.withLock { value } }
    func update(_ change: (inout Value) -> Void) { lock.withLock { change(&value) } }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
