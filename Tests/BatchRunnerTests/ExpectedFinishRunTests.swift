import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import Testing
import TemPolorSimulator

@Suite("Expected finishes against the simulator")
struct ExpectedFinishRunTests {
    /// Twelve chains of song → extend → stems, four at a time.
    static let manifest = """
    version: 1
    name: chains
    concurrency: { tasks: 4, downloads: 4 }
    jobs:
      - name: chain
        song:
          prompt: "Track {n}, a warm {style} song"
          lyrics: "[verse]\\nA line for the morning\\n[chorus]\\nSing it out"
        matrix: { n: [1, 2, 3, 4], style: [Pop, Jazz, Soul] }
        extend: [{ start_time: 10, lyrics: "[outro]\\nGoodnight" }]
        stems: true
    """

    struct Figures {
        var exitCode: Int32
        var queries: Int
        var files: [String]
        var downloadedTasks: Int
        var makespan: TimeInterval
    }

    static func run(_ timing: PollTiming) async throws -> Figures {
        let configuration = RunnerHarness.configuration {
            $0.parallelLimit = 4
            $0.fixedDuration = 12
        }
        return try await RunnerHarness.with(configuration) { sim in
            let path = try sim.manifest(Self.manifest)
            let log = OutputLog()
            let start = sim.clock.now()
            let result = await sim.run(path, log: log) { $0.pollTiming = timing }
            let makespan = sim.clock.now().timeIntervalSince(start)
            #expect(result.exitCode == 0, "\(log.text)")
            let tasks = try sim.ledger().allTasks()
            return Figures(exitCode: result.exitCode, queries: await sim.simulator.stats().queryCalls, files: sim.files(),
                           downloadedTasks: tasks.filter { $0.state == .downloaded }.count, makespan: makespan)
        }
    }

    @Test func fewerStatusCallsThanTheFixedPollerForTheSameWork() async throws {
        let fixed = try await Self.run(.fixed)
        let expected = try await Self.run(.expected)
        #expect(fixed.exitCode == 0)
        #expect(expected.exitCode == 0)
        // The same work, all of it filed: 36 tasks downloaded, the same files.
        #expect(fixed.downloadedTasks == 36)
        #expect(expected.downloadedTasks == 36)
        #expect(expected.files == fixed.files)
        #expect(expected.files.contains("chains/chain/4-Soul-v1/stems/vocals.flac"))
        #expect(expected.queries < fixed.queries, "expected \(expected.queries) query calls, fixed \(fixed.queries)")
        // Checks at the learned finish notice items no later than the 5 s grid, but for the
        // aim's probing: on this clock nothing jitters, so an aim brought earlier (after items
        // final at it) misses now and then, and the item is checked again 0.9 × 5/16 s later.
        // A few of those on the critical path cost well under a second.
        #expect(expected.makespan <= fixed.makespan + 1, "expected \(expected.makespan) s, fixed \(fixed.makespan) s")
    }
}
