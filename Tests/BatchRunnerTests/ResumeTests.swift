import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderWiring
import Testing
import TemPolorSimulator

@Suite("Resuming: nothing is paid twice")
struct ResumeTests {
    static let manifest = """
    version: 1
    name: resume
    concurrency: { tasks: 3, downloads: 2 }
    retry: { attempts: 6, initial: 1s, max: 20s }
    jobs:
      - name: owls
        song:
          prompt: "An owl's waltz, {style} style"
          lyrics: "[verse]\\nUnder silver beams it flies\\n[chorus]\\nMoonlight guides the silent flight"
        matrix: { style: [Pop, Jazz, Soul] }
        extend: [{ start_time: 30, lyrics: "[outro]\\nJoy unfolds before sunrise" }]
        stems: true
      - name: beds
        instrumental: { prompt: "calm {mood} piano bed, 60 seconds", model: TemPolor i3 }
        matrix: { mood: [rainy, sunny] }
    """

    @Test func aSecondRunSubmitsAndDownloadsNothing() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.manifest)
            #expect(await sim.run(path).exitCode == 0)
            let paid = await sim.simulator.acceptedCreates
            let downloads = await sim.simulator.stats().downloads
            let log = OutputLog()
            let second = await sim.run(path, log: log)
            #expect(second.exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == paid)
            #expect(await sim.simulator.stats().downloads == downloads)
            #expect(log.text.contains("0 submitted, 0 credits, 0 files written"))
        }
    }

    @Test func aMissingOrCorruptFileIsDownloadedAgainWithoutPaying() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.manifest)
            #expect(await sim.run(path).exitCode == 0)
            let paid = await sim.simulator.acceptedCreates
            let song = sim.library.appendingPathComponent("resume/owls/Pop-v1/song.mp3")
            let wav = sim.library.appendingPathComponent("resume/owls/Jazz-v1/extend-1.wav")
            try FileManager.default.removeItem(at: song)
            try Data("garbage".utf8).write(to: wav)
            let log = OutputLog()
            #expect(await sim.run(path, log: log).exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == paid)
            #expect(AudioCheck.problem(song) == nil)
            #expect(AudioCheck.problem(wav) == nil)
            #expect(log.text.contains("is missing"))
            #expect(log.text.contains("is corrupt"))
        }
    }

    @Test func renamingAJobRefilesItsResultsWithoutPaying() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.manifest)
            #expect(await sim.run(path).exitCode == 0)
            let paid = await sim.simulator.acceptedCreates
            let renamed = try sim.manifest(Self.manifest.replacingOccurrences(of: "name: owls", with: "name: night-owls"))
            #expect(await sim.run(renamed).exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == paid)
            #expect(AudioCheck.problem(sim.library.appendingPathComponent("resume/night-owls/Soul-v1/extend-1.mp3")) == nil)
            #expect(FileManager.default.fileExists(atPath: sim.library.appendingPathComponent("resume/night-owls/Soul-v1/stems/vocals.flac").path))
        }
    }

    /// README "Resume": a new `output.path` re-files everything under the new layout, paying nothing.
    @Test func aNewOutputPathRefilesWithoutPaying() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.manifest)
            #expect(await sim.run(path).exitCode == 0)
            let paid = await sim.simulator.acceptedCreates
            let relaid = try sim.manifest(Self.manifest.replacingOccurrences(
                of: "jobs:", with: "output: { path: \"{manifest}/{combo}/{job}-v{variant}\" }\njobs:"))
            let log = OutputLog()
            #expect(await sim.run(relaid, log: log).exitCode == 0, "\(log.text)")
            #expect(await sim.simulator.acceptedCreates == paid)
            #expect(log.text.contains("the output layout changed"))
            #expect(AudioCheck.problem(sim.library.appendingPathComponent("resume/Pop/owls-v1/song.mp3")) == nil)
            #expect(FileManager.default.fileExists(atPath: sim.library.appendingPathComponent("resume/Pop/owls-v1/stems/vocals.flac").path))
            #expect(AudioCheck.problem(sim.library.appendingPathComponent("resume/rainy/beds-v1/instrumental.mp3")) == nil)
            let files = try sim.ledger().allTasks().flatMap { try sim.ledger().files(of: $0.key) }
            #expect(!files.isEmpty && files.allSatisfy { !$0.path.hasPrefix("resume/owls/") }, "the ledger still points at the old layout")
        }
    }

    @Test func aChangedPromptRunsOnlyTheNewTasks() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.manifest)
            #expect(await sim.run(path).exitCode == 0)
            let paid = await sim.simulator.acceptedCreates
            let changed = try sim.manifest(Self.manifest.replacingOccurrences(of: "calm {mood} piano", with: "calm {mood} harp"))
            #expect(await sim.run(changed).exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == paid + 2)
            // The old tasks stay in the ledger.
            #expect(try sim.ledger().allTasks().count == sim.plannedCreates(path) + 2)
        }
    }

    /// Interrupts a run by cancelling it when the `count`-th line containing `marker` is printed.
    @Test(arguments: [("submitting", 1), ("submitted", 3), ("running → succeeded", 2), ("downloaded", 2), ("downloaded", 7)])
    func cancelledRunsResumeWithoutDuplicatePayment(marker: String, count: Int) async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.manifest)
            let planned = sim.plannedCreates(path)
            let (fired, interrupted) = await sim.runCancelled(path, at: marker, count: count)
            // The run was really cut at the marker, before it could finish.
            #expect(fired, "the run never printed '\(marker)'")
            #expect(interrupted?.exitCode != 0, "the run finished before it was cancelled")
            #expect(try sim.ledger().allTasks().contains { $0.state != .downloaded })
            #expect(await sim.simulator.acceptedCreates <= planned)

            // Resume until done: ambiguous tasks need an explicit decision.
            var result = await sim.run(path)
            #expect(await sim.simulator.acceptedCreates <= planned, "the resumed run paid for something twice")
            let ambiguous = try sim.ledger().allTasks().filter { $0.state == .ambiguous }.count
            #expect(result.exitCode == (ambiguous > 0 ? 4 : 0))
            if ambiguous > 0 { result = await sim.run(path) { $0.resubmitAmbiguous = true } }
            // Only the ambiguous ones can have been paid for twice, and only because the user said so.
            #expect(await sim.simulator.acceptedCreates <= planned + ambiguous)
            #expect(result.exitCode == 0)
            let files = sim.files()
            #expect(!files.contains { $0.hasSuffix(".part") }, "\(files.filter { $0.hasSuffix(".part") })")
            let audio = files.filter { $0.hasSuffix(".mp3") || $0.hasSuffix(".wav") || $0.hasSuffix(".flac") }
            // 3 songs and 3 extends (mp3 + wav each), 3 × 5 stems, 2 instrumentals (mp3 + wav).
            #expect(audio.count == 12 + 15 + 4, "\(audio)")
            for file in audio {
                #expect(AudioCheck.problem(sim.library.appendingPathComponent(file)) == nil, "\(file)")
            }
        }
    }

    @Test func anInterruptedRunOnTheEmbeddedSimulatorResumes() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-embedded-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("m.yaml").path
        try Self.manifest.write(toFile: path, atomically: true, encoding: .utf8)
        let clock = VirtualClock()
        func run(_ log: OutputLog, resubmitAmbiguous: Bool = false) async -> RunResult {
            let environment = RunEnvironment.virtual(clock, seed: 2, output: { log.append($0) })
            var options = RunOptions()
            options.provider = .simulator
            options.outputRoot = folder.appendingPathComponent("out").path
            options.pollInterval = .seconds(5)
            options.resubmitAmbiguous = resubmitAmbiguous
            return await TempoBatchRun.run(manifest: path, options: options, environment: environment, simulator: EmbeddedSimulator(clock: clock))
        }
        let log = OutputLog()
        let fired = Locked(false)
        await withTaskGroup(of: Void.self) { group in
            let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
            log.onLine(count: 3, where: { $0.contains("submitted (item") }) { fired.update { $0 = true }; continuation.yield() }
            group.addTask { _ = await run(log); continuation.finish() }
            group.addTask { for await _ in stream { break } }
            await group.next()
            group.cancelAll()
        }
        #expect(fired.get, "the first run was not interrupted after three submissions")
        var result = await run(OutputLog())
        let ledger = try Ledger.open(at: folder.appendingPathComponent("out/.tempo-batch/ledger.sqlite").path)
        let consented = try ledger.allTasks().filter { $0.state == .ambiguous }.count
        #expect(result.exitCode == (consented > 0 ? 4 : 0))
        if consented > 0 { result = await run(OutputLog(), resubmitAmbiguous: true) }
        #expect(result.exitCode == 0)
        let state = folder.appendingPathComponent("out/.tempo-batch/simulator-state.json")
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: state)) as? [String: Any]
        let planned = Providers.compile(path, environment: [:], provider: .simulator).graph?.count ?? 0
        let items = (saved?["items"] as? [Any])?.count ?? .max
        #expect(items >= planned)
        #expect(items <= planned + consented, "the embedded simulator was paid \(items) times for \(planned) tasks")
    }

    @Test func aTaskLeftSubmittingIsAmbiguousAndNeverResubmittedSilently() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.manifest)
            // Simulate a crash right after the intent was committed: register, then mark submitting.
            let compilation = Providers.compile(path, environment: [:], provider: .tempolor)
            let graph = try #require(compilation.graph)
            let ledger = try sim.ledger()
            let first = try #require(graph.tasks.first)
            try ledger.register(graph.tasks.map { task in
                TaskRecord(key: task.key.hex, manifest: "resume", job: task.job, kind: task.kind.rawValue, output: task.output,
                           fileStem: task.fileStem, request: "{}", parents: task.parents.map(\.hex), provider: "tempolor", cost: 30, now: Date())
            })
            let run = try ledger.beginRun(manifest: "resume")
            _ = try ledger.recordSubmitting(first.key.hex, run: run)

            let log = OutputLog()
            let result = await sim.run(path, log: log)
            #expect(result.exitCode == 4)
            #expect(log.text.contains("found in submitting at start-up → ambiguous"))
            #expect(try ledger.task(first.key.hex)?.state == .ambiguous)
            // Everything else ran; the ambiguous song, its extend and that extend's stems wait for a decision.
            #expect(await sim.simulator.acceptedCreates == graph.count - 3)

            let resumed = await sim.run(path) { $0.resubmitAmbiguous = true }
            #expect(resumed.exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == graph.count)
            let events = try ledger.events(of: first.key.hex)
            #expect(events.contains { $0.actor == "user" && $0.fromState == .ambiguous && $0.toState == .submitting })
        }
    }
}
