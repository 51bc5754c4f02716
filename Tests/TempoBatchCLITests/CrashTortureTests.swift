import BatchLedger
import Crypto
import Foundation
import Testing
import TestSupport

/// The crash torture: a separately started `tempo-batch simulate` with transient faults, and
/// `tempo-batch run` killed with SIGKILL at seeded random moments, again and again, then run to
/// the end. Nothing is paid twice without consent, no `.part` is left, and every file matches
/// the SHA-256 the ledger recorded. `scripts/crash-torture` runs the same with 100 kills.
@Suite("Crash torture", .timeLimit(.minutes(5)))
struct CrashTortureTests {
    typealias Simulator = RunCommandTests.Simulator

    static let manifest = """
    version: 1
    name: torture
    concurrency: { tasks: 4, downloads: 3 }
    retry: { attempts: 8, initial: 100ms, max: 1s }
    jobs:
      - name: songs
        song:
          prompt: "Song {n} about the sea"
          lyrics: "[verse]\\nThe tide comes in\\nThe tide goes out"
        matrix: { n: [1, 2, 3, 4, 5, 6, 7, 8] }
        extend: [{ start_time: 20 }]
    """
    static let planned = 16

    @Test func twentyKillsAtRandomMomentsThenTheRunFinishesWithoutPayingTwice() async throws {
        let key = "Tempo-torture-key-5a4b3c"
        let simulator = try await Simulator.start(key: key, timeScale: 0.05, extra: ["--faults", "transient", "--fixed-duration", "40"])
        defer { simulator.stop() }
        let runs = RunCommandTests()
        let (folder, _) = try runs.workspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = folder.appendingPathComponent("torture.yaml").path
        try Self.manifest.write(toFile: manifest, atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent("library")
        var moments = SeededRandom(seed: 20_261_122)
        var kills = 0, cycles = 0
        var ended: [String] = []
        var consented = false
        // Each run is killed at a random moment of its life; a run that finished first does not count.
        while kills < 20 && cycles < 80 {
            cycles += 1
            // Once a kill has left a create's outcome unknown, the runs are given consent to pay
            // again (else the ambiguous tasks' chains wait and the work runs out before 20 kills);
            // the checks below allow extra creates only for those consented resubmissions.
            let (process, reader) = try runs.startRun(manifest, base: simulator.base, output: output, key: key,
                                                      extra: consented ? ["--resubmit-ambiguous"] : [])
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...600, using: &moments)))
            if process.isRunning {
                process.send(SIGKILL)
                kills += 1
            }
            try await process.exit()
            if process.terminationReason == .exit {
                if process.terminationStatus == 4 { consented = true }
                ended.append("exit \(process.terminationStatus): " + (try await reader.all(timeout: .seconds(5))).split(separator: "\n").suffix(3).joined(separator: " | "))
            }
        }
        #expect(kills == 20, "only \(kills) of \(cycles) runs were still at work when their moment came; the others ended: \(ended.prefix(5))")

        var (status, log) = try await runs.runToEnd(manifest, base: simulator.base, output: output, key: key,
                                                    extra: consented ? ["--resubmit-ambiguous"] : [])
        if status == 4 {
            // Kills between intent and answer leave ambiguity: paying again is the user's choice.
            consented = true
            (status, log) = try await runs.runToEnd(manifest, base: simulator.base, output: output, key: key, extra: ["--resubmit-ambiguous"])
        }
        #expect(status == 0, "\(log)")
        let ledger = try Ledger.open(at: output.appendingPathComponent(".tempo-batch/ledger.sqlite").path)
        let tasks = try ledger.allTasks()
        #expect(tasks.count == Self.planned && tasks.allSatisfy { $0.state == .downloaded })
        let resubmitted = try tasks.flatMap { try ledger.events(of: $0.key) }.filter { $0.actor == "user" && $0.toState == .submitting }.count
        #expect(consented || resubmitted == 0)
        let accepted = (try await simulator.stats())["accepted_creates_total"] as? Int ?? .max
        #expect(accepted >= Self.planned && accepted <= Self.planned + resubmitted,
                "\(accepted) creates for \(Self.planned) tasks, \(resubmitted) consented resubmission(s)")
        #expect(runs.partFiles(under: output).isEmpty)
        var checked = 0
        for task in tasks {
            for file in try ledger.files(of: task.key) {
                let data = try Data(contentsOf: output.appendingPathComponent(file.path))
                #expect(Int64(data.count) == file.size && SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() == file.sha256, "\(file.path)")
                checked += 1
            }
        }
        #expect(checked >= Self.planned * 2)
    }
}
