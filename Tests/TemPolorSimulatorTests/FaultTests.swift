import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing
@testable import TemPolorSimulator

@Suite("Fault injection")
struct FaultTests {
    static let generate = "/open-apis/v1/song/generate"

    @Test(arguments: [(CallFault.internalError, 400001), (.serverBusy, 400006), (.parallelLimit, 400007)])
    func businessCodeFaultsCreateNothing(fault: CallFault, code: Int) async throws {
        try await Harness.with { sim in
            await sim.simulator.inject(fault, path: Self.generate)
            let answer = try await sim.post("song/generate", ["prompt": "x", "model": "TemPolor v3.5", "callback_url": Harness.callback])
            #expect(answer.httpStatus == 200)
            #expect(answer.status == code)
            #expect(try await sim.stats()["accepted_creates_total"] as? Int == 0)
            // The next call is unaffected.
            _ = try await sim.createSong()
            #expect(try await sim.stats()["accepted_creates_total"] as? Int == 1)
        }
    }

    @Test(arguments: [(CallFault.http500, UInt(500)), (.http502, 502), (.http429, 429)])
    func httpFaults(fault: CallFault, status: UInt) async throws {
        try await Harness.with { sim in
            await sim.simulator.inject(fault, path: "*")
            let answer = try await sim.post("account/billing", [:])
            #expect(answer.httpStatus == status)
            #expect(answer.headers.first(name: "Retry-After") == (fault == .http429 ? "1" : nil))
        }
    }

    @Test func droppedBeforeProcessingCreatesNothing() async throws {
        try await Harness.with { sim in
            await sim.simulator.inject(.dropBefore, path: Self.generate)
            // The connection closes with no answer at all: not an HTTP error status, not a business code.
            await #expect(throws: HTTPClientError.remoteConnectionClosed) { _ = try await sim.createSong() }
            let stats = try await sim.stats()
            #expect(stats["accepted_creates_total"] as? Int == 0)
            #expect((stats["faults_injected"] as? [String: Int])?["drop_before"] == 1)
        }
    }

    @Test func lostAnswerCreatesAndBillsButTheClientSeesAnError() async throws {
        try await Harness.with(Harness.configuration { $0.initialBalance = 100 }) { sim in
            await sim.simulator.inject(.lostAnswer, path: Self.generate)
            await #expect(throws: HTTPClientError.remoteConnectionClosed) { _ = try await sim.createSong() }
            let stats = try await sim.stats()
            #expect(stats["accepted_creates_total"] as? Int == 1)
            #expect(stats["lost_answer_creates"] as? Int == 1)
            #expect(stats["balance"] as? Double == 70)
        }
    }

    @Test func lostAnswerOnlyHitsCreates() async throws {
        try await Harness.with { sim in
            await sim.simulator.inject(.lostAnswer, path: "*")
            let answer = try await sim.post("account/billing", [:])
            #expect(answer.status == 200000)
            #expect(try await sim.stats()["lost_answer_creates"] as? Int == 0)
        }
    }

    @Test func slowAnswersComeLate() async throws {
        try await Harness.with { sim in
            await sim.simulator.inject(.slow, path: "*")
            let started = ContinuousClock.now
            let answer = try await sim.post("account/billing", [:])
            #expect(answer.status == 200000)
            #expect(ContinuousClock.now - started >= .milliseconds(300))
        }
    }

    @Test func truncatedDownloadsNeverDeliverTheWholeFile() async throws {
        let clock = ManualSimulatorClock()
        try await Harness.with(clock: clock) { sim in
            let (_, mp3, _) = try await DownloadTests.finishedSongURLs(sim, clock: clock)
            let whole = try await sim.get(mp3).body
            await sim.simulator.inject(download: .truncated)
            // The head announces the whole length, half the bytes come, then the connection
            // closes: the client's parser meets the end of the stream in the middle of the body.
            // Any answer (a short 200, a 403, ...) or any other error is a failure.
            await #expect(throws: HTTPParserError.invalidEOFState) {
                let answer = try await sim.get(mp3)
                Issue.record("a truncated download was answered: HTTP \(answer.status), \(answer.body.count) of \(whole.count) bytes")
            }
            let again = try await sim.get(mp3)
            #expect(again.status == 200)
            #expect(again.body == whole)
        }
    }

    @Test func flakyProfileHitsAboutOneCallInFive() async throws {
        var configuration = SimulatorConfiguration()
        configuration.faults = .flaky
        configuration.seed = 42
        let state = SimulatorState(configuration: configuration, clock: ManualSimulatorClock())
        var hits = 0, lost = 0
        for _ in 0..<2000 {
            if let fault = await state.decideFault(path: Self.generate) {
                hits += 1
                if fault == .lostAnswer { lost += 1 }
            }
        }
        #expect((300...500).contains(hits), "\(hits) of 2000")
        #expect(lost > 20)
        // Queries never lose answers: that fault is for creates only.
        for _ in 0..<500 { #expect(await state.decideFault(path: "/open-apis/v1/song/query") != .lostAnswer) }
    }

    @Test func decisionsAreDeterministicFromTheSeed() async throws {
        func sequence(seed: UInt64) async -> [CallFault?] {
            var configuration = SimulatorConfiguration()
            configuration.faults = .flaky
            configuration.seed = seed
            let state = SimulatorState(configuration: configuration, clock: ManualSimulatorClock())
            var result: [CallFault?] = []
            for _ in 0..<200 { result.append(await state.decideFault(path: Self.generate)) }
            return result
        }
        let first = await sequence(seed: 7), second = await sequence(seed: 7), other = await sequence(seed: 8)
        #expect(first == second)
        #expect(first != other)
    }

    @Test func profilesLoadFromJSONFiles() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID().uuidString).json")
        try Data("""
        {"rules": [{"path": "/open-apis/v1/song/*", "faults": {"lost_answer": 0.5, "http_429": 0.1}}],
         "downloads": {"truncated": 0.25}, "outcomes": {"failed": 0.1}, "retry_after_seconds": 3}
        """.utf8).write(to: file)
        let profile = try FaultProfile.named(file.path)
        #expect(profile.rules.first?.faults[.lostAnswer] == 0.5)
        #expect(profile.rules.first?.matches("/open-apis/v1/song/extend") == true)
        #expect(profile.rules.first?.matches("/open-apis/v1/stems") == false)
        #expect(profile.downloads[.truncated] == 0.25)
        #expect(profile.outcomes[.failed] == 0.1)
        #expect(profile.retryAfterSeconds == 3)
        try Data(#"{"rules": [{"path": "*", "faults": {"explode": 1}}]}"#.utf8).write(to: file)
        #expect(throws: FaultProfile.ProfileError.self) { try FaultProfile.named(file.path) }
        #expect(try FaultProfile.named("flaky") == .flaky)
    }

    @Test func outcomeFaultsFromTheProfile() async throws {
        let clock = ManualSimulatorClock()
        var configuration = Harness.configuration()
        configuration.faults = FaultProfile(outcomes: [.failed: 1.0])
        try await Harness.with(configuration, clock: clock) { sim in
            let id = try await sim.createSong()
            clock.advance(by: 100)
            #expect(try await sim.query("song", [id]).first?["status"] as? String == "failed")
        }
    }
}
