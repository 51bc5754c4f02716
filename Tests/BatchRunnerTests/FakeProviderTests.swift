import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderKit
import ProviderWiring
import Testing

/// The runner against an in-memory provider: the seam alone drives submission, grouped status
/// checks, file resolution and reconciliation, with no TemPolor or useapi code involved.
@Suite("The provider seam, proven with a fake provider")
struct FakeProviderTests {
    static let manifest = """
    version: 1
    name: fake
    concurrency: { tasks: 7 }
    jobs:
      - name: songs
        song: { prompt: "a fake song", lyrics: "[verse]\\nla la" }
        variants: 7
    """

    @Test func aRunGoesThroughTheSeamOnly() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-fake-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let compilation = ManifestCompiler.compile(yaml: Self.manifest, file: "fake.yaml", environment: [:], capabilities: Providers.catalogue)
        let manifest = try #require(compilation.manifest), graph = try #require(compilation.graph)
        let backend = FakeBackend()
        await backend.setLosingAnswers([3])
        await backend.setLedgerPath(root.appendingPathComponent(".tempo-batch/ledger.sqlite").path)
        let log = OutputLog()
        let result = try await FakeFileServer.with { base in
            var options = RunOptions()
            options.outputRoot = root.path
            options.pollInterval = .seconds(1)
            let environment = RunEnvironment(variables: [:], clock: VirtualClock(), random: RandomSource(seed: 3), output: { log.append($0) })
            return await Runner.execute(manifest, graph, provider: FakeProvider(backend: backend, filesBase: base), options: options, environment: environment)
        }
        #expect(result.exitCode == 0, "\(result.message ?? "")\n\(log.text)")

        // One create per task: the lost answer was found again by its reference, not paid twice.
        #expect(await backend.creates == 7)
        #expect(await backend.reconciliations == 1)
        let ledger = try Ledger.open(at: root.appendingPathComponent(".tempo-batch/ledger.sqlite").path)
        let tasks = try ledger.allTasks()
        #expect(tasks.count == 7 && tasks.allSatisfy { $0.state == .downloaded }, "\(tasks.map(\.state))")
        #expect(Set(tasks.compactMap(\.itemID)).count == 7)
        let adopted = try tasks.flatMap { try ledger.events(of: $0.key) }.filter { $0.actor == "reconciler" }
        #expect(adopted.count == 1)
        #expect(adopted.first?.detail?.contains("fake reference match") == true)

        // The intent row was durable, in `submitting`, while every create call was made.
        #expect(await backend.statesDuringSubmit == Array(repeating: TaskState.submitting, count: 7))

        // The provider, not the runner, decided how status checks are grouped.
        let groups = await backend.statusGroups
        #expect(groups.allSatisfy { $0.count <= 3 })
        #expect(groups.contains { $0.count == 3 }, "\(groups)")

        // Files came from the provider's file step.
        let mp3s = try FileManager.default.subpathsOfDirectory(atPath: root.path).filter { $0.hasSuffix(".mp3") }
        #expect(mp3s.count == 7)
    }
}
