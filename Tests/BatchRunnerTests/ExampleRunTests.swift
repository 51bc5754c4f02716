import BatchLedger
@testable import BatchRunner
import BatchManifest
import Foundation
import ProviderWiring
import Testing

@Suite("Every example manifest runs to completion")
struct ExampleRunTests {
    static var examples: [String] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../manifests").standardized
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    @Test(arguments: examples)
    func runsAndFilesDecodableResults(path: String) async throws {
        // Each example speaks its own provider's API (useapi.net manifests the simulator's useapi routes).
        let provider: Provider = Providers.compile(path, environment: [:], provider: nil).manifest?.provider == .useapi ? .useapi : .tempolor
        try await RunnerHarness.with { sim in
            let log = OutputLog()
            let result = await sim.run(path, log: log, provider: provider)
            #expect(result.exitCode == 0, "\(result.message ?? "")\n\(log.text)")
            // Nothing was paid for twice, and the report says what was paid for.
            let planned = sim.plannedCreates(path, provider: provider)
            let stats = await sim.simulator.stats()
            #expect((provider == .useapi ? stats.useapiJobsCreated : stats.acceptedCreatesTotal) == planned)
            let reportJSON = try #require(result.report).deletingPathExtension().appendingPathExtension("json")
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: reportJSON)) as? [String: Any]
            #expect(report?["submitted"] as? Int == sim.graphSize(path, provider: provider))
            #expect(report?["exitCode"] as? Int == 0)

            let ledger = try sim.ledger()
            let tasks = try ledger.allTasks()
            #expect(tasks.count == sim.graphSize(path, provider: provider))
            #expect(tasks.allSatisfy { $0.state == .downloaded }, "\(tasks.map { "\($0.fileStem) \($0.state)" })")
            let files = sim.files()
            #expect(!files.contains { $0.hasSuffix(".part") })
            for task in tasks {
                let expected: [String]
                switch task.kind {
                // useapi answers no lyric timings, so no .lrc.
                case "song": expected = ["song.mp3", "song.wav", "lyrics.txt", "metadata.json"] + (provider == .useapi ? [] : ["song.lrc"])
                case "extend": expected = ["\(task.fileStem).mp3", "\(task.fileStem).wav"]
                case "instrumental": expected = ["instrumental.mp3", "instrumental.wav", "metadata.json"]
                case "stems": expected = ["original", "vocals", "bass", "drums", "other"].map { "stems/\($0).flac" }
                default: expected = []
                }
                for name in expected {
                    #expect(files.contains("\(task.output)/\(name)"), "missing \(task.output)/\(name)")
                }
                // The ledger's record of every file matches the disk.
                let recorded = try ledger.files(of: task.key)
                if task.kind != "lyrics" { #expect(!recorded.isEmpty, "\(task.kind) \(task.output) recorded no file") }
                for file in recorded {
                    let url = sim.library.appendingPathComponent(file.path)
                    #expect(FileHash.sha256(of: url)?.sha256 == file.sha256, "\(file.path) differs from the ledger")
                }
            }
            for file in files where !file.hasPrefix(".tempo-batch") {
                if let problem = AudioCheck.problem(sim.library.appendingPathComponent(file)) { Issue.record("\(problem)") }
            }
            #expect(files.contains { $0.contains("/_reports/") && $0.hasSuffix(".md") })
            #expect(files.contains { $0.contains("/_reports/") && $0.hasSuffix(".json") })
        }
    }
}
