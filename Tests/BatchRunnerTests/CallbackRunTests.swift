import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderWiring
import TemPolorSimulator
import Testing

/// `run --listen`: the simulator calls the run's receiver back as items finish, and each
/// callback makes the poller check that item at once. With status checks an hour apart, only
/// the callbacks can finish the run inside `--max-wait`; polling stays the fallback.
@Suite("Callbacks wake the poller")
struct CallbackRunTests {
    @Test func callbacksFinishARunWhosePollingIsAnHourApart() async throws {
        var configuration = RunnerHarness.configuration()
        configuration.timeScale = 0.01
        let simulator = TemPolorSimulator(configuration: configuration)
        let key = configuration.apiKey
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-callbacks-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let manifest = root.appendingPathComponent("m.yaml")
        try """
        version: 1
        name: called
        jobs:
          - name: a
            song: { prompt: "A song {n}", lyrics: "[verse]\\nla la" }
            matrix: { n: [1, 2, 3] }
            extend: [{ start_time: 20 }]
        """.write(to: manifest, atomically: true, encoding: .utf8)
        let log = OutputLog()
        let (result, stats) = try await simulator.withRunning { url in
            var options = RunOptions()
            options.provider = .tempolor
            options.baseURL = url
            options.outputRoot = root.appendingPathComponent("library").path
            options.pollInterval = .seconds(3600)
            options.maxWait = .seconds(120)
            options.listen = ("127.0.0.1", 0)
            let environment = RunEnvironment(variables: ["TEMPOLOR_API_KEY": key], output: { log.append($0) })
            let result = await TempoBatchRun.run(manifest: manifest.path, options: options, environment: environment)
            return (result, await simulator.stats())
        }
        #expect(result.exitCode == 0, "\(log.text)")
        #expect(stats.callbacksDelivered > 0)
        // The first check of each item is an hour away: every finish was heard through a callback.
        #expect(stats.queryCalls <= stats.callbacksDelivered + 6, "\(stats.queryCalls) queries for \(stats.callbacksDelivered) callbacks")
        #expect(log.text.contains("Listening for callbacks on http://127.0.0.1:"))
        #expect(log.text.contains("/callbacks/<redacted>"))
        let tasks = try Ledger.openExisting(at: root.appendingPathComponent("library/.tempo-batch/ledger.sqlite").path).allTasks()
        #expect(tasks.count == 6 && tasks.allSatisfy { $0.state == .downloaded })
    }
}
