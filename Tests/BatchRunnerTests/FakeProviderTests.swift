import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderKit
import Testing

/// The runner against an in-memory provider: the seam alone drives submission, grouped status
/// checks, file resolution and reconciliation, with no TemPolor or useapi code involved.
@Suite("The provider seam, proven with a fake provider")
struct FakeProviderTests {
    static func manifest(songs: Int = 7, callback: String? = nil) -> String {
        """
        version: 1
        name: fake
        concurrency: { tasks: 7 }
        \(callback.map { "defaults: { callback_url: \"\($0)\" }" } ?? "")
        jobs:
          - name: songs
            song: { prompt: "a fake song", lyrics: "[verse]\\nla la" }
            variants: \(songs)
        """
    }

    /// More ready tasks than a manifest starts at once (256): the rest wait in order and all run.
    @Test func tasksBeyondTheStartedLimitQueueAndAllRun() async throws {
        let slots = TaskSlots(keys: KeySlots(fingerprints: [], maximum: 7))
        #expect(RunScheduler.startedLimit(slots) == 256)
        #expect(RunScheduler.startedLimit(TaskSlots(keys: KeySlots(fingerprints: ["a", "b"], maximum: 64))) == 512)
        let yaml = """
        version: 1
        name: many
        concurrency: { tasks: 7 }
        jobs:
          - name: songs
            song: { prompt: "song {a} {b}", lyrics: "[verse]\\nla la" }
            matrix: { a: [\((1...20).map(String.init).joined(separator: ", "))], b: [\((1...15).map(String.init).joined(separator: ", "))] }
        """
        try await FakeRun.run(yaml) { fake, result in
            #expect(result.exitCode == 0, "\(result.message ?? "")")
            #expect(await fake.backend.creates == 300)
            let tasks = try fake.ledger().allTasks()
            #expect(tasks.count == 300 && tasks.allSatisfy { $0.state == .downloaded })
        }
    }

    @Test func aRunGoesThroughTheSeamOnly() async throws {
        try await FakeRun.run(Self.manifest(), setUp: { await $0.setLosingAnswers([3]) }) { fake, result in
            #expect(result.exitCode == 0, "\(result.message ?? "")\n\(fake.log.text)")
            // One create per task: the lost answer was found again by its reference, not paid twice.
            #expect(await fake.backend.creates == 7)
            #expect(await fake.backend.reconciliations == 1)
            let ledger = try fake.ledger()
            let tasks = try ledger.allTasks()
            #expect(tasks.count == 7 && tasks.allSatisfy { $0.state == .downloaded }, "\(tasks.map(\.state))")
            #expect(Set(tasks.compactMap(\.itemID)).count == 7)
            let adopted = try tasks.flatMap { try ledger.events(of: $0.key) }.filter { $0.actor == "reconciler" }
            #expect(adopted.count == 1)
            #expect(adopted.first?.detail?.contains("fake reference match") == true)

            // The provider, not the runner, decided how status checks are grouped.
            let groups = await fake.backend.statusGroups
            #expect(groups.allSatisfy { $0.count <= 3 })
            #expect(groups.contains { $0.count == 3 }, "\(groups)")

            // Files came from the provider's file step.
            let mp3s = try FileManager.default.subpathsOfDirectory(atPath: fake.root.path).filter { $0.hasSuffix(".mp3") }
            #expect(mp3s.count == 7)
        }
    }

    /// README "Never paying twice": the `submitting` row is committed before the create call.
    @Test func theIntentRowIsDurableBeforeEveryCreateCall() async throws {
        try await FakeRun.run(Self.manifest()) { fake, result in
            #expect(result.exitCode == 0)
            // Read over a second connection during each create call (FakeBackend.create).
            #expect(await fake.backend.statesDuringSubmit == Array(repeating: TaskState.submitting, count: 7))
        }
    }
}
