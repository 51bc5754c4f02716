import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderWiring
import TemPolorSimulator
import Testing

/// `manifests/useapi.yaml` end to end through the useapi.net client against the simulator's
/// useapi routes: lost answers are found again by `replyRef`, never paid twice.
@Suite("useapi.net runs end to end")
struct UseAPIRunTests {
    static var example: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../manifests/useapi.yaml").standardized.path
    }

    /// `--faults flaky`, with its create paths made to lose answers often, so that a three-create
    /// example meets several lost answers.
    static var flakyLosingAnswers: FaultProfile {
        var profile = FaultProfile.flaky
        var createFaults = profile.rules[0].faults
        createFaults[.lostAnswer] = 0.35
        profile.rules.insert(contentsOf: ["/v1/tempolor/music/song", "/v1/tempolor/music/instrumental"].map {
            FaultProfile.Rule(path: $0, faults: createFaults)
        }, at: 0)
        return profile
    }

    @Test(arguments: [FaultProfile.flaky, flakyLosingAnswers])
    func theExampleRunsUnderFlakyFaultsWithEveryLostAnswerReconciled(profile: FaultProfile) async throws {
        let configuration = RunnerHarness.configuration { $0.faults = profile; $0.seed = 11 }
        try await RunnerHarness.with(configuration) { sim in
            let log = OutputLog()
            let result = await sim.run(Self.example, log: log, provider: .useapi) { $0.outputRoot = sim.library.path }
            #expect(result.exitCode == 0, "\(result.message ?? "")\n\(log.text)")
            let stats = await sim.simulator.stats()
            // Exactly one paid job per planned create, whatever the faults did.
            #expect(stats.useapiJobsCreated == sim.plannedCreates(Self.example, provider: .useapi))
            let ledger = try sim.ledger()
            let tasks = try ledger.allTasks()
            #expect(tasks.count == 6)
            #expect(tasks.allSatisfy { $0.state == .downloaded }, "\(tasks.map { "\($0.fileStem) \($0.state)" })")
            #expect(stats.faultsInjected.values.reduce(0, +) > 0, "the profile injected no fault")
            // Lost answers happened and each was adopted on evidence, not paid again.
            let adopted = try tasks.flatMap { try ledger.events(of: $0.key) }.filter { $0.actor == "reconciler" && $0.toState == .submitted }
            if profile == Self.flakyLosingAnswers { try #require(stats.lostAnswerCreates > 0, "the seed must make this profile lose answers") }
            #expect(stats.lostAnswerCreates == adopted.count)
            #expect(adopted.allSatisfy { $0.detail?.contains("evidence") == true })
            let files = sim.files()
            for name in ["song.mp3", "song.wav", "lyrics.txt", "stems/vocals.flac"] {
                #expect(files.contains { $0.hasSuffix("/harbour-lights/Folk-v1/\(name)") }, "\(name) in \(files)")
            }
            #expect(files.contains { $0.hasSuffix("/tide-bed/v1/instrumental.mp3") }, "\(files)")
            for file in files where file.hasSuffix(".mp3") || file.hasSuffix(".wav") || file.hasSuffix(".flac") {
                #expect(AudioCheck.problem(sim.library.appendingPathComponent(file)) == nil, "\(file)")
            }
            #expect(!log.text.contains(sim.token))
        }
    }

    @Test func aLostAnswerIsAdoptedByReplyRefNotPaidTwice() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.inject(.lostAnswer, path: "/v1/tempolor/music/song", times: 2)
            let log = OutputLog()
            let result = await sim.run(Self.example, log: log, provider: .useapi)
            #expect(result.exitCode == 0, "\(result.message ?? "")\n\(log.text)")
            let stats = await sim.simulator.stats()
            #expect(stats.lostAnswerCreates == 2)
            #expect(stats.useapiJobsCreated == 3)
            #expect(log.text.contains("found again after a lost answer"))
            #expect(log.text.contains("replyRef"))
        }
    }

    @Test func aCreateThatNeverArrivedIsProvedAbsentAndSentAgain() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.inject(.http502, path: "/v1/tempolor/music/instrumental")
            let log = OutputLog()
            let result = await sim.run(Self.example, log: log, provider: .useapi)
            #expect(result.exitCode == 0, "\(result.message ?? "")\n\(log.text)")
            #expect(await sim.simulator.stats().useapiJobsCreated == 3)
            #expect(log.text.contains("the lost create made nothing"))
            let events = try sim.ledger().allTasks().flatMap { try sim.ledger().events(of: $0.key) }
            #expect(events.contains { $0.actor == "reconciler" && $0.detail?.contains("made nothing") == true })
        }
    }

    @Test func aTaskFoundInSubmittingAtStartUpIsAdoptedInsteadOfLeftAmbiguous() async throws {
        try await RunnerHarness.with { sim in
            // First run: the answer of one create is lost and the run dies before reconciling
            // (simulated by refusing every reconciliation look-up once), leaving it ambiguous.
            await sim.simulator.inject(.lostAnswer, path: "/v1/tempolor/music/instrumental")
            await sim.simulator.inject(.http401, path: "/v1/tempolor/scheduler")
            let first = await sim.run(Self.example, provider: .useapi)
            #expect(first.exitCode == Runner.ExitCode.ambiguous)
            let ledger = try sim.ledger()
            #expect(try ledger.allTasks().filter { $0.state == .ambiguous }.map(\.kind) == ["instrumental"])
            // Next run: the evidence is there; the task adopts its job without paying again.
            let log = OutputLog()
            let second = await sim.run(Self.example, log: log, provider: .useapi)
            #expect(second.exitCode == 0, "\(log.text)")
            #expect(await sim.simulator.stats().useapiJobsCreated == 3)
        }
    }

    @Test func aRefusedTokenExitsTwoAndNeverShowsTheToken() async throws {
        try await RunnerHarness.with { sim in
            let log = OutputLog()
            let environment = RunEnvironment.virtual(sim.clock, variables: ["USEAPI_TOKEN": "user:7-not-the-token"],
                                             output: { log.append($0) })
            var options = sim.options()
            options.provider = .useapi
            let result = await TempoBatchRun.run(manifest: Self.example, options: options, environment: environment)
            #expect(result.exitCode == Runner.ExitCode.invalid)
            #expect(log.text.contains("refused the token"), "\(log.text)")
            #expect(!log.text.contains("user:7-not-the-token"))
            #expect(await sim.simulator.stats().useapiJobsCreated == 0)
        }
    }

    @Test(arguments: [(CallFault.http412, Runner.ExitCode.budget, "out of credits"), (.http402, Runner.ExitCode.budget, "subscription"),
                      (.http596, Runner.ExitCode.invalid, "re-link")])
    func accountTroubleStopsSubmitting(fault: CallFault, exitCode: Int32, words: String) async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.inject(fault, path: "*", times: 50)
            let log = OutputLog()
            let result = await sim.run(Self.example, log: log, provider: .useapi)
            #expect(result.exitCode == exitCode, "\(log.text)")
            #expect(log.text.contains(words), "\(log.text)")
            #expect(await sim.simulator.stats().useapiJobsCreated == 0)
        }
    }

    @Test func aModeratedPromptFailsOnlyItsTask() async throws {
        try await RunnerHarness.with { sim in
            await sim.simulator.inject(.http422, path: "/v1/tempolor/music/instrumental")
            let log = OutputLog()
            let result = await sim.run(Self.example, log: log, provider: .useapi)
            #expect(result.exitCode == Runner.ExitCode.tasksFailed, "\(log.text)")
            let tasks = try sim.ledger().allTasks()
            #expect(tasks.filter { $0.state == .failed }.map(\.kind) == ["instrumental"])
            #expect(tasks.filter { $0.kind == "song" }.map(\.state) == [.downloaded, .downloaded])
        }
    }
}
