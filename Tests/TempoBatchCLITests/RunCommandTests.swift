import Foundation
import Testing
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("tempo-batch run as a process", .timeLimit(.minutes(3)))
struct RunCommandTests {
    typealias LineReader = SimulateCommandTests.LineReader

    static let manifest = """
    version: 1
    name: killed
    concurrency: { tasks: 3, downloads: 2 }
    retry: { attempts: 6, initial: 100ms, max: 1s }
    jobs:
      - name: songs
        song:
          prompt: "Song {n} about the sea"
          lyrics: "[verse]\\nThe tide comes in\\nThe tide goes out"
        matrix: { n: [1, 2, 3, 4, 5, 6] }
        extend: [{ start_time: 20 }]
    """
    static let planned = 12

    struct Simulator {
        let process: ChildProcess
        let base: String
        let reader: LineReader

        static func start(key: String, timeScale: Double = 0.02, extra: [String] = []) async throws -> Simulator {
            let process = try ChildProcess.start(
                BinaryRunner.productsFolder.appendingPathComponent("tempo-batch"),
                ["simulate", "--port", "0", "--time-scale", String(timeScale), "--api-key", key, "--seed", "5"] + extra,
                environment: BinaryRunner.environment()
            )
            let reader = LineReader(process.output)
            let banner = try await reader.waitFor("listening on ")
            let base = banner.split(separator: " ").first { $0.hasPrefix("http://127.0.0.1:") }.map(String.init) ?? ""
            return Simulator(process: process, base: base, reader: reader)
        }

        func stats() async throws -> [String: Any] {
            let (data, _) = try await URLSession.shared.data(from: try #require(URL(string: base + "/_sim/stats")))
            return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        }

        /// SIGINT, and SIGKILL if it has not stopped 10 s later.
        func stop() {
            process.interrupt()
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning && ContinuousClock.now < deadline { usleep(5_000) }
            process.send(SIGKILL)
            process.waitUntilExit()
        }
    }

    func workspace() throws -> (folder: URL, manifest: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-process-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let manifest = folder.appendingPathComponent("killed.yaml")
        try Self.manifest.write(to: manifest, atomically: true, encoding: .utf8)
        return (folder, manifest.path)
    }

    func startRun(_ manifest: String, base: String, output: URL, key: String, extra: [String] = []) throws -> (ChildProcess, LineReader) {
        let process = try ChildProcess.start(
            BinaryRunner.productsFolder.appendingPathComponent("tempo-batch"),
            ["run", manifest, "--provider", "tempolor", "--base-url", base, "--output", output.path, "--poll-interval", "0.05"] + extra,
            environment: BinaryRunner.environment(["TEMPOLOR_API_KEY": key])
        )
        return (process, LineReader(process.output))
    }

    func runToEnd(_ manifest: String, base: String, output: URL, key: String, extra: [String] = []) async throws -> (Int32, String) {
        let (process, reader) = try startRun(manifest, base: base, output: output, key: key, extra: extra)
        if try await !process.exit(within: .seconds(120)) {
            process.send(SIGKILL)
            try await process.exit()
        }
        return (process.terminationStatus, try await reader.all())
    }

    func partFiles(under folder: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        var result: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".part") { result.append(path) }
        }
        return result
    }

    @Test func aRunKilledWithSIGKILLResumesWithoutPayingTwice() async throws {
        let key = "Tempo-process-test-key-31337"
        let simulator = try await Simulator.start(key: key)
        defer { simulator.stop() }
        let (folder, manifest) = try workspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("library")

        let (runner, reader) = try startRun(manifest, base: simulator.base, output: output, key: key)
        defer { runner.send(SIGKILL) }
        _ = try await reader.waitFor("submitted (item", timeout: .seconds(30))
        _ = try await reader.waitFor("→ downloaded", timeout: .seconds(30))
        runner.send(SIGKILL)
        try await runner.exit()
        #expect(runner.terminationReason == .uncaughtSignal)
        #expect((try await simulator.stats())["accepted_creates_total"] as? Int ?? .max <= Self.planned)

        var (status, log) = try await runToEnd(manifest, base: simulator.base, output: output, key: key)
        #expect([0, 4].contains(status), "\(log)")
        #expect((try await simulator.stats())["accepted_creates_total"] as? Int ?? .max <= Self.planned)
        // Exit 4 exactly when the kill left a submission ambiguous, and the log says so.
        #expect((status == 4) == log.contains("→ ambiguous"), "\(log)")
        if status == 4 {
            (status, log) = try await runToEnd(manifest, base: simulator.base, output: output, key: key, extra: ["--resubmit-ambiguous"])
        }
        #expect(status == 0, "\(log)")
        #expect(partFiles(under: output).isEmpty)
        let songs = (1...6).map { output.appendingPathComponent("killed/songs/\($0)-v1/song.mp3").path }
        #expect(songs.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        #expect(!log.contains(key))
    }

    @Test func theFirstSIGINTStopsSubmittingAndKeepsTheLedgerConsistent() async throws {
        let key = "Tempo-process-test-key-4242"
        let simulator = try await Simulator.start(key: key)
        defer { simulator.stop() }
        let (folder, manifest) = try workspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("library")

        let (runner, reader) = try startRun(manifest, base: simulator.base, output: output, key: key, extra: ["--grace", "20"])
        defer { runner.send(SIGKILL) }
        _ = try await reader.waitFor("submitted (item", timeout: .seconds(30))
        runner.interrupt()
        try await runner.exit()
        #expect(runner.terminationStatus == 130, "\(reader.text)")
        #expect(reader.text.contains("signal received: no new submissions"))
        let paid = (try await simulator.stats())["accepted_creates_total"] as? Int ?? .max
        #expect(paid < Self.planned)

        let (status, log) = try await runToEnd(manifest, base: simulator.base, output: output, key: key)
        #expect(status == 0, "\(log)")
        #expect((try await simulator.stats())["accepted_creates_total"] as? Int == Self.planned)
    }

    /// The task lines of `tempo-batch status`: how many tasks are in `state`.
    func count(_ state: String, output: URL) throws -> Int {
        let status = try BinaryRunner.run(["status", "--output", output.path])
        let counts = status.stdout.split(separator: "\n").dropFirst().first ?? ""
        for part in counts.split(separator: ",") {
            let words = part.split(separator: " ")
            if words.count == 2, words[1] == state { return Int(words[0]) ?? 0 }
        }
        return 0
    }

    /// SIGTERM is a first signal like SIGINT: new submissions stop, the paid-for items are
    /// tracked to the end within the grace period, and the exit code is 143.
    @Test
    func sigtermKeepsTrackingPaidWorkThenExits143() async throws {
        let key = "Tempo-process-test-key-1515"
        let simulator = try await Simulator.start(key: key)
        defer { simulator.stop() }
        let (folder, manifest) = try workspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("library")

        let (runner, reader) = try startRun(manifest, base: simulator.base, output: output, key: key, extra: ["--grace", "60"])
        defer { runner.send(SIGKILL) }
        _ = try await reader.waitFor("submitted (item", timeout: .seconds(30))
        runner.terminate()
        try await runner.exit()
        #expect(runner.terminationStatus == 143, "\(reader.text)")
        #expect(reader.text.contains("signal received: no new submissions"))
        // Everything paid for before the signal was tracked to the end: nothing is left in flight.
        #expect(try count("submitted", output: output) == 0, "\(reader.text)")
        #expect(try count("running", output: output) == 0)
        #expect(try count("downloaded", output: output) >= 1)
    }

    /// A second signal stops at once, without waiting for the grace period: paid work stays
    /// submitted in the ledger for the next run.
    @Test
    func aSecondSignalStopsAtOnce() async throws {
        let key = "Tempo-process-test-key-2626"
        // Real time: a song takes 40 s here, far longer than this test waits.
        let simulator = try await Simulator.start(key: key, timeScale: 1)
        defer { simulator.stop() }
        let (folder, manifest) = try workspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("library")

        let (runner, reader) = try startRun(manifest, base: simulator.base, output: output, key: key, extra: ["--grace", "600"])
        defer { runner.send(SIGKILL) }
        _ = try await reader.waitFor("submitted (item", timeout: .seconds(30))
        runner.interrupt()
        _ = try await reader.waitFor("signal received", timeout: .seconds(30))
        let signalled = ContinuousClock.now
        runner.interrupt()
        try await runner.exit()
        #expect(ContinuousClock.now - signalled < .seconds(30), "the second signal waited for the grace period")
        #expect(runner.terminationStatus == 130, "\(reader.text)")
        #expect(try count("submitted", output: output) + (try count("running", output: output)) >= 1, "paid work left for the next run")
    }

    @Test func theREADMEDemoRunsOnTheBuiltInSimulator() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-demo-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try BinaryRunner.run(["run", "manifests/demo.yaml", "--output", folder.path], environment: ["TEMPOLOR_API_KEY": ""])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("built-in simulator"))
        #expect(result.stdout.contains("all tasks finished"))
        for name in ["song.mp3", "song.wav", "song.lrc", "lyrics.txt", "extend-1.mp3", "metadata.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("demo/owl-waltz/Pop-v1/\(name)").path), "\(name)")
        }
        let status = try BinaryRunner.run(["status", "--output", folder.path])
        #expect(status.status == 0)
        #expect(status.stdout.contains("4 downloaded"))
    }

    @Test func theManifestsFolderIsOneRunAndValidateAndPlanTakeFolders() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-folder-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try BinaryRunner.run(["run", "manifests/", "--simulator", "--output", folder.path, "--max-parallel", "4", "--quiet"],
                                          environment: ["TEMPOLOR_API_KEY": "", "USEAPI_TOKEN": ""])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // Every example, in file-name order, each with its own report and playlist.
        let examples = try FileManager.default.contentsOfDirectory(atPath: BinaryRunner.repositoryRoot.appendingPathComponent("manifests").path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        let names = try examples.map { file in
            let text = try String(contentsOf: BinaryRunner.repositoryRoot.appendingPathComponent("manifests/\(file)"), encoding: .utf8)
            return try #require(text.firstMatch(of: /\nname: ([a-z-]+)/)).1
        }
        #expect(examples.count >= 5)
        #expect(result.stdout.contains("\(examples.count) manifest(s), exit code 0: " + names.map { "\($0) 0" }.joined(separator: "; ")), "\(result.stdout)")
        let summaries = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("_reports").path)
        #expect(summaries.filter { $0.hasSuffix(".md") }.count == 1, "\(summaries)")
        for name in names {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(name)/playlist.m3u8").path), "\(name)")
        }

        let validated = try BinaryRunner.run(["validate", "manifests"])
        #expect(validated.status == 0, "\(validated.stderr)")
        #expect(validated.stderr.components(separatedBy: ": ok, ").count == examples.count + 1, "\(validated.stderr)")
        let plans = try BinaryRunner.run(["plan", "manifests", "--json"])
        #expect(plans.status == 0, "\(plans.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(plans.stdout.utf8)) as? [Any])?.count == examples.count, "\(plans.stdout.prefix(300))")

        // A broken manifest beside a good one: both commands report it and go on with the other.
        let mixed = folder.appendingPathComponent("mixed", isDirectory: true)
        try FileManager.default.createDirectory(at: mixed, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: BinaryRunner.repositoryRoot.appendingPathComponent("manifests/demo.yaml").path,
                                         toPath: mixed.appendingPathComponent("a.yaml").path)
        try "version: 1\nname: broken\njobs: 3\n".write(to: mixed.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        let checked = try BinaryRunner.run(["validate", mixed.path])
        #expect(checked.status == 2)
        #expect(checked.stderr.contains("a.yaml: ok") && checked.stderr.contains("b.yaml:3:7: error"), "\(checked.stderr)")
        let planned = try BinaryRunner.run(["plan", mixed.path])
        #expect(planned.status == 2)
        #expect(planned.stdout.contains("a.yaml") && planned.stderr.contains("b.yaml:3:7: error"), "\(planned.stdout)\(planned.stderr)")
        let strict = try BinaryRunner.run(["run", mixed.path, "--output", folder.appendingPathComponent("strict").path, "--strict"])
        #expect(strict.status == 2)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("strict").path))
        let empty = try BinaryRunner.run(["run", folder.appendingPathComponent("_reports").path])
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("holds no *.yaml or *.yml manifest"), "\(empty.stderr)")
    }

    @Test func theUseAPIExampleRehearsesOnTheSimulatorWithoutAToken() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-useapi-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try BinaryRunner.run(["run", "manifests/useapi.yaml", "--simulator", "--output", folder.path], environment: ["USEAPI_TOKEN": ""])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("useapi.net routes"))
        for name in ["song.mp3", "song.wav", "lyrics.txt", "stems/vocals.flac", "metadata.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("useapi-night/harbour-lights/Soul-v1/\(name)").path), "\(name)")
        }
        // Without --simulator and without a token, nothing starts.
        let refused = try BinaryRunner.run(["run", "manifests/useapi.yaml", "--output", folder.path], environment: ["USEAPI_TOKEN": ""])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("USEAPI_TOKEN"))
    }

    @Test func balancePrintsTheAccountBalanceAndNeverTheKey() async throws {
        let key = "Tempo-balance-test-key-777"
        let simulator = try await Simulator.start(key: key)
        defer { simulator.stop() }
        let ok = try BinaryRunner.run(["balance", "--base-url", simulator.base], environment: ["TEMPOLOR_API_KEY": key])
        #expect(ok.status == 0)
        #expect(ok.stdout == "balance: 100000.0\n")
        let refused = try BinaryRunner.run(["balance", "--base-url", simulator.base], environment: ["TEMPOLOR_API_KEY": "Tempo-not-the-key"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("400002"))
        #expect(!refused.stderr.contains("Tempo-not-the-key"))
    }

    @Test func aMissingKeyIsAUsageErrorThatNamesTheFix() throws {
        let result = try BinaryRunner.run(["run", "manifests/nightly.yaml", "--output", "/tmp/tempo-batch-nokey-\(UUID().uuidString)"],
                                          environment: ["TEMPOLOR_API_KEY": ""])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no API key: set TEMPOLOR_API_KEY"))
    }
}
