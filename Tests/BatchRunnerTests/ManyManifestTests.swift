import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderWiring
import Testing

/// `run FOLDER`: every manifest of a folder in one run, with one lock and ledger per output
/// root, the run's `--max-parallel` shared by all of them, each manifest's own concurrency
/// kept, a report per manifest and one for the run. Virtual time: every create of a moment is
/// sent before the clock moves, so the simulator's peak of unfinished items is exact.
@Suite("Many manifests in one run")
struct ManyManifestTests {
    static func manifest(name: String, songs: Int = 4, tasks: Int = 2, root: String? = nil) -> String {
        """
        version: 1
        name: \(name)
        concurrency: { tasks: \(tasks) }
        \(root.map { "output: { root: \"\($0)\" }" } ?? "")
        jobs:
          - name: s
            song:
              prompt: "\(name) song {n} about the sea"
              lyrics: "[verse]\\nla la"
            matrix: { n: [\((1...songs).map(String.init).joined(separator: ", "))] }
        """
    }

    /// A folder of a, b and a broken c.
    static func folder(_ sim: RunnerHarness) throws -> String {
        let folder = sim.root.appendingPathComponent("manifests", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try manifest(name: "a").write(to: folder.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try manifest(name: "b").write(to: folder.appendingPathComponent("b.yml"), atomically: true, encoding: .utf8)
        try "version: 1\nname: c\njobs: 3\n".write(to: folder.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        try "not a manifest".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        return folder.path
    }

    @Test func aFolderRunsAtOnceUnderOneSharedLimitAndSkipsTheBrokenManifest() async throws {
        try await RunnerHarness.with { sim in
            let folder = try Self.folder(sim)
            let paths = try ManifestPaths.expand([folder]).paths
            #expect(paths.map { ($0 as NSString).lastPathComponent } == ["a.yaml", "b.yml", "c.yaml"])
            let log = OutputLog()
            let result = await sim.runMany(paths, log: log) { $0.maxParallel = 3 }
            // The broken manifest is reported with its location and skipped; the others ran.
            #expect(result.exitCode == Runner.ExitCode.invalid, "\(log.text)")
            #expect(result.skipped == [SkippedManifest(file: paths[2], errors: 1)])
            #expect(log.text.contains("c.yaml:3:7: error"), "\(log.text)")
            #expect(result.runs.map(\.manifest) == ["a", "b"])
            #expect(result.runs.allSatisfy { $0.result.exitCode == 0 }, "\(log.text)")
            let stats = await sim.simulator.stats()
            #expect(stats.acceptedCreatesTotal == 8)
            // Never more than --max-parallel at the provider; more than one manifest's own
            // limit of 2, so both manifests' tasks were at the provider together.
            #expect(stats.peakUnfinished == 3, "\(log.text)")
            // A report per manifest, and one for the run naming all three.
            for name in ["a", "b"] {
                let reports = try FileManager.default.contentsOfDirectory(atPath: sim.library.appendingPathComponent("\(name)/_reports").path)
                #expect(reports.contains { $0.hasSuffix(".json") }, "\(name): \(reports)")
            }
            let summary = try #require(result.summaries.first)
            #expect(summary.deletingLastPathComponent().path == sim.library.appendingPathComponent("_reports").standardizedFileURL.path)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary.deletingPathExtension().appendingPathExtension("json"))) as? [String: Any])
            #expect(json["exitCode"] as? Int == 2)
            let lines = try #require(json["manifests"] as? [[String: Any]])
            #expect(lines.compactMap { $0["manifest"] as? String } == ["a", "b"])
            #expect(lines.allSatisfy { ($0["report"] as? String)?.hasSuffix(".md") == true }, "\(lines)")
            #expect((json["skipped"] as? [[String: Any]])?.first?["file"] as? String == paths[2])
            #expect(try String(contentsOf: summary, encoding: .utf8).contains("c.yaml"))

            // A second run resumes both: nothing new is paid for.
            let again = await sim.runMany(Array(paths.prefix(2)))
            #expect(again.exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == 8)
        }
    }

    @Test func withoutARunLimitEachManifestKeepsItsOwn() async throws {
        try await RunnerHarness.with { sim in
            let a = try sim.manifest(Self.manifest(name: "a", tasks: 1), name: "a")
            let b = try sim.manifest(Self.manifest(name: "b", tasks: 2), name: "b")
            let result = await sim.runMany([a, b])
            #expect(result.exitCode == 0)
            // 1 + 2 at once, at most.
            #expect(await sim.simulator.stats().peakUnfinished == 3)
        }
    }

    @Test func strictRunsNothingWhenAManifestIsBroken() async throws {
        try await RunnerHarness.with { sim in
            let paths = try ManifestPaths.expand([try Self.folder(sim)]).paths
            let log = OutputLog()
            let result = await sim.runMany(paths, log: log, strict: true)
            #expect(result.exitCode == 2)
            #expect(result.runs.isEmpty)
            #expect(await sim.simulator.acceptedCreates == 0)
            #expect(log.text.contains("--strict: 1 manifest(s) have errors; nothing was run"), "\(log.text)")
        }
    }

    @Test func manifestsUnderDifferentRootsGetTheirOwnLedgersAndSummaries() async throws {
        try await RunnerHarness.with { sim in
            let first = sim.root.appendingPathComponent("first").path, second = sim.root.appendingPathComponent("second").path
            let a = try sim.manifest(Self.manifest(name: "a", songs: 2, root: first), name: "a")
            let b = try sim.manifest(Self.manifest(name: "b", songs: 2, root: second), name: "b")
            let c = try sim.manifest(Self.manifest(name: "c", songs: 2, root: first), name: "c")
            let result = await sim.runMany([a, b, c]) { $0.outputRoot = nil }
            #expect(result.exitCode == 0)
            #expect(result.summaries.map { $0.deletingLastPathComponent().deletingLastPathComponent().lastPathComponent } == ["first", "second"])
            for (root, manifests) in [(first, ["a", "c"]), (second, ["b"])] {
                let ledger = try Ledger.openExisting(at: root + "/.tempo-batch/ledger.sqlite")
                #expect(Set(try ledger.allTasks().map(\.manifest)) == Set(manifests))
            }
        }
    }

    @Test func aBusyRootIsRefusedWhileTheOthersRun() async throws {
        try await RunnerHarness.with { sim in
            let first = sim.root.appendingPathComponent("first").path, second = sim.root.appendingPathComponent("second").path
            let a = try sim.manifest(Self.manifest(name: "a", songs: 1, root: first), name: "a")
            let b = try sim.manifest(Self.manifest(name: "b", songs: 1, root: second), name: "b")
            let held = try #require(try RunLock.acquire(at: second + "/.tempo-batch/lock"))
            let result = await sim.runMany([a, b]) { $0.outputRoot = nil }
            withExtendedLifetime(held) {}
            #expect(result.runs.map(\.result.exitCode) == [0, Runner.ExitCode.locked])
            #expect(result.exitCode == Runner.ExitCode.locked)
            #expect(await sim.simulator.acceptedCreates == 1)
        }
    }

    @Test func aDailyBudgetForTheRootHoldsAcrossTheManifestsOfOneRun() async throws {
        try await RunnerHarness.with { sim in
            let a = try sim.manifest(Self.manifest(name: "a", songs: 2, tasks: 1), name: "a")
            let b = try sim.manifest(Self.manifest(name: "b", songs: 2, tasks: 1), name: "b")
            let log = OutputLog()
            let daily = Budget(maxCredits: 90, per: .day, timeZone: "UTC")
            let result = await sim.runMany([a, b], log: log) { $0.budget = daily }
            // Three songs of 30 fit in the day, planned once for both manifests: b's second is over budget.
            #expect(result.runs.map(\.result.exitCode) == [0, Runner.ExitCode.budget], "\(log.text)")
            #expect(result.exitCode == Runner.ExitCode.budget)
            #expect(await sim.simulator.acceptedCreates == 3)
            #expect(log.text.contains("0 spent today, 90 left"), "\(log.text)")
            // Planned once for both: b's second song is over budget in the plan, not refused on the way.
            #expect(log.text.contains("b: stopped by budget: 1 task(s) did not fit in what is left of the budget"), "\(log.text)")
            // The same day, a second run sends nothing; the next day the last song is made.
            #expect(await sim.runMany([a, b]) { $0.budget = daily }.exitCode == Runner.ExitCode.budget)
            #expect(await sim.simulator.acceptedCreates == 3)
            sim.clock.advance(by: 24 * 3600)
            #expect(await sim.runMany([a, b]) { $0.budget = daily }.exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == 4)
        }
    }

    @Test func theDeadlineStopsEveryManifest() async throws {
        try await RunnerHarness.with { sim in
            let a = try sim.manifest(Self.manifest(name: "a", songs: 4, tasks: 1), name: "a")
            let b = try sim.manifest(Self.manifest(name: "b", songs: 4, tasks: 1), name: "b")
            let log = OutputLog()
            // One task of each at a time: the first creates go out at once, the deadline a second later.
            let result = await sim.runMany([a, b], log: log) { $0.deadline = sim.clock.now().addingTimeInterval(1); $0.grace = .seconds(3600) }
            #expect(result.exitCode == 0, "\(log.text)")
            #expect(await sim.simulator.acceptedCreates == 2)
            #expect(log.text.contains("a: stopped at the deadline"), "\(log.text)")
            #expect(log.text.contains("b: stopped at the deadline"), "\(log.text)")
            #expect(await sim.runMany([a, b]).exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == 8)
        }
    }

    @Test func theRunsExitCodeIsTheWorstInTheDocumentedOrder() {
        let worst = Runner.ExitCode.worst
        #expect(worst([]) == 0)
        #expect(worst([0, 1, 0]) == 1)
        #expect(worst([1, 5]) == 5)
        #expect(worst([5, 3]) == 3)
        #expect(worst([3, 75]) == 75)
        #expect(worst([75, 2]) == 2)
        #expect(worst([2, 4, 1]) == 4)
        #expect(worst([4, 130, 0]) == 130)
    }
}
